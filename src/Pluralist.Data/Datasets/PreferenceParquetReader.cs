using System.Globalization;
using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Pluralist.Data.Datasets;

/// <summary>One row of a Parquet preference dataset; <see cref="File"/> and <see cref="Row"/> (1-based) locate it for errors.</summary>
public sealed record ParquetPreferenceRow(
    string File,
    long Row,
    string Split,
    string Caption,
    byte[] Jpg0,
    byte[] Jpg1,
    double Label0,
    double? SoftLabel,
    bool TieResolved,
    string? Criterion,
    double Weight,
    string? Group,
    long? PairId);

/// <summary>
/// One row of a Parquet preference dataset whose images are views into the reader's buffers for the current row group:
/// <see cref="Jpg0"/> and <see cref="Jpg1"/> are valid until the caller asks for the next row (copy them to keep them).
/// </summary>
public sealed record ParquetPreferenceView(
    string File,
    long Row,
    string Split,
    string Caption,
    ReadOnlyMemory<byte> Jpg0,
    ReadOnlyMemory<byte> Jpg1,
    double Label0,
    double? SoftLabel,
    bool TieResolved,
    string? Criterion,
    double Weight,
    string? Group,
    long? PairId,
    long? UserId,
    string? Image0Uid,
    string? Image1Uid,
    string? RankingId)
{
    /// <summary>A row that owns copies of the images.</summary>
    public ParquetPreferenceRow ToRow() => new(File, Row, Split, Caption, Jpg0.ToArray(), Jpg1.ToArray(), Label0, SoftLabel, TieResolved, Criterion, Weight, Group, PairId);
}

/// <summary>
/// Reads Parquet preference datasets one row group at a time: the ones <see cref="ParquetDatasetWriter"/>
/// writes, and any Pick-a-Pic-style file with <c>caption</c>, <c>jpg_0</c>, <c>jpg_1</c> and <c>label_0</c>.
/// Rows are yielded lazily: a row group is read only when the caller asks for its first row, after the previous
/// group's rows have all been handed out. <see cref="ReadViewsAsync"/> hands out the image columns as views into one
/// buffer per column that the reader reuses for every row group (plain uncompressed chunks, as
/// <see cref="ParquetDatasetWriter"/> writes them; other files go through Parquet.Net's reader, group by group), so
/// reading allocates no array per image and memory is bounded by the largest row group (the writer's
/// <see cref="ParquetDatasetOptions.RowGroupBytes"/>), not by the dataset; <see cref="ReadAsync"/> copies each row's
/// images into arrays the row owns. Errors name the file, the row and the column.
/// </summary>
public static class PreferenceParquetReader
{
    private static readonly string[] Required = ["caption", "jpg_0", "jpg_1", "label_0"];

    /// <summary>Whether <paramref name="dir"/> holds a Parquet dataset (<c>data/*.parquet</c> or <c>*.parquet</c>).</summary>
    public static bool IsParquetDataset(string dir) => Files(dir).Count > 0;

    /// <summary>The dataset's Parquet files in name order: <c>data/*.parquet</c>, else <c>*.parquet</c> in the folder, else the file itself.</summary>
    public static IReadOnlyList<string> Files(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            return path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? [path] : [];
        }

        if (!Directory.Exists(path))
        {
            return [];
        }

