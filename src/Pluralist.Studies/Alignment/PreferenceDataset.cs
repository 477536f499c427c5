using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pluralist.Data.Datasets;
using Pluralist.Data.Imports;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Images;
using Pluralist.World.Imaging;

namespace Pluralist.Studies.Alignment;

/// <summary>
/// One row of a preference dataset as the DPO trainer needs it: <see cref="Line"/> is the line of <c>pairs.jsonl</c> (or the
/// row of a Parquet file), <see cref="Image0"/> / <see cref="Image1"/> the image paths relative to the dataset folder (for
/// Parquet, where the bytes are: <c>file:row:column</c>).
/// </summary>
public sealed record DatasetRow(int Line, string Split, string Caption, string Image0, string Image1, double Label0, double? SoftLabel, string? Criterion, double Weight, string? Group);

/// <summary>
/// Reads a preference dataset written by <c>pluralist dataset build</c> (docs/datasets.md): <c>pairs.jsonl</c> rows with the
/// Pick-a-Pic columns and image files (PNG, JPEG or WebP) under the dataset folder, or the Parquet layout (image bytes in
/// <c>jpg_0</c> / <c>jpg_1</c>), decoded through <see cref="ImageCodec"/> (format from the content, a pixel limit, a file
/// extension that must match the content) and resized to the model's resolution with Mitchell cubic resampling. Every
/// error names the file, the line (or row) and the field.
/// </summary>
public static class PreferenceDataset
{
    public static IReadOnlyList<DatasetRow> ReadRows(string dir)
    {
        var path = Path.Combine(dir, "pairs.jsonl");
        if (!File.Exists(path))
        {
            throw new StudyInputException($"--dataset {dir}: no pairs.jsonl and no data/*.parquet (expected a folder written by `pluralist dataset build`)");
        }

        var rows = new List<DatasetRow>();
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonObject o;
            try
            {
                o = JsonNode.Parse(line)?.AsObject() ?? throw new StudyInputException($"{path}:{n}: not a JSON object");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new StudyInputException($"{path}:{n}: not a JSON object ({e.Message})");
            }

            string Str(string field, bool required = true)
            {
                try
                {
                    var v = o[field]?.GetValue<string>();
                    return v is null && required ? throw new StudyInputException($"{path}:{n}: field '{field}' is missing") : v ?? string.Empty;
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException)
                {
                    throw new StudyInputException($"{path}:{n}: field '{field}' must be a string");
                }
            }

            double? Num(string field, bool required)
            {
                try
                {
                    var node = o[field];
                    return node is null ? (required ? throw new StudyInputException($"{path}:{n}: field '{field}' is missing") : null) : node.GetValue<double>();
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException)
                {
                    throw new StudyInputException($"{path}:{n}: field '{field}' must be a number");
                }
            }

            double label = Num("label_0", true)!.Value;
            if (label is < 0 or > 1)
            {
                throw new StudyInputException($"{path}:{n}: field 'label_0' must be in [0, 1], got {label.ToString(CultureInfo.InvariantCulture)}");
            }

            double? soft = Num("soft_label", false);
            if (soft is < 0 or > 1)
            {
                throw new StudyInputException($"{path}:{n}: field 'soft_label' must be in [0, 1]");
            }

            double weight = Num("weight", false) ?? 1;
            if (!(weight >= 0) || double.IsInfinity(weight))
            {
                throw new StudyInputException($"{path}:{n}: field 'weight' must be a number >= 0, got {weight.ToString(CultureInfo.InvariantCulture)}");
            }

            var criterion = Str("criterion", false);
            var group = Str("group", false);
            rows.Add(new DatasetRow(n, Str("split", false) is { Length: > 0 } s ? s : "train", Str("caption"), Str("jpg_0"), Str("jpg_1"), label, soft, criterion.Length == 0 ? null : criterion, weight, group.Length == 0 ? null : group));
        }

        if (rows.Count == 0)
        {
            throw new StudyInputException($"{path}: no rows");
        }

