using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Cleaning;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Studies.Reports;
using Pluralist.Testing;

namespace Pluralist.Benchmarks.Analysis;

/// <summary>
/// The full study report (what <c>pluralist analyze study</c> does) on a seeded SQLite study of
/// about 100,000 answers plus 30,000 Likert ratings (DIVE task), against the time to just load the
/// study's rows (answers and ratings) from the database, in the same process; each report section
/// is timed. The reference is timed <see cref="ReferenceLoads"/> times after a warm-up load, and the ratios use
/// the median of those loads (the first alone is also printed, as earlier tables used it). Options: <c>--participants N</c> (default 255: about 100,000 answers),
/// <c>--ratings N</c> (default 30000), <c>--permutations N</c> and <c>--bootstrap N</c> (default
/// 1000 each, as the command), <c>--group-bootstrap N</c> (case study IV's per-group fits; default as the command, 200).
/// </summary>
public sealed class StudyReportBench : IBenchSuite
{
    public string Name => "report";

    public string Description => "Full study report (every section, HTML, tables) on about 100,000 stored answers and 30,000 Likert ratings";

    public async Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var participants = Option(args, "--participants", 255);
        var permutations = Option(args, "--permutations", 1000);
        var bootstrap = Option(args, "--bootstrap", 1000);
        var groupBootstrap = Option(args, "--group-bootstrap", StudyReportBuilder.DefaultGroupBootstrapReplicates);
        var likert = Option(args, "--ratings", 30_000);
        var dir = Path.Combine(Path.GetTempPath(), "pluralist-report-bench-" + Guid.NewGuid().ToString("N"));
        var data = new DataDirectory(dir);
        data.EnsureCreated();
        try
        {
            var options = new DatabaseOptions(DatabaseProvider.Sqlite, $"Data Source={data.DatabasePath}");
            var clock = Stopwatch.StartNew();
            var seed = await SeededStudy.SeedAsync(options, data.ImagesPath, new SeedOptions
            {
                Participants = participants,
                Prompts = 50,
                ImagesPerPrompt = 6,
                AnswersPerParticipant = 80,
                Speeders = participants / 10,
                StraightLiners = participants / 20,
            }, cancellationToken);
            var ratings = await SeedLikertAsync(options, seed.Study.Id, likert, seed: 11, cancellationToken);
            var seeding = clock.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# report: {seed.Answers.Count:N0} answers from {participants} participants, 50 prompts x 6 images + 1 evaluation pair each, and {ratings:N0} Likert ratings (harm-self, harm-others) from the same participants; {permutations} permutations, {bootstrap} bootstrap replicates ({Math.Min(groupBootstrap, bootstrap)} for case study IV's per-group fits); {Environment.ProcessorCount} logical CPUs (shared); seeding took {seeding:F1} s; load average {LoadAverage()}"));
            output.WriteLine();
            output.WriteLine($"Ratios are against the median of {ReferenceLoads} row loads (after a warm-up load), each listed; the last line also gives the full report against the first of them alone, as the single reference load of earlier tables.");
            output.WriteLine();
            output.WriteLine("| step | wall time | process CPU time | wall time relative to loading the rows (median) | CPU time relative to loading the rows (median) | allocated | collections (gen 0/1/2) | GC pause |");
            output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");

            // Warm up EF and the JIT on a first load, then time the reference: the answer rows and the rating rows only.
            async Task<(List<CleaningRow> Rows, int Ratings)> LoadRows()
            {
                await using var db = PluralistDatabase.CreateContext(options);
                var answers = (await StudyDatasetLoader.LoadAsync(db, "demo", cancellationToken)).Rows;
                var likertRows = await StudyReportInputs.LikertRowsAsync(db, seed.Study.Id, cancellationToken);
                return ([.. answers], likertRows.Count);
            }

            // The row load's own time varies by a third from run to run (docs/performance.md), so it is timed several times and
            // the ratios use the median; the first timed load alone is what earlier tables used.
            await LoadRows();
            var loads = new List<(double Wall, double Cpu, GcUse Gc)>();
            var (rows, loadedRatings) = (new List<CleaningRow>(), 0);
            for (var l = 0; l < ReferenceLoads; l++)
            {
                var (wall, timed) = await TimeAsync(LoadRows);
                (rows, loadedRatings) = timed;
                loads.Add((wall, _lastCpu, _lastGc));
            }

            var load = Median(loads.Select(l => l.Wall));
            var loadCpu = Median(loads.Select(l => l.Cpu));
            void Line(string step, double seconds, double? cpu = null, GcUse? gc = null) =>
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {step} | {seconds * 1000:F0} ms | {(cpu is { } c ? $"{c * 1000:F0} ms" : "")} | {seconds / load:F1}x | {(cpu is { } d && loadCpu > 0 ? $"{d / loadCpu:F1}x" : "")} | {(gc is { } g ? $"{g.Bytes / 1048576.0:F0} MiB | {g.Gen0}/{g.Gen1}/{g.Gen2} | {g.Pause * 1000:F0} ms" : " | | ")} |"));
            for (var l = 0; l < loads.Count; l++)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"reference load {l + 1} of {ReferenceLoads}: the {rows.Count:N0} answer rows and {loadedRatings:N0} rating rows (`StudyDatasetLoader.LoadAsync`, `StudyReportInputs.LikertRowsAsync`){(l == 0 ? " (the single load of earlier tables)" : "")}"), loads[l].Wall, loads[l].Cpu, loads[l].Gc);
            }

            Line(string.Create(CultureInfo.InvariantCulture, $"**reference: median of the {ReferenceLoads} row loads** (CPU {string.Join(", ", loads.Select(l => (l.Cpu * 1000).ToString("F0", CultureInfo.InvariantCulture)))} ms)"), load, loadCpu);

            var (clean, _) = await TimeAsync(async () =>
            {
                var run = CleaningEngine.Run(rows, CleaningRuleSet.Default);
                await using var db = PluralistDatabase.CreateContext(options);
                return await CleaningStore.SaveAsync(db, seed.Study.Id, run, CleaningRuleSet.DefaultJson, DateTimeOffset.UtcNow, cancellationToken);
            });
            Line("clean: run the default rules and store the run (`pluralist clean`)", clean, _lastCpu, _lastGc);

            var total = Stopwatch.StartNew();
            var totalCpu = Cpu();
            var totalGc = GcUse.Now();
            var (loadInput, loaded) = await TimeAsync(() => StudyReportInputs.LoadAsync(options, new StudyReportInputs.Request { Study = "demo", Permutations = permutations, BootstrapReplicates = bootstrap, GroupBootstrapReplicates = groupBootstrap }, cancellationToken));
            var input = loaded.Input;
            Line("report input: rows, latest cleaning run applied, pseudonyms, sources, consented markers", loadInput, _lastCpu, _lastGc);
            // Process CPU time per section, read when the builder reports each section done (synchronously, on its thread).
            var sectionCpu = new Dictionary<string, double>(StringComparer.Ordinal);
            var sectionGc = new Dictionary<string, GcUse>(StringComparer.Ordinal);
            var before = Cpu();
            var beforeGc = GcUse.Now();
            var sections = new SyncProgress<(int Done, int Total, string Section)>(p =>
            {
                var now = Cpu();
                var nowGc = GcUse.Now();
                sectionCpu[p.Section] = now - before;
                sectionGc[p.Section] = nowGc - beforeGc;
                before = now;
                beforeGc = nowGc;
            });
            var (build, report) = Time(() => StudyReportBuilder.Build(input, sections));
            Line(string.Create(CultureInfo.InvariantCulture, $"build every analysis ({input.Rows.Count:N0} kept answers, {input.Ratings.Count:N0} ratings)"), build, _lastCpu, _lastGc);
            foreach (var section in report.Sections)
            {
                Line($"- of which {section.Heading}", report.SectionSeconds[section.Id], sectionCpu.GetValueOrDefault(section.Id), sectionGc.GetValueOrDefault(section.Id));
            }

            var (render, html) = Time(() => ReportHtml.Render(report));
            Line(string.Create(CultureInfo.InvariantCulture, $"render the HTML page ({html.Length / 1024.0 / 1024:F1} MiB, Vega inline)"), render, _lastCpu, _lastGc);
            var (tables, _) = Time(() =>
            {
                File.WriteAllText(Path.Combine(dir, "report.html"), html);
                report.WriteTables(Path.Combine(dir, "tables"));
                return 0;
            });
            Line("write the page and the CSV/JSON tables", tables, _lastCpu, _lastGc);
            var (reportWall, reportCpu) = (total.Elapsed.TotalSeconds, Cpu() - totalCpu);
            Line("**full report (input + analyses + page + tables)**", reportWall, reportCpu, GcUse.Now() - totalGc);
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"full report CPU time relative to the median row load: {reportCpu / loadCpu:F1}x ({reportCpu:F2} s / {loadCpu:F2} s; the loads' CPU times ranged {loads.Min(l => l.Cpu):F2}-{loads.Max(l => l.Cpu):F2} s, i.e. {reportCpu / loads.Max(l => l.Cpu):F1}x-{reportCpu / loads.Min(l => l.Cpu):F1}x); relative to the first load alone, as earlier tables: {reportCpu / loads[0].Cpu:F1}x"));
            output.WriteLine($"load average at the end: {LoadAverage()}");
            output.WriteLine($"tables (every CSV, SHA-256, to compare results across code changes): {TablesHash(Path.Combine(dir, "tables"))}");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Adds <paramref name="count"/> Likert ratings (the default DIVE questions harm-self and harm-others, each rater
    /// rating each of their images on both) from the study's participants on its annotation images, with one prepared
    /// INSERT in one transaction (EF's change tracker costs about a millisecond a row). Images have a harm level; women
    /// rate harm to themselves 0.8 higher (a planted group effect); the participants the seeder made speeders answer in
    /// under a second (too-fast) and the straight-liners always answer 3 (straight-line), as on their pairs.
    /// </summary>
    private static async Task<int> SeedLikertAsync(DatabaseOptions options, long studyId, int count, int seed, CancellationToken ct)
    {
        if (count <= 0)
        {
            return 0;
        }

        List<long> participants;
        List<long> images;
        await using (var db = PluralistDatabase.CreateContext(options))
        {
            participants = await db.Participants.Where(p => p.StudyId == studyId).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
            images = await db.Images.Where(i => i.StudyId == studyId && i.Generator == "world/1").OrderBy(i => i.Id).Select(i => i.Id).ToListAsync(ct);
        }

        var rng = new Random(seed);
        var harm = images.ToDictionary(i => i, _ => 1 + (rng.NextDouble() * 3));
        var speeders = participants.Count / 10;
        var straight = participants.Count / 20;
        var pairsWanted = count / 2;
        var start = new DateTimeOffset(2026, 5, 10, 8, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        await using var connection = new SqliteConnection(options.ConnectionString);
        await connection.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO likert_ratings (participant_id, image_id, served_at, question_key, value, selected_categories, client_request_id, client_duration_ms, server_duration_ms, language, submitted_at) " +
            "VALUES ($participant, $image, $served, $question, $value, '[]', $request, $client, $server, 'en', $submitted)";
        string[] names = ["$participant", "$image", "$served", "$question", "$value", "$request", "$client", "$server", "$submitted"];
        var p = names.ToDictionary(n => n, n => insert.Parameters.Add(new SqliteParameter { ParameterName = n }));
        await insert.PrepareAsync(ct);
        var written = 0;
        for (var i = 0; i < participants.Count && written < 2 * pairsWanted; i++)
        {
            var mine = (pairsWanted / participants.Count) + (i < pairsWanted % participants.Count ? 1 : 0);
            var woman = SeededStudy.Gender(i) == "woman";
            var time = start + (i * 60_000L);
            foreach (var image in images.OrderBy(_ => rng.Next()).Take(mine))
            {
                foreach (var question in new[] { "harm-self", "harm-others" })
                {
                    var latent = harm[image] + (woman && question == "harm-self" ? 0.8 : 0) + (rng.NextDouble() - 0.5) * 1.5;
                    var value = i >= speeders && i < speeders + straight ? 3 : i < speeders ? 1 + rng.Next(5) : (int)Math.Clamp(Math.Round(latent), 1, 5);
                    var ms = i < speeders ? 300 + rng.Next(600) : 2000 + rng.Next(10_000);
                    p["$participant"].Value = participants[i];
                    p["$image"].Value = image;
                    p["$served"].Value = time;
                    time += ms + 200;
                    p["$submitted"].Value = time;
                    p["$question"].Value = question;
                    p["$value"].Value = value;
                    p["$request"].Value = string.Create(CultureInfo.InvariantCulture, $"likert-{image}-{question}");
                    p["$client"].Value = ms;
                    p["$server"].Value = ms + 150;
                    await insert.ExecuteNonQueryAsync(ct);
                    written++;
                }
            }
        }

        await tx.CommitAsync(ct);
        return written;
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static string TablesHash(string folder)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder, "*.csv").Order(StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file)));
            sha.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexString(sha.GetHashAndReset())[..16];
    }

    /// <summary>How many times the reference (loading the rows) is timed after its warm-up; the ratios use the median.</summary>
    internal const int ReferenceLoads = 5;

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("the median of no values is undefined", nameof(values));
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    // Process CPU time of the last timed step: the machine is shared, so wall time alone overstates the cost.
    private static double _lastCpu;

    private static GcUse _lastGc;

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>Bytes allocated on every thread, collections per generation and time the runtime was paused for them, so far.</summary>
    private readonly record struct GcUse(long Bytes, int Gen0, int Gen1, int Gen2, double Pause)
    {
        public static GcUse Now() => new(GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration().TotalSeconds);

        public static GcUse operator -(GcUse a, GcUse b) => new(a.Bytes - b.Bytes, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Pause - b.Pause);
    }

    private static (double Seconds, T Value) Time<T>(Func<T> f)
    {
        var cpu = Cpu();
        var gc = GcUse.Now();
        var sw = Stopwatch.StartNew();
        var value = f();
        _lastCpu = Cpu() - cpu;
        _lastGc = GcUse.Now() - gc;
        return (sw.Elapsed.TotalSeconds, value);
    }

    private static async Task<(double Seconds, T Value)> TimeAsync<T>(Func<Task<T>> f)
    {
        var cpu = Cpu();
        var gc = GcUse.Now();
        var sw = Stopwatch.StartNew();
        var value = await f();
        _lastCpu = Cpu() - cpu;
        _lastGc = GcUse.Now() - gc;
        return (sw.Elapsed.TotalSeconds, value);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