        var data = Path.Combine(path, "data");
        var folder = Directory.Exists(data) && Directory.EnumerateFiles(data, "*.parquet").Any() ? data : path;
        return Directory.EnumerateFiles(folder, "*.parquet").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every row of every file, each owning copies of its images; <paramref name="split"/> (when not null or "all") keeps only that split.</summary>
    public static async IAsyncEnumerable<ParquetPreferenceRow> ReadAsync(string path, string? split = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var view in ReadViewsAsync(path, split, ct).ConfigureAwait(false))
        {
            yield return view.ToRow();
        }
    }

    /// <summary>
    /// Every row of every file, its images valid until the next row is asked for; <paramref name="split"/> (when not null
    /// or "all") keeps only that split.
    /// </summary>
    public static async IAsyncEnumerable<ParquetPreferenceView> ReadViewsAsync(string path, string? split = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var files = Files(path);
        if (files.Count == 0)
        {
            throw new InvalidDataException($"{path}: no .parquet files (expected data/<split>-NNNNN-of-NNNNN.parquet)");
        }

        // The image columns' buffers, reused for every row group of every file.
        var raw0 = new RawBinaryColumn();
        var raw1 = new RawBinaryColumn();
        foreach (var file in files)
        {
            await using var stream = File.OpenRead(file);
            ParquetReader reader;
            try
            {
                reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                throw new InvalidDataException($"{file}: not a readable Parquet file ({e.Message})", e);
            }

            await using (reader.ConfigureAwait(false))
            {
                var fields = reader.Schema.GetDataFields().Where(f => f.Path.ToList().Count == 1).ToDictionary(f => f.Name, StringComparer.Ordinal);
                foreach (var name in Required.Where(n => !fields.ContainsKey(n)))
                {
                    throw new InvalidDataException($"{file}: no column '{name}' (a preference dataset needs {string.Join(", ", Required)})");
                }

                var fileSplit = Path.GetFileName(file) is var fn && fn.IndexOf('-', StringComparison.Ordinal) is > 0 and var dash ? fn[..dash] : "train";
                long offset = 0;
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    using var rg = reader.OpenRowGroupReader(g);
                    var n = checked((int)rg.RowCount);
                    var caption = await Strings(rg, fields["caption"], n, ct).ConfigureAwait(false);
                    var splits = fields.TryGetValue("split", out var sf) ? await Strings(rg, sf, n, ct).ConfigureAwait(false) : null;
                    using var jpg0 = await ImageColumn.ReadAsync(rg, stream, fields["jpg_0"], n, raw0, ct).ConfigureAwait(false);
                    using var jpg1 = await ImageColumn.ReadAsync(rg, stream, fields["jpg_1"], n, raw1, ct).ConfigureAwait(false);
                    var label0 = await Doubles(rg, fields["label_0"], n, file, offset, ct).ConfigureAwait(false);
                    var soft = fields.TryGetValue("soft_label", out var f) ? await Doubles(rg, f, n, file, offset, ct).ConfigureAwait(false) : null;
                    var weight = fields.TryGetValue("weight", out f) ? await Doubles(rg, f, n, file, offset, ct).ConfigureAwait(false) : null;
                    var tie = fields.TryGetValue("tie_resolved", out f) && f.ClrType == typeof(bool) ? await Bools(rg, f, n, ct).ConfigureAwait(false) : null;
                    var criterion = fields.TryGetValue("criterion", out f) ? await Strings(rg, f, n, ct).ConfigureAwait(false) : null;
                    var group = fields.TryGetValue("group", out f) ? await Strings(rg, f, n, ct).ConfigureAwait(false) : null;
                    var pair = fields.TryGetValue("pair_id", out f) && f.ClrType == typeof(long) ? await Longs(rg, f, n, ct).ConfigureAwait(false) : null;
                    var user = fields.TryGetValue("user_id", out f) && f.ClrType == typeof(long) ? await Longs(rg, f, n, ct).ConfigureAwait(false) : null;
                    var uid0 = fields.TryGetValue("image_0_uid", out f) && f.ClrType == typeof(string) ? await Strings(rg, f, n, ct).ConfigureAwait(false) : null;
                    var uid1 = fields.TryGetValue("image_1_uid", out f) && f.ClrType == typeof(string) ? await Strings(rg, f, n, ct).ConfigureAwait(false) : null;
                    var ranking = fields.TryGetValue("ranking_id", out f) ? await Text(rg, f, n, ct).ConfigureAwait(false) : null;
                    for (var i = 0; i < n; i++)
                    {
                        var img0 = jpg0[i];
                        var img1 = jpg1[i];
                        var row = offset + i + 1;
                        string Where(string column) => string.Create(CultureInfo.InvariantCulture, $"{file}: row {row}: column '{column}'");
                        var rowSplit = splits?[i] is { Length: > 0 } s ? s : fileSplit;
                        if (split is not null && split != "all" && rowSplit != split)
                        {
                            continue;
                        }

                        if (string.IsNullOrEmpty(caption[i]))
                        {
                            throw new InvalidDataException($"{Where("caption")} is empty");
                        }

                        if (img0.Length == 0)
                        {
                            throw new InvalidDataException($"{Where("jpg_0")} holds no image bytes");
                        }

                        if (img1.Length == 0)
                        {
                            throw new InvalidDataException($"{Where("jpg_1")} holds no image bytes");
                        }

                        var l0 = label0[i] ?? throw new InvalidDataException($"{Where("label_0")} is empty");
                        if (l0 is < 0 or > 1 || double.IsNaN(l0))
                        {
                            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Where("label_0")} must be in [0, 1], got {l0}"));
                        }

                        var sl = soft?[i];
                        if (sl is < 0 or > 1 || (sl is { } sv && double.IsNaN(sv)))
                        {
                            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Where("soft_label")} must be in [0, 1], got {sl}"));
                        }

                        var w = weight?[i] ?? 1;
                        if (!(w >= 0) || double.IsInfinity(w))
                        {
                            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Where("weight")} must be a number >= 0, got {w}"));
                        }

                        yield return new ParquetPreferenceView(file, row, rowSplit, caption[i]!, img0, img1, l0, sl, tie?[i] ?? false,
                            criterion?[i] is { Length: > 0 } c ? c : null, w, group?[i] is { Length: > 0 } gr ? gr : null, pair?[i],
                            user?[i], uid0?[i], uid1?[i], ranking?[i]);
                    }

                    offset += n;
                }
            }
        }
    }

    private static async Task<string?[]> Strings(ParquetRowGroupReader rg, DataField field, int n, CancellationToken ct)
    {
        var values = new string?[n];
        if (field.ClrType != typeof(string) && field.ClrType != typeof(ReadOnlyMemory<char>))
        {
            throw new InvalidDataException($"column '{field.Name}' must hold strings, not {field.ClrType.Name}");
        }

        await rg.ReadAsync(field, values.AsMemory()!, null, ct).ConfigureAwait(false);
        return values;
    }

    /// <summary>
    /// One row group's image column: read by <see cref="RawBinaryColumn"/> into the reader's own reused buffer when the
    /// chunk is plain and uncompressed (what <see cref="ParquetDatasetWriter"/> writes), else by Parquet.Net. The values
    /// are valid until the next row group is read. A null or absent value reads as empty.
    /// </summary>
    private sealed class ImageColumn : IDisposable
    {
        private readonly RawColumnData<ReadOnlyMemory<byte>>? _raw;
        private readonly RawBinaryColumn? _own;
        private readonly int[] _index;

        private ImageColumn(RawColumnData<ReadOnlyMemory<byte>>? raw, RawBinaryColumn? own, int[] index)
        {
            _raw = raw;
            _own = own;
            _index = index;
        }

        public ReadOnlyMemory<byte> this[int row] => _own is { } own ? own[row] : _index[row] < 0 ? ReadOnlyMemory<byte>.Empty : _raw!.Values[_index[row]];

        public static async Task<ImageColumn> ReadAsync(ParquetRowGroupReader rg, Stream stream, DataField field, int n, RawBinaryColumn own, CancellationToken ct)
        {
            if (field.ClrType != typeof(byte[]) && field.ClrType != typeof(ReadOnlyMemory<byte>))
            {
                throw new InvalidDataException($"column '{field.Name}' must hold binary image bytes, not {field.ClrType.Name}");
            }

            var chunk = rg.GetMetadata(field);
            if (chunk is not null && RawBinaryColumn.CanRead(chunk))
            {
                await own.LoadAsync(stream, chunk, n, field.IsNullable, ct).ConfigureAwait(false);
                return new ImageColumn(null, own, []);
            }

            var data = await rg.ReadRawColumnDataBaseAsync(field, ct).ConfigureAwait(false);
            if (data is not RawColumnData<ReadOnlyMemory<byte>> raw)
            {
                data.Dispose();
                throw new InvalidDataException($"column '{field.Name}' must hold binary image bytes");
            }

            try
            {
                return new ImageColumn(raw, null, Index(raw, field, n));
            }
            catch
            {
                raw.Dispose();
                throw;
            }
        }

        // Row -> position in the values (which hold only the non-null ones), -1 for a null.
        private static int[] Index(RawColumnData<ReadOnlyMemory<byte>> raw, DataField field, int n)
        {
            var index = new int[n];
            if (!field.IsNullable)
            {
                for (var i = 0; i < n; i++)
                {
                    index[i] = i < raw.Values.Length ? i : -1;
                }

                return index;
            }

            var levels = raw.DefinitionLevels;
            var next = 0;
            for (var i = 0; i < n; i++)
            {
                index[i] = i < levels.Length && levels[i] > 0 ? next++ : -1;
            }

            return index;
        }

        public void Dispose() => _raw?.Dispose();
    }

    private static async Task<string?[]> Text(ParquetRowGroupReader rg, DataField field, int n, CancellationToken ct)
    {
        if (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>))
        {
            return await Strings(rg, field, n, ct).ConfigureAwait(false);
        }

        return field.ClrType == typeof(long)
            ? (await Longs(rg, field, n, ct).ConfigureAwait(false)).Select(v => v?.ToString(CultureInfo.InvariantCulture)).ToArray()
            : new string?[n];
    }

    private static async Task<double?[]> Doubles(ParquetRowGroupReader rg, DataField field, int n, string file, long offset, CancellationToken ct)
    {
        if (field.ClrType == typeof(double))
        {
            return await Column<double>(rg, field, n, ct).ConfigureAwait(false);
        }

        if (field.ClrType == typeof(float))
        {
            return (await Column<float>(rg, field, n, ct).ConfigureAwait(false)).Select(v => (double?)v).ToArray();
        }

        if (field.ClrType == typeof(long))
        {
            return (await Column<long>(rg, field, n, ct).ConfigureAwait(false)).Select(v => (double?)v).ToArray();
        }

        if (field.ClrType == typeof(int))
        {
            return (await Column<int>(rg, field, n, ct).ConfigureAwait(false)).Select(v => (double?)v).ToArray();
        }

        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
            $"{file}: row group at row {offset + 1}: column '{field.Name}' must hold numbers, not {field.ClrType.Name}"));
    }

    private static async Task<bool[]> Bools(ParquetRowGroupReader rg, DataField field, int n, CancellationToken ct) =>
        (await Column<bool>(rg, field, n, ct).ConfigureAwait(false)).Select(v => v == true).ToArray();

    private static Task<long?[]> Longs(ParquetRowGroupReader rg, DataField field, int n, CancellationToken ct) => Column<long>(rg, field, n, ct);

    /// <summary>A column of a value type, whether the file declares it required or optional.</summary>
    private static async Task<T?[]> Column<T>(ParquetRowGroupReader rg, DataField field, int n, CancellationToken ct)
        where T : struct
    {
        var result = new T?[n];
        if (field.IsNullable)
        {
            await rg.ReadAsync(field, result.AsMemory(), null, ct).ConfigureAwait(false);
            return result;
        }

        var values = new T[n];
        await rg.ReadAsync(field, values.AsMemory(), null, ct).ConfigureAwait(false);
        for (var i = 0; i < n; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
