using ParquetSharp;
using Pluralist.Core.Preferences;
using Pluralist.Data.Datasets;
using SkiaSharp;

namespace Pluralist.Data.Tests.Datasets;

/// <summary>
/// The Parquet preference dataset, read back with an independent implementation (ParquetSharp, the Apache Arrow
/// C++ reader) and an independent image decoder (Skia).
/// </summary>
public sealed class ParquetDatasetTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "pluralist-pq-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Pick-a-Pic v2's columns with their Parquet physical and logical types, then Pluralist's.</summary>
    private static readonly (string Path, PhysicalType Physical, string Logical)[] ExpectedColumns =
    [
        ("are_different", PhysicalType.Boolean, "None"),
        ("best_image_uid", PhysicalType.ByteArray, "String"),
        ("caption", PhysicalType.ByteArray, "String"),
        ("has_label", PhysicalType.Boolean, "None"),
        ("image_0_uid", PhysicalType.ByteArray, "String"),
        ("image_1_uid", PhysicalType.ByteArray, "String"),
        ("jpg_0", PhysicalType.ByteArray, "None"),
        ("jpg_1", PhysicalType.ByteArray, "None"),
        ("label_0", PhysicalType.Double, "None"),
        ("label_1", PhysicalType.Double, "None"),
        ("model_0", PhysicalType.ByteArray, "String"),
        ("model_1", PhysicalType.ByteArray, "String"),
        ("user_id", PhysicalType.Int64, "Int(bitWidth=64, isSigned=true)"),
        ("split", PhysicalType.ByteArray, "String"),
        ("pair_id", PhysicalType.Int64, "Int(bitWidth=64, isSigned=true)"),
        ("prompt_id", PhysicalType.Int64, "Int(bitWidth=64, isSigned=true)"),
        ("image_0_id", PhysicalType.Int64, "Int(bitWidth=64, isSigned=true)"),
        ("image_1_id", PhysicalType.Int64, "Int(bitWidth=64, isSigned=true)"),
        ("criterion", PhysicalType.ByteArray, "String"),
        ("soft_label", PhysicalType.Double, "None"),
        ("tie_resolved", PhysicalType.Boolean, "None"),
        ("weight", PhysicalType.Double, "None"),
        ("group", PhysicalType.ByteArray, "String"),
        ("source_answers.list.element", PhysicalType.Int64, "Int(bitWidth=64, isSigned=true)"),
    ];

    private static byte[] Image(int seed, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(24, 16);
        for (var y = 0; y < 16; y++)
        {
            for (var x = 0; x < 24; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)(seed * 40), (byte)(x * 10), (byte)(y * 15)));
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>
    /// 40 labels over 8 prompts: three in four decided, one in four a tie (label_0 0.5); image 1 of each prompt a JPEG.
    /// </summary>
    private DatasetInput Input(Func<int, PreferenceLabel>? make = null)
    {
        var src = Path.Combine(dir, "src");
        Directory.CreateDirectory(src);
        var paths = new Dictionary<long, string>();
        var models = new Dictionary<long, string>();
        for (var prompt = 1; prompt <= 8; prompt++)
        {
            foreach (var k in new[] { 0, 1 })
            {
                var id = (prompt * 10) + k;
                var path = Path.Combine(src, $"{id}.{(k == 0 ? "png" : "jpg")}");
                File.WriteAllBytes(path, Image(prompt + k, k == 0 ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg));
                paths[id] = path;
                models[id] = k == 0 ? "world/1" : "embedded-diffusion/base";
            }
        }

        make ??= i =>
        {
            var prompt = (i % 8) + 1;
            var tie = i % 4 == 3;
            var label0 = tie ? 0.5 : i % 2;
            return new PreferenceLabel(100 + i, prompt, prompt * 10, (prompt * 10) + 1, i % 3 == 0 ? "safety" : null, label0, tie ? 0.5 : (i % 2 == 0 ? 0.2 : 0.8),
                i % 5 == 0 ? 2 : 1, i % 7 == 0 ? null : 1 + (i % 6), null, [1000 + i, 2000 + i]);
        };
        var labels = Enumerable.Range(0, 40).Select(make).ToList();
        return new DatasetInput
        {
            StudyName = "Parquet \"test\" study",
            Criteria = ["safety", "comfort"],
            Protocol = "soft",
            Labels = labels,
            Captions = Enumerable.Range(1, 8).ToDictionary(p => (long)p, p => $"une place publique {p}, with benches"),
            ImagePaths = paths,
            ImageModels = models,
            MinGroupSize = 3,
            SplitSeed = 4,
        };
    }

    private static List<string> ParquetFiles(string outDir) => Directory.GetFiles(Path.Combine(outDir, "data"), "*.parquet").Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Export_has_pick_a_pic_columns_and_types_decodable_images_and_no_half_labels()
    {
        var input = Input();
        var outDir = Path.Combine(dir, "out");
        var result = await ParquetDatasetWriter.WriteAsync(input, outDir, new ParquetDatasetOptions { RowGroupRows = 4 });

        Assert.Equal(10, result.TiesDropped);
        Assert.Equal(30, result.Rows);
        Assert.Contains(result.Warnings, w => w.Contains("10 tied label(s)", StringComparison.Ordinal));
        var files = ParquetFiles(outDir);
        Assert.Equal(result.RowsPerSplit.Count, files.Count);
        Assert.All(files, f => Assert.Matches(@"^(train|validation|test)-00000-of-00001\.parquet$", Path.GetFileName(f)));

        var total = 0L;
        var expected = input.Labels.Where(l => l.Label0 != 0.5).ToDictionary(l => l.PairId);
        foreach (var file in files)
        {
            using var reader = new ParquetFileReader(file);
            var meta = reader.FileMetaData;
            var columns = Enumerable.Range(0, meta.Schema.NumColumns).Select(i => meta.Schema.Column(i))
                .Select(c => (c.Path.ToDotString(), c.PhysicalType, c.LogicalType.ToString())).ToArray();
            Assert.Equal(ExpectedColumns, columns);
            var split = Path.GetFileName(file).Split('-')[0];
            Assert.Equal(result.RowsPerSplit[split], meta.NumRows);
            total += meta.NumRows;
            Assert.Equal((int)Math.Ceiling(meta.NumRows / 4.0), meta.NumRowGroups);

            for (var g = 0; g < meta.NumRowGroups; g++)
            {
                using var rg = reader.RowGroup(g);
                var n = checked((int)rg.MetaData.NumRows);
                T[] Read<T>(string name) => rg.Column(Array.FindIndex(ExpectedColumns, c => c.Path == name)).LogicalReader<T>().ReadAll(n);
                var caption = Read<string>("caption");
                var jpg0 = Read<byte[]>("jpg_0");
                var jpg1 = Read<byte[]>("jpg_1");
                var label0 = Read<double>("label_0");
                var label1 = Read<double>("label_1");
                var pair = Read<long>("pair_id");
                var uid0 = Read<string>("image_0_uid");
                var uid1 = Read<string>("image_1_uid");
                var best = Read<string>("best_image_uid");
                var model1 = Read<string>("model_1");
                var user = Read<long?>("user_id");
                var splitColumn = Read<string>("split");
                var sources = Read<long[]>("source_answers.list.element");
                for (var i = 0; i < n; i++)
                {
                    var label = expected[pair[i]];
                    Assert.Equal(label.Label0, label0[i]);
                    Assert.Equal(1 - label0[i], label1[i]);
                    Assert.NotEqual(0.5, label0[i]);
                    Assert.Equal(input.Captions[label.PromptId], caption[i]);
                    Assert.Equal(File.ReadAllBytes(input.ImagePaths[label.Image0Id]), jpg0[i]);
                    using (var decoded0 = SKBitmap.Decode(jpg0[i]))
                    using (var decoded1 = SKBitmap.Decode(jpg1[i]))
                    {
                        Assert.Equal(24, decoded0.Width);
                        Assert.Equal(16, decoded1.Height);
                    }

                    Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(jpg1[i])), uid1[i]);
                    Assert.Equal(label0[i] == 1 ? uid0[i] : uid1[i], best[i]);
                    Assert.Equal("embedded-diffusion/base", model1[i]);
                    Assert.Equal(label.ParticipantId, user[i]);
                    Assert.Equal(split, splitColumn[i]);
                    Assert.Equal(label.SourceAnswers, sources[i]);
                }
            }
        }

        Assert.Equal(30, total);
        var card = File.ReadAllText(Path.Combine(outDir, "README.md"));
        Assert.StartsWith("---\nlicense: cc-by-4.0\n", card, StringComparison.Ordinal);
        Assert.Contains("pretty_name: \"Parquet \\\"test\\\" study\"", card, StringComparison.Ordinal);
        foreach (var (split, rows) in result.RowsPerSplit)
        {
            Assert.Contains($"  - split: {split}\n    path: data/{split}-*.parquet\n", card, StringComparison.Ordinal);
            Assert.Contains($"  - name: {split}\n    num_examples: {rows}\n", card, StringComparison.Ordinal);
        }

        Assert.Contains("  - name: jpg_0\n    dtype: binary\n", card, StringComparison.Ordinal);
        Assert.Contains("  - name: source_answers\n    sequence: int64\n", card, StringComparison.Ordinal);
        Assert.Contains("Ties: 10 left out, 0 kept", card, StringComparison.Ordinal);
        Assert.Single(Directory.GetFileSystemEntries(dir), e => Path.GetFileName(e) == "out");
    }

    [Fact]
    public async Task Ties_kept_on_request_have_soft_half_and_a_resolved_label()
    {
        var input = Input();
        var outDir = Path.Combine(dir, "soft");
        var result = await ParquetDatasetWriter.WriteAsync(input, outDir, new ParquetDatasetOptions { Ties = TiePolicy.KeepSoft });
        Assert.Equal(40, result.Rows);
        Assert.Equal(10, result.TiesKept);

        var rows = await PreferenceParquetReader.ReadAsync(outDir).ToListAsync();
        Assert.Equal(40, rows.Count);
        var ties = rows.Where(r => r.TieResolved).ToList();
        Assert.Equal(10, ties.Count);
        Assert.All(ties, r => Assert.Equal(0.5, r.SoftLabel));
        Assert.All(rows, r => Assert.True(r.Label0 is 0 or 1));
        // The coin favours no side: both resolutions occur among ten ties.
        Assert.Contains(ties, r => r.Label0 == 0);
        Assert.Contains(ties, r => r.Label0 == 1);

        // The same seed resolves the same way: the file is reproducible.
        var again = Path.Combine(dir, "soft2");
        await ParquetDatasetWriter.WriteAsync(input, again, new ParquetDatasetOptions { Ties = TiePolicy.KeepSoft });
        Assert.Equal(rows.Select(r => r.Label0), (await PreferenceParquetReader.ReadAsync(again).ToListAsync()).Select(r => r.Label0));
    }

    [Fact]
    public async Task Reader_gives_back_what_the_writer_wrote_across_row_groups_and_shards()
    {
        var input = Input();
        var outDir = Path.Combine(dir, "sharded");
        // Tiny shards: every row group closes its file.
        var result = await ParquetDatasetWriter.WriteAsync(input, outDir, new ParquetDatasetOptions { RowGroupRows = 3, ShardBytes = 1 });
        var files = ParquetFiles(outDir);
        var train = files.Where(f => Path.GetFileName(f).StartsWith("train-", StringComparison.Ordinal)).ToList();
        Assert.Equal((int)Math.Ceiling(result.RowsPerSplit["train"] / 3.0), train.Count);
        Assert.Equal($"train-00000-of-{train.Count:D5}.parquet", Path.GetFileName(train[0]));

        var rows = await PreferenceParquetReader.ReadAsync(outDir).ToListAsync();
        var byPair = input.Labels.ToDictionary(l => l.PairId);
        Assert.Equal(result.Rows, rows.Count);
        foreach (var r in rows)
        {
            var l = byPair[r.PairId!.Value];
            Assert.Equal(l.Label0, r.Label0);
            Assert.Equal(l.SoftLabel, r.SoftLabel);
            Assert.Equal(l.Weight, r.Weight);
            Assert.Equal(l.Criterion, r.Criterion);
            Assert.Equal(input.Captions[l.PromptId], r.Caption);
        }

        var trainOnly = await PreferenceParquetReader.ReadAsync(outDir, "train").ToListAsync();
        Assert.Equal(result.RowsPerSplit["train"], trainOnly.Count);
        Assert.All(trainOnly, r => Assert.Equal("train", r.Split));
    }

    [Fact]
    public async Task A_missing_image_or_an_occupied_folder_writes_nothing()
    {
        var input = Input();
        File.Delete(input.ImagePaths[31]);
        var outDir = Path.Combine(dir, "broken");
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ParquetDatasetWriter.WriteAsync(input, outDir));
        Assert.Contains("image 31 of pair", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(dir), p => Path.GetFileName(p).StartsWith(".broken", StringComparison.Ordinal));

        var occupied = Path.Combine(dir, "occupied");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "keep.txt"), "mine");
        await Assert.ThrowsAsync<IOException>(() => ParquetDatasetWriter.WriteAsync(Input(), occupied));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(occupied).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Reader_names_the_file_row_and_column_of_bad_data()
    {
        var path = Path.Combine(dir, "bad", "train-00000-of-00001.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var png = Image(1, SKEncodedImageFormat.Png);
        using (var writer = new ParquetFileWriter(path, [new Column<string>("caption"), new Column<byte[]>("jpg_0"), new Column<byte[]>("jpg_1"), new Column<double?>("label_0")]))
        {
            using var rg = writer.AppendRowGroup();
            using (var c = rg.NextColumn().LogicalWriter<string>())
            {
                c.WriteBatch(["a", "b", "c"]);
            }

            using (var c = rg.NextColumn().LogicalWriter<byte[]>())
            {
                c.WriteBatch([png, png, png]);
            }

            using (var c = rg.NextColumn().LogicalWriter<byte[]>())
            {
                c.WriteBatch([png, png, png]);
            }

            using (var c = rg.NextColumn().LogicalWriter<double?>())
            {
                c.WriteBatch([1, 0, 1.5]);
            }

            writer.Close();
        }

        // A Pick-a-Pic-style file written by another tool (optional label column, split from the file name) reads until row 3.
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await PreferenceParquetReader.ReadAsync(Path.Combine(dir, "bad")).ToListAsync());
        Assert.Equal($"{path}: row 3: column 'label_0' must be in [0, 1], got 1.5", e.Message);

        var noJpg = Path.Combine(dir, "nojpg", "x.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(noJpg)!);
        using (var writer = new ParquetFileWriter(noJpg, [new Column<string>("caption"), new Column<double>("label_0")]))
        {
            writer.Close();
        }

        e = await Assert.ThrowsAsync<InvalidDataException>(async () => await PreferenceParquetReader.ReadAsync(noJpg).ToListAsync());
        Assert.Contains("no column 'jpg_0'", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Row count and image bytes (<c>jpg_0</c> + <c>jpg_1</c>) of each row of each row group of a file, read with ParquetSharp.</summary>
    private static List<List<long>> RowGroupImageBytes(string file)
    {
        using var reader = new ParquetFileReader(file);
        var groups = new List<List<long>>();
        for (var g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            using var rg = reader.RowGroup(g);
            var n = checked((int)rg.MetaData.NumRows);
            using var c0 = rg.Column(6).LogicalReader<byte[]>();
            using var c1 = rg.Column(7).LogicalReader<byte[]>();
            var a = c0.ReadAll(n);
            var b = c1.ReadAll(n);
            groups.Add(Enumerable.Range(0, n).Select(i => (long)a[i].Length + b[i].Length).ToList());
        }

        return groups;
    }

    [Fact]
    public async Task Writer_closes_each_row_group_at_the_configured_bound_and_hands_it_out_before_reading_on()
    {
        Assert.Equal(100, new ParquetDatasetOptions().RowGroupRows);
        Assert.Equal(32L << 20, new ParquetDatasetOptions().RowGroupBytes);

        var input = Input();
        // About three rows' worth of image bytes: groups close on bytes, not on the (large) row bound.
        var pairBytes = input.Labels.Max(l => new FileInfo(input.ImagePaths[l.Image0Id]).Length + new FileInfo(input.ImagePaths[l.Image1Id]).Length);
        var bound = (pairBytes * 3) - 1;
        var progress = new List<int>();
        var outDir = Path.Combine(dir, "bounded");
        var result = await ParquetDatasetWriter.WriteAsync(input, outDir, new ParquetDatasetOptions { RowGroupBytes = bound, RowGroupRows = 1000 }, new SyncProgress(progress));

        var perFile = ParquetFiles(outDir).Select(RowGroupImageBytes).ToList();
        var groups = perFile.SelectMany(g => g).ToList();
        Assert.Equal(result.Rows, groups.Sum(g => g.Count));
        Assert.True(groups.Count >= result.Rows / 4, $"{groups.Count} row groups for {result.Rows} rows");
        foreach (var file in perFile)
        {
            // Closed by the row that reaches the bound: everything before it stayed under, and every group but the
            // split's last did reach it.
            Assert.All(file, g => Assert.True(g.Take(g.Count - 1).Sum() < bound, $"row group of {g.Count} rows, {g.Sum()} bytes, bound {bound}"));
            Assert.All(file.SkipLast(1), g => Assert.True(g.Sum() >= bound, $"row group of {g.Count} rows closed at {g.Sum()} bytes, bound {bound}"));
        }

        // Rows went to the file one whole row group at a time: one report per group, each the previous plus that group's rows.
        Assert.Equal(result.Rows, progress[^1]);
        var steps = progress.Select((p, i) => p - (i == 0 ? 0 : progress[i - 1])).Order().ToList();
        Assert.Equal(groups.Select(g => g.Count).Order().ToList(), steps);

        // The row bound alone: groups of exactly 5 rows but each split's last.
        var byRows = Path.Combine(dir, "rows");
        var r5 = await ParquetDatasetWriter.WriteAsync(Input(), byRows, new ParquetDatasetOptions { RowGroupRows = 5 });
        foreach (var file in ParquetFiles(byRows))
        {
            var counts = RowGroupImageBytes(file).Select(g => g.Count).ToList();
            Assert.All(counts.SkipLast(1), c => Assert.Equal(5, c));
            Assert.InRange(counts[^1], 1, 5);
        }

        Assert.Equal(r5.Rows, ParquetFiles(byRows).SelectMany(RowGroupImageBytes).Sum(g => g.Count));
    }

    [Fact]
    public async Task Reader_reads_a_row_group_only_when_its_first_row_is_asked_for()
    {
        var outDir = Path.Combine(dir, "lazy");
        await ParquetDatasetWriter.WriteAsync(Input(), outDir, new ParquetDatasetOptions { RowGroupRows = 4 });
        var file = ParquetFiles(outDir).First(f => Path.GetFileName(f).StartsWith("train-", StringComparison.Ordinal));
        long second;
        long third;
        using (var reader = new ParquetFileReader(file))
        {
            Assert.True(reader.FileMetaData.NumRowGroups >= 3);
            // Column chunks follow each other after the 4-byte magic: a group starts where the one before it ends.
            long Size(int g)
            {
                using var rg = reader.RowGroup(g);
                return Enumerable.Range(0, rg.MetaData.NumColumns).Sum(c => rg.MetaData.GetColumnChunkMetaData(c).TotalCompressedSize);
            }

            second = 4 + Size(0);
            third = second + Size(1);
        }

        // Wreck the second row group: reading it can only fail.
        await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.Position = second;
            stream.Write(Enumerable.Repeat((byte)0xFF, checked((int)(third - second))).ToArray());
        }

        var rows = new List<ParquetPreferenceRow>();
        var failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (var row in PreferenceParquetReader.ReadAsync(file))
            {
                rows.Add(row);
            }
        });

        // The first group's four rows were handed out before the second group was touched.
        Assert.NotNull(failure);
        Assert.Equal([1L, 2L, 3L, 4L], rows.Select(r => r.Row));
        Assert.All(rows, r => Assert.NotEmpty(r.Jpg0));
    }

    private sealed class SyncProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }
}