        return rows;
    }

    /// <summary>
    /// Rows of <paramref name="split"/> (or all with "all") as preference pairs: images decoded and resized to
    /// <paramref name="size"/>; P(image_0 preferred) is <c>soft_label</c> when present, else <c>label_0</c>. An image over
    /// <paramref name="maxPixels"/> (width × height; 0 for the import default, <see cref="ImportLimits.MaxImagePixels"/>)
    /// is refused from its header, before it is decoded.
    /// </summary>
    public static InMemoryPreferenceSource Load(string dir, string split, int size, out IReadOnlyList<DatasetRow> used, long maxPixels = 0)
    {
        maxPixels = maxPixels > 0 ? maxPixels : new ImportLimits().MaxImagePixels;
        if (!File.Exists(Path.Combine(dir, "pairs.jsonl")) && PreferenceParquetReader.IsParquetDataset(dir))
        {
            return LoadParquet(dir, split, size, maxPixels, out used);
        }

        var rows = ReadRows(dir).Where(r => split == "all" || r.Split == split).ToList();
        if (rows.Count == 0)
        {
            throw new StudyInputException($"--split {split}: the dataset has no rows in this split");
        }

        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        float[] Image(DatasetRow r, string rel, string field)
        {
            if (cache.TryGetValue(rel, out var px))
            {
                return px;
            }

            var full = Path.GetFullPath(Path.Combine(dir, rel));
            if (!full.StartsWith(Path.GetFullPath(dir), StringComparison.Ordinal) || !File.Exists(full))
            {
                throw new StudyInputException($"{Path.Combine(dir, "pairs.jsonl")}:{r.Line}: field '{field}': image not found: {rel}");
            }

            try
            {
                px = ModelPixels(ImageCodec.DecodeFile(full, maxPixels, $"{Path.Combine(dir, "pairs.jsonl")}:{r.Line}: field '{field}': {rel}"), size);
            }
            catch (InvalidDataException e)
            {
                throw new StudyInputException(e.Message);
            }

            cache[rel] = px;
            return px;
        }

        var pairs = rows.Select(r => new PreferencePair(Image(r, r.Image0, "jpg_0"), Image(r, r.Image1, "jpg_1"), r.Caption, (float)(r.SoftLabel ?? r.Label0), r.Criterion, r.Group, (float)r.Weight)).ToList();
        used = rows;
        return new InMemoryPreferenceSource(pairs);
    }

    // Any image to (3, size, size) in [-1, 1]: Mitchell cubic resampling to the model's size, then scaled.
    private static float[] ModelPixels(RgbaImage image, int size) =>
        WorldImageSource.ToModelPixels(ImageCodec.Resize(image, size, size), size);

    private static InMemoryPreferenceSource LoadParquet(string dir, string split, int size, long maxPixels, out IReadOnlyList<DatasetRow> used)
    {
        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var pairs = new List<PreferencePair>();
        var rows = new List<DatasetRow>();
        float[] Image(ParquetPreferenceRow r, byte[] bytes, string column)
        {
            var key = Convert.ToHexString(SHA256.HashData(bytes));
            if (cache.TryGetValue(key, out var px))
            {
                return px;
            }

            try
            {
                px = ModelPixels(ImageCodec.Decode(bytes, string.Create(CultureInfo.InvariantCulture, $"{r.File}: row {r.Row}: column '{column}'"), maxPixels), size);
            }
            catch (InvalidDataException e)
            {
                throw new StudyInputException(e.Message);
            }

            cache[key] = px;
            return px;
        }

        try
        {
            foreach (var r in PreferenceParquetReader.ReadAsync(dir, split).ToBlockingEnumerable())
            {
                var where = string.Create(CultureInfo.InvariantCulture, $"{Path.GetRelativePath(dir, r.File)}:{r.Row}");
                rows.Add(new DatasetRow(checked((int)r.Row), r.Split, r.Caption, where + ":jpg_0", where + ":jpg_1", r.Label0, r.SoftLabel, r.Criterion, r.Weight, r.Group));
                pairs.Add(new PreferencePair(Image(r, r.Jpg0, "jpg_0"), Image(r, r.Jpg1, "jpg_1"), r.Caption, (float)(r.SoftLabel ?? r.Label0), r.Criterion, r.Group, (float)r.Weight));
            }
        }
        catch (InvalidDataException e)
        {
            throw new StudyInputException(e.Message);
        }

        if (rows.Count == 0)
        {
            throw new StudyInputException($"--split {split}: the dataset has no rows in this split");
        }

        used = rows;
        return new InMemoryPreferenceSource(pairs);
    }
}
