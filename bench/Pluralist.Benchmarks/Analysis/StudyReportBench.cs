using System.Diagnostics;
using System.Globalization;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Cleaning;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Studies.Reports;
using Pluralist.Testing;

namespace Pluralist.Benchmarks.Analysis;

/// <summary>
/// The full study report (what <c>pluralist analyze study</c> does) on a seeded SQLite study of
/// about 100,000 answers, against the time to just load the study's rows from the database, in
/// the same process. Options: <c>--participants N</c> (default 255: about 100,000 answers),
/// <c>--permutations N</c> and <c>--bootstrap N</c> (default 1000 each, as the command).
/// </summary>
public sealed class StudyReportBench : IBenchSuite
{
    public string Name => "report";

    public string Description => "Full study report (descriptives, cleaning, A/B, Bradley-Terry, GAI, HTML) on about 100,000 stored answers";

    public async Task RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var participants = Option(args, "--participants", 255);
        var permutations = Option(args, "--permutations", 1000);
        var bootstrap = Option(args, "--bootstrap", 1000);
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
            var seeding = clock.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# report: {seed.Answers.Count:N0} answers from {participants} participants, 50 prompts x 6 images + 1 evaluation pair each; {permutations} permutations, {bootstrap} bootstrap replicates; {Environment.ProcessorCount} logical CPUs (shared); seeding took {seeding:F1} s"));
            output.WriteLine();
            output.WriteLine("| step | wall time | process CPU time | wall time relative to loading the rows |");
            output.WriteLine("|---|---:|---:|---:|");

            // Warm up EF and the JIT on a first load, then time the reference: rows only.
            await using (var db = PluralistDatabase.CreateContext(options))
            {
                await StudyDatasetLoader.LoadAsync(db, "demo", cancellationToken);
            }

            var (load, rows) = await TimeAsync(async () =>
            {
                await using var db = PluralistDatabase.CreateContext(options);
                return (await StudyDatasetLoader.LoadAsync(db, "demo", cancellationToken)).Rows;
            });
            void Line(string step, double seconds, double? cpu = null) =>
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {step} | {seconds * 1000:F0} ms | {(cpu is { } c ? $"{c * 1000:F0} ms" : "")} | {seconds / load:F1}x |"));
            Line(string.Create(CultureInfo.InvariantCulture, $"reference: load the {rows.Count:N0} rows (`StudyDatasetLoader.LoadAsync`)"), load, _lastCpu);

            var (clean, _) = await TimeAsync(async () =>
            {
                var run = CleaningEngine.Run(rows, CleaningRuleSet.Default);
                await using var db = PluralistDatabase.CreateContext(options);
                return await CleaningStore.SaveAsync(db, seed.Study.Id, run, CleaningRuleSet.DefaultJson, DateTimeOffset.UtcNow, cancellationToken);
            });
            Line("clean: run the default rules and store the run (`pluralist clean`)", clean, _lastCpu);

            var total = Stopwatch.StartNew();
            var totalCpu = Cpu();
            var (loadInput, loaded) = await TimeAsync(() => StudyReportInputs.LoadAsync(options, new StudyReportInputs.Request { Study = "demo", Permutations = permutations, BootstrapReplicates = bootstrap }, cancellationToken));
            var input = loaded.Input;
            Line("report input: rows, latest cleaning run applied, pseudonyms, sources, consented markers", loadInput, _lastCpu);
            var (build, report) = Time(() => StudyReportBuilder.Build(input));
            Line(string.Create(CultureInfo.InvariantCulture, $"build every analysis ({input.Rows.Count:N0} kept answers)"), build, _lastCpu);
            foreach (var section in report.Sections)
            {
                Line($"- of which {section.Heading}", report.SectionSeconds[section.Id]);
            }

            var (render, html) = Time(() => ReportHtml.Render(report));
            Line(string.Create(CultureInfo.InvariantCulture, $"render the HTML page ({html.Length / 1024.0 / 1024:F1} MiB, Vega inline)"), render, _lastCpu);
            var (tables, _) = Time(() =>
            {
                File.WriteAllText(Path.Combine(dir, "report.html"), html);
                report.WriteTables(Path.Combine(dir, "tables"));
                return 0;
            });
            Line("write the page and the CSV/JSON tables", tables, _lastCpu);
            Line("**full report (input + analyses + page + tables)**", total.Elapsed.TotalSeconds, Cpu() - totalCpu);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    // Process CPU time of the last timed step: the machine is shared, so wall time alone overstates the cost.
    private static double _lastCpu;

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static (double Seconds, T Value) Time<T>(Func<T> f)
    {
        var cpu = Cpu();
        var sw = Stopwatch.StartNew();
        var value = f();
        _lastCpu = Cpu() - cpu;
        return (sw.Elapsed.TotalSeconds, value);
    }

    private static async Task<(double Seconds, T Value)> TimeAsync<T>(Func<Task<T>> f)
    {
        var cpu = Cpu();
        var sw = Stopwatch.StartNew();
        var value = await f();
        _lastCpu = Cpu() - cpu;
        return (sw.Elapsed.TotalSeconds, value);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
