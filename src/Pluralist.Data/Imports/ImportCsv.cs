using System.Text;
using Pluralist.Core.Text;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imaging;

namespace Pluralist.Data.Imports;

/// <summary>
/// Streaming reads for the dataset importers (<see cref="MidSpaceReader"/>, <see cref="LikertCsvReader"/>): a CSV
/// of any length is read one row at a time through the import's limits (strict UTF-8, required columns checked on
/// the header), and each image a row names is checked once, with its error located at that row's field.
/// </summary>
internal static class ImportCsv
{
    /// <summary>Reads <paramref name="file"/> of <paramref name="source"/> row by row; false when it could not be read at all.</summary>
    public static bool Read(IBundleSource source, string file, ImportErrors errors, string[] requiredColumns, Action<CsvTable> onHeader, Action<TableRow> onRow)
    {
        Stream stream;
        try
        {
            stream = source.Open(file);
        }
        catch (FileNotFoundException)
        {
            errors.Add(new CsvError(file, 0, 0, string.Empty, $"{file} is missing from {source.DisplayName}"));
            return false;
        }
        catch (ImportFileException ex)
        {
            errors.Add(new CsvError(file, 0, 0, string.Empty, ex.Message));
            return false;
        }

        using (stream)
        using (var reader = new StreamReader(stream, StrictUtf8.Encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16))
        {
            var last = 1;
            try
            {
                var table = CsvTable.Open(reader, file, errors.List);
                errors.Trim();
                if (!table.RequireColumns(requiredColumns))
                {
                    errors.Trim();
                    return false;
                }

                onHeader(table);
                foreach (var record in table.StreamRows())
                {
                    last = record.Line;
                    onRow(new TableRow(table, record));
                    errors.Trim();
                }
            }
            catch (DecoderFallbackException)
            {
                errors.Add(new CsvError(file, last + 1, 0, string.Empty, "the file is not valid UTF-8 here (save it as UTF-8)"));
                return false;
            }
            catch (ImportFileException ex)
            {
                errors.Add(new CsvError(file, last, 0, string.Empty, ex.Message));
                return false;
            }
        }

        errors.Trim();
        return true;
    }

    /// <summary>
    /// The rows of <paramref name="file"/> again, pulled one at a time (for a second pass over a file that
    /// <see cref="Read"/> checked): nothing when the file can no longer be opened or lacks a required column
    /// (<paramref name="errors"/> says why).
    /// </summary>
    public static IEnumerable<TableRow> Rows(IBundleSource source, string file, ImportErrors errors, string[] requiredColumns, Action<CsvTable> onHeader)
    {
        using var stream = source.Open(file);
        using var reader = new StreamReader(stream, StrictUtf8.Encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        var table = CsvTable.Open(reader, file, errors.List);
        if (errors.Count > 0 || !table.RequireColumns(requiredColumns))
        {
            yield break;
        }

        onHeader(table);
        foreach (var record in table.StreamRows())
        {
            yield return new TableRow(table, record);
        }
    }

    /// <summary>
    /// Checks the image at <paramref name="path"/> (a regular file of the source, within the limits, a PNG, JPEG or WebP that
    /// decodes in full); the first row naming a path pays for the check, later rows reuse its result.
    /// </summary>
    public static ImageFacts? Image(IBundleSource source, string path, TableRow row, string column, Dictionary<string, ImageFacts?> seen)
    {
        if (seen.TryGetValue(path, out var known))
        {
            return known;
        }

        var facts = BundleTables.InspectImage(source, path, row, column);
        seen[path] = facts;
        return facts;
    }
}
