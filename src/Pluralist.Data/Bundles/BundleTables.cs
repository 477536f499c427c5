using Pluralist.Core.Text;
using Pluralist.Data.Imaging;
using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>
/// The one table reader every bundle table (and the labeling-platform export) goes through: the
/// file read within the import's limits, strict UTF-8, the header checked for its required
/// columns, then each row with its line numbers; errors are trimmed to the import's cap after each row.
/// </summary>
internal static class BundleTables
{
    /// <summary>Parses one CSV of the bundle and calls <paramref name="onRow"/> per row when its required columns are present.</summary>
    /// <returns>False when the file could not be read at all (absent though required, a link, wrong encoding, bad syntax, missing columns).</returns>
    public static bool Read(IBundleSource source, string file, bool required, ImportErrors errors, string[] requiredColumns, Action<TableRow> onRow)
    {
        if (!source.Exists(file))
        {
            if (required)
            {
                errors.Add(new CsvError(file, 0, 0, string.Empty, $"{file} is missing from the bundle"));
            }

            return !required;
        }

        if (ReadAll(source, file, errors) is not { } bytes)
        {
            return false;
        }

        var text = StrictUtf8.TryDecode(bytes, file, out var encodingError);
        if (text is null)
        {
            errors.Add(encodingError!);
            return false;
        }

        var before = errors.Count;
        var table = CsvTable.Parse(new StringReader(text), file, errors.List);
        errors.Trim();
        if (!table.RequireColumns(requiredColumns) || (table.Rows.Count == 0 && errors.Count > before))
        {
            return false;
        }

        foreach (var record in table.Rows)
        {
            onRow(new TableRow(table, record));
            errors.Trim();
        }

        return true;
    }

    /// <summary>A whole file of the bundle, or null with the reason in <paramref name="errors"/> (a link, a device, past a limit).</summary>
    public static byte[]? ReadAll(IBundleSource source, string file, ImportErrors errors)
    {
        try
        {
            return source.ReadAll(file);
        }
        catch (ImportFileException ex)
        {
            errors.Add(new CsvError(file, 0, 0, string.Empty, ex.Message));
            return null;
        }
    }

    /// <summary>Checks an image file of the bundle (regular file, within the limits, a PNG, JPEG or WebP that decodes); null with an error at the row's field otherwise.</summary>
    public static ImageFacts? InspectImage(IBundleSource source, string file, TableRow row, string column)
    {
        try
        {
            using var stream = source.Open(file);
            return ImageFiles.Inspect(stream, source.Limits.MaxImagePixels);
        }
        catch (ImportFileException ex)
        {
            row.Error(column, ex.Message);
        }
        catch (ImageFileException ex)
        {
            row.Error(column, $"{file} {ex.Message}");
        }
        catch (FileNotFoundException)
        {
            row.Error(column, $"{file} is not in the bundle");
        }

        return null;
    }
}
