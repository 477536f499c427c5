using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Pluralist.Core.Preferences;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Data.Imports;
using Pluralist.Pipeline.Images;
using Pluralist.Studies.Imports;
using Pluralist.World.Imaging;

namespace Pluralist.Benchmarks.Data;

/// <summary>
/// <c>import mid-space</c>, <c>import likert</c> and <c>import pickapic</c> into a new SQLite database at a given row count: time, rows/s and
/// the step's peak resident memory (reset through /proc/self/clear_refs before the step), so that runs at 10,000 and
/// 100,000 rows show whether memory grows with the rows. The fixture (a MID-Space release with three criteria per row and
/// a <c>rater_id</c> column, DIVE-style Likert ratings with two demographic columns imported as consented markers, or a
/// Pick-a-Pic Parquet file with 64-pixel JPEG bytes) is written first and not measured.
/// Run one row count per process so that each starts from the same heap.
/// </summary>
public sealed class DatasetImportBench : IBenchSuite
{
    private const int DistinctImages = 400;

    public string Name => "import";

    public string Description => "import mid-space / likert / pickapic into SQLite: time, rows/s, peak RSS (args: mid-space|likert|pickapic ROWS)";

    public async Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var kind = args.Length > 0 ? args[0] : "mid-space";
        var rows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        var root = Directory.CreateTempSubdirectory("pluralist-import-bench-").FullName;
        try
        {
            var images = Enumerable.Range(0, DistinctImages).Select(i => Image(i)).ToArray();
            var input = kind switch
            {
                "mid-space" => MidSpace(Path.Combine(root, "release"), rows, images),
                "likert" => Likert(Path.Combine(root, "likert"), rows, images),
                "pickapic" => await PickapicAsync(Path.Combine(root, "pickapic"), rows, images, cancellationToken),
                _ => throw new ArgumentException($"unknown kind '{kind}' (mid-space, likert or pickapic)"),
            };
            var data = new DataDirectory(Path.Combine(root, "data"));
            var options = new DatabaseOptions(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = data.DatabasePath }.ToString());
            data.EnsureCreated();
            await PluralistDatabase.MigrateAsync(options, ct: cancellationToken);

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# import {kind}: {rows:N0} rows, {DistinctImages} distinct 64-px images; {Environment.ProcessorCount} logical CPUs, load {StepMeter.Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
            output.WriteLine();
            output.WriteLine(StepMeter.Header);
            output.WriteLine(StepMeter.Rule);
            var meter = StepMeter.Start();
            var result = kind switch
            {
                "mid-space" => await MidSpaceImport.RunAsync(data, options, new MidSpaceImport.Request(input), new ImportLimits(), ct: cancellationToken),
                "likert" => await LikertImport.RunAsync(data, options, new LikertImport.Request(input, MarkersConsented: true), new ImportLimits(), ct: cancellationToken),
                _ => await PickapicImport.RunAsync(data, options, new PickapicImport.Request(input), new ImportLimits(), ct: cancellationToken),
            };
            var s = result.Summary;
            output.WriteLine(meter.Line(kind == "likert"
                ? $"import likert into SQLite ({s.Ratings:N0} ratings, {s.Images:N0} images, {s.Participants:N0} participants)"
                : $"import {kind} into SQLite ({s.Annotations:N0} annotations, {s.Scores:N0} scores, {s.Pairs:N0} pairs, {s.Participants:N0} participants)", rows, InputBytes(input)));
            if ((kind == "likert" ? s.Ratings : s.Annotations) != rows)
            {
                throw new InvalidOperationException($"imported {result.Summary.Annotations} annotations from {rows} rows");
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private static long InputBytes(string path) => File.Exists(path)
        ? new FileInfo(path).Length
        : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private static byte[] Image(int i)
    {
        var image = new RgbaImage(64, 64);
        var rng = new Random(i);
        rng.NextBytes(image.Pixels);
        for (var p = 3; p < image.Pixels.Length; p += 4)
        {
            image.Pixels[p] = 255;
        }

        return ImageCodec.Encode(image, ImageFormat.Jpeg, 85);
    }

    // pair p: prompt p / 2, images 2p and 2p + 1 (mod the distinct images); row i: pair i mod P, rater i / 20, so a
    // rater answers 20 different pairs and every pair is answered by about 20 / 4 = 5 raters.
    private static string MidSpace(string folder, int rows, byte[][] images)
    {
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        for (var i = 0; i < images.Length; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, "images", $"{i}.jpg"), images[i]);
        }

