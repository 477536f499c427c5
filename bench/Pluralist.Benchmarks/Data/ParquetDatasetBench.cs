using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pluralist.Core.Preferences;
using Pluralist.Data.Datasets;
using SkiaSharp;

namespace Pluralist.Benchmarks.Data;

/// <summary>
/// Exports a preference dataset of N pairs whose images are 512x512 JPEGs as Parquet (Pick-a-Pic layout, bytes in
/// the file) and reads it back. Reference in the same process: writing the same bytes as two files per row plus a
/// JSON line (and reading them back; the reference read runs last because its per-file arrays leave the largest
/// heap behind). Each step's peak resident memory is measured on its own (Linux: the peak is
/// reset through /proc/self/clear_refs before the step), with the managed bytes it allocated.
/// Options: <c>--row-group-mib N</c> and <c>--row-group-rows N</c> set <see cref="ParquetDatasetOptions"/>.
/// </summary>
public sealed class ParquetDatasetBench : IBenchSuite
{
    public string Name => "parquet";

    public string Description => "Parquet preference dataset export and read-back, 512-px JPEG bytes (args: ROWS [IMAGES] [--row-group-mib N] [--row-group-rows N]), against plain files";

    public async Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new ParquetDatasetOptions();
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--row-group-mib" when i + 1 < args.Length:
                    options = options with { RowGroupBytes = long.Parse(args[++i], CultureInfo.InvariantCulture) << 20 };
                    break;
                case "--row-group-rows" when i + 1 < args.Length:
                    options = options with { RowGroupRows = int.Parse(args[++i], CultureInfo.InvariantCulture) };
                    break;
                default:
                    positional.Add(args[i]);
                    break;
            }
        }

        var rows = positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 10_000;
        var distinct = positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 2_000;
        var root = Directory.CreateTempSubdirectory("pluralist-parquet-bench-").FullName;
        try
        {
            var (paths, bytes) = MakeImages(Path.Combine(root, "images"), distinct);
            var input = Input(rows, distinct, paths);
            var payload = input.Labels.Sum(l => (long)bytes[l.Image0Id] + bytes[l.Image1Id]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# parquet: {rows:N0} pairs over {distinct:N0} distinct 512x512 JPEGs (mean {bytes.Values.Average() / 1024:F0} KiB), {payload / 1e9:F2} GB of image bytes per copy; {Environment.ProcessorCount} logical CPUs, load {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
            output.WriteLine();
            output.WriteLine("| step | time | rows/s | MB/s | RSS at start | peak RSS of the step | managed allocations | managed heap after |");
            output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");

            var files = Path.Combine(root, "files");
            var sw = Measure();
            WriteFiles(input, files);
            Line(output, "reference: same bytes as 2 files per row + pairs.jsonl", sw, rows, payload);

            sw = Measure();
            var outDir = Path.Combine(root, "parquet");
            await ParquetDatasetWriter.WriteAsync(input, outDir, options, ct: cancellationToken);
            Line(output, string.Create(CultureInfo.InvariantCulture,
                $"Parquet export (Pick-a-Pic layout, row groups of at most {options.RowGroupRows:N0} rows / {options.RowGroupBytes >> 20} MiB)"), sw, rows, payload);

            sw = Measure();
            long back = 0;
            var count = 0;
            await foreach (var r in PreferenceParquetReader.ReadViewsAsync(outDir, ct: cancellationToken))
            {
                back += r.Jpg0.Length + r.Jpg1.Length;
                count++;
            }

            if (count != rows || back != payload)
            {
                throw new InvalidOperationException($"read back {count} rows and {back} bytes, wrote {rows} and {payload}");
            }

            Line(output, "Parquet read-back (ReadViewsAsync: images as views into the reader's reused buffer)", sw, rows, back);

            sw = Measure();
            back = 0;
            await foreach (var r in PreferenceParquetReader.ReadAsync(outDir, ct: cancellationToken))
            {
                back += r.Jpg0.Length + r.Jpg1.Length;
            }

            Line(output, "Parquet read-back (ReadAsync: each row owns copies of its images)", sw, rows, back);

            sw = Measure();
            var read = ReadFiles(files);
            Line(output, "reference: read the files back", sw, rows, read);
            var size = Directory.EnumerateFiles(Path.Combine(outDir, "data")).Sum(f => new FileInfo(f).Length);
            var groups = 0;
            foreach (var f in Directory.EnumerateFiles(Path.Combine(outDir, "data")))
            {
                await using var stream = File.OpenRead(f);
                await using var reader = await Parquet.ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
                groups += reader.RowGroupCount;
            }

            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Parquet files: {size / 1e9:F2} GB in {Directory.GetFiles(Path.Combine(outDir, "data")).Length} file(s), {groups} row group(s); plain files: {Directory.EnumerateFiles(files).Count():N0}; process peak RSS {PeakRss() / 1048576.0:N0} MiB since the last reset."));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static (Dictionary<long, string> Paths, Dictionary<long, int> Bytes) MakeImages(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var paths = new Dictionary<long, string>();
        var sizes = new Dictionary<long, int>();
        var rng = new Random(7);
        using var bitmap = new SKBitmap(512, 512);
        for (var i = 0; i < count; i++)
        {
            // Gradients with noise: JPEG sizes like a photograph's (tens of KiB), not like a flat colour's.
            var (r0, g0, b0) = (rng.Next(256), rng.Next(256), rng.Next(256));
            var pixels = new SKColor[512 * 512];
            for (var y = 0; y < 512; y++)
            {
                for (var x = 0; x < 512; x++)
                {
                    var n = rng.Next(48);
                    pixels[(y * 512) + x] = new SKColor((byte)((r0 + x / 4 + n) & 255), (byte)((g0 + y / 4 + n) & 255), (byte)((b0 + (x + y) / 8 + n) & 255));
                }
            }

            bitmap.Pixels = pixels;
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
            var path = Path.Combine(folder, $"{i}.jpg");
            File.WriteAllBytes(path, data.ToArray());
            paths[i] = path;
            sizes[i] = (int)data.Size;
        }

        return (paths, sizes);
    }

    private static DatasetInput Input(int rows, int distinct, Dictionary<long, string> paths)
    {
        var rng = new Random(11);
        var prompts = Math.Max(1, distinct / 4);
        var labels = new List<PreferenceLabel>(rows);
        for (var i = 0; i < rows; i++)
        {
            // Four images per prompt; a pair is two of them.
            var prompt = rng.Next(prompts);
            var a = (prompt * 4) + rng.Next(4);
            var b = (prompt * 4) + ((a - (prompt * 4) + 1 + rng.Next(3)) % 4);
            var label0 = rng.Next(2);
            labels.Add(new PreferenceLabel(i + 1, prompt, a, b, null, label0, label0 == 1 ? 0.8 : 0.2, 1, 1 + rng.Next(500), null, [i + 1]));
        }

        return new DatasetInput
        {
            StudyName = "bench",
            Criteria = ["safety"],
            Protocol = "livs",
            Labels = labels,
            Captions = Enumerable.Range(0, prompts).ToDictionary(p => (long)p, p => $"a public square with benches and trees, variant {p}"),
            ImagePaths = paths,
            SplitSeed = 1,
        };
    }

    private static void WriteFiles(DatasetInput input, string folder)
    {
        Directory.CreateDirectory(folder);
        using var jsonl = new StreamWriter(Path.Combine(folder, "pairs.jsonl"), false, new UTF8Encoding(false));
        foreach (var l in input.Labels)
        {
            var n0 = string.Create(CultureInfo.InvariantCulture, $"{l.PairId}_0.jpg");
            var n1 = string.Create(CultureInfo.InvariantCulture, $"{l.PairId}_1.jpg");
            File.WriteAllBytes(Path.Combine(folder, n0), File.ReadAllBytes(input.ImagePaths[l.Image0Id]));
            File.WriteAllBytes(Path.Combine(folder, n1), File.ReadAllBytes(input.ImagePaths[l.Image1Id]));
            jsonl.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""{"caption":"{{input.Captions[l.PromptId]}}","jpg_0":"{{n0}}","jpg_1":"{{n1}}","label_0":{{l.Label0}}}"""));
        }
    }

    private static long ReadFiles(string folder)
    {
        long total = 0;
        foreach (var line in File.ReadLines(Path.Combine(folder, "pairs.jsonl")))
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            total += File.ReadAllBytes(Path.Combine(folder, node["jpg_0"]!.GetValue<string>())).Length;
            total += File.ReadAllBytes(Path.Combine(folder, node["jpg_1"]!.GetValue<string>())).Length;
        }

        return total;
    }

    private static long allocatedAtStart;
    private static long rssAtStart;

    /// <summary>Resets the process's peak resident size (Linux 4.0+) and starts a stopwatch.</summary>
    private static Stopwatch Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux: the peak is then the process's peak so far.
        }

        allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        rssAtStart = PeakRss();
        return Stopwatch.StartNew();
    }

    private static void Line(TextWriter output, string step, Stopwatch sw, int rows, long bytes)
    {
        var s = sw.Elapsed.TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {step} | {s:F1} s | {rows / s:N0} | {bytes / 1e6 / s:N0} | {rssAtStart / 1048576.0:N0} MiB | {PeakRss() / 1048576.0:N0} MiB | {allocated / 1048576.0:N0} MiB | {GC.GetTotalMemory(false) / 1048576.0:N0} MiB |"));
    }

    private static long PeakRss()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? Environment.WorkingSet : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return Environment.WorkingSet;
        }
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