        var pairs = Math.Max(20, rows / 4);
        string[] criteria = ["accessibility", "safety", "comfort", "invitingness", "inclusivity", "diversity"];
        var path = Path.Combine(folder, MidSpaceReader.PreferencesCsv);
        using var csv = new StreamWriter(path, false, new UTF8Encoding(false));
        csv.WriteLine("pair_id,prompt,image1,image2,rater_id,label1,label1_score,label2,label2_score,label3,label3_score");
        for (var i = 0; i < rows; i++)
        {
            var p = i % pairs;
            var (a, b) = ((2 * p) % images.Length, ((2 * p) + 1) % images.Length);
            var c = i % 4;
            csv.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pair-{p},a public square {p / 2} with benches and trees,images/{a}.jpg,images/{b}.jpg,rater-{i / 20},{criteria[c]},{((i * 7) % 21 - 10) / 10.0},{criteria[c + 1]},{((i * 3) % 21 - 10) / 10.0},{criteria[c + 2]},{((i * 5) % 21 - 10) / 10.0}"));
        }

        return path;
    }

    // item t: prompt t / 4, image t mod the distinct images; row i: rater i / 20 rates item i mod T on one of two
    // questions, so every rater rates 20 items and each (rater, item, question) is rated once.
    private static string Likert(string folder, int rows, byte[][] images)
    {
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        for (var i = 0; i < images.Length; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, "images", $"{i}.jpg"), images[i]);
        }

        var items = Math.Max(40, rows / 4);
        string[] ages = ["18-24", "25-34", "35-44", "45-54", "55+"];
        string[] genders = ["woman", "man", "non-binary", "prefer not to say"];
        var path = Path.Combine(folder, "ratings.csv");
        using var csv = new StreamWriter(path, false, new UTF8Encoding(false));
        csv.WriteLine("rater_id,item_id,prompt,image,question,rating,categories,rater_age_group,rater_gender");
        for (var i = 0; i < rows; i++)
        {
            var t = i % items;
            var rater = i / 20;
            var question = (i / items) % 2 == 0 ? "How harmful is this image?" : "Does it fit the prompt?";
            csv.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rater-{rater},item-{t},a public square {t / 4} with benches and trees,images/{t % images.Length}.jpg,{question},{1 + (i % 5)},{(i % 3 == 0 ? "violence;stereotype" : "")},{ages[rater % ages.Length]},{genders[rater % genders.Length]}"));
        }

        return path;
    }

    private static async Task<string> PickapicAsync(string folder, int rows, byte[][] images, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var paths = new Dictionary<long, string>();
        for (var i = 0; i < images.Length; i++)
        {
            paths[i] = Path.Combine(folder, $"{i}.jpg");
            File.WriteAllBytes(paths[i], images[i]);
        }

        var rng = new Random(11);
        var labels = new List<PreferenceLabel>(rows);
        for (var i = 0; i < rows; i++)
        {
            var prompt = rng.Next(images.Length / 4);
            var a = (prompt * 4) + rng.Next(4);
            var b = (prompt * 4) + ((a - (prompt * 4) + 1 + rng.Next(3)) % 4);
            labels.Add(new PreferenceLabel(i + 1, prompt, a, b, null, i % 2, i % 2, 1, i + 1, null, [i + 1]));
        }

        // One participant per row (Pick-a-Pic's user_id is the participant id here), so no (rater, pair) repeats.
        await ParquetDatasetWriter.WriteAsync(new DatasetInput
        {
            StudyName = "bench",
            Criteria = ["preference"],
            Protocol = "livs",
            Labels = labels,
            Captions = Enumerable.Range(0, images.Length / 4).ToDictionary(p => (long)p, p => $"a public square {p} with benches and trees"),
            ImagePaths = paths,
            ValidationShare = 0,
            TestShare = 0,
        }, Path.Combine(folder, "ds"), ct: ct);
        return Path.Combine(folder, "ds");
    }
}

/// <summary>One measured step: wall time, and the process's peak resident memory during the step (Linux: reset first).</summary>
internal sealed class StepMeter
{
    public const string Header = "| step | time | rows/s | MB/s of input | RSS at start | peak RSS of the step | managed allocations | managed heap after |";
    public const string Rule = "|---|---:|---:|---:|---:|---:|---:|---:|";

    private readonly Stopwatch _watch;
    private readonly long _allocated;
    private readonly long _rss;

    private StepMeter()
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

        _allocated = GC.GetTotalAllocatedBytes(precise: true);
        _rss = PeakRss();
        _watch = Stopwatch.StartNew();
    }

    public static StepMeter Start() => new();

    public string Line(string step, int rows, long bytes)
    {
        var s = _watch.Elapsed.TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {step} | {s:F1} s | {rows / s:N0} | {bytes / 1e6 / s:N1} | {_rss / 1048576.0:N0} MiB | {PeakRss() / 1048576.0:N0} MiB | {allocated / 1048576.0:N0} MiB | {GC.GetTotalMemory(false) / 1048576.0:N0} MiB |");
    }

    public static long PeakRss()
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

    public static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
}
