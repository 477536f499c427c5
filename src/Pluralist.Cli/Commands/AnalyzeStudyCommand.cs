using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pluralist.Analysis.Reports;
using Pluralist.Studies.Reports;

namespace Pluralist.Cli;

/// <summary><c>pluralist analyze study STUDY --out report.html [--tables DIR]</c>: every analysis the study's data allows, as one offline HTML page.</summary>
public static class AnalyzeStudyCommand
{
    public static Command Create()
    {
        var study = new Argument<string>("STUDY") { Description = "Study key (or id)." };
        var output = new Option<FileInfo>("--out") { Description = "The HTML report to write (self-contained, works offline).", Required = true };
        var tables = new Option<DirectoryInfo?>("--tables") { Description = "Also write every table as CSV and JSON (and report.json) into this directory." };
        var permutations = new Option<int>("--permutations") { Description = "Permutations for the GAI and prompt-source tests (default 1000).", DefaultValueFactory = _ => 1000 };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap replicates for intervals (default 1000).", DefaultValueFactory = _ => 1000 };
        var groupBootstrap = new Option<int>("--group-bootstrap") { Description = $"Bootstrap replicates for case study IV's per-group fits, at most --bootstrap (default {StudyReportBuilder.DefaultGroupBootstrapReplicates}).", DefaultValueFactory = _ => StudyReportBuilder.DefaultGroupBootstrapReplicates };
        var seed = new Option<int>("--seed") { Description = "Seed of every random step (default 1).", DefaultValueFactory = _ => 1 };
        var training = new Option<string?>("--training") { Description = "The aligned model's training dataset (a `dataset build` folder, either layout): its train-split labels per criterion against the evaluation win rate (data scaling)." };
        var command = new Command("study", "Study report: descriptives, prompt keywords by source, the cleaning report, A/B case studies I-III (evaluation pairs), data scaling against a training dataset, Bradley-Terry per prompt, each group's Bradley-Terry scores per criterion with the App. I spread (case study IV), agreement and the group association index per identity axis; groups below the study's minimum size are suppressed.")
        {
            study, output, tables, permutations, bootstrap, groupBootstrap, seed, training,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (_, options) = CliContext.Resolve(parse);
            if (parse.GetValue(permutations) < 0 || parse.GetValue(bootstrap) < 0 || parse.GetValue(groupBootstrap) < 0)
            {
                throw new CliInputException("--permutations, --bootstrap and --group-bootstrap must be 0 or more");
            }

            var clock = Stopwatch.StartNew();
            var request = new StudyReportInputs.Request
            {
                Study = parse.GetValue(study)!,
                Permutations = parse.GetValue(permutations),
                BootstrapReplicates = parse.GetValue(bootstrap),
                GroupBootstrapReplicates = parse.GetValue(groupBootstrap),
                Seed = parse.GetValue(seed),
                TrainingDataset = parse.GetValue(training),
            };
            var (input, loaded) = await StudyReportInputs.LoadAsync(options, request, ct).ConfigureAwait(false);
            var report = StudyReportBuilder.Build(input);
            var html = ReportHtml.Render(report);
            var file = parse.GetValue(output)!;
            if (file.Directory is { } dir)
            {
                dir.Create();
            }

            await File.WriteAllTextAsync(file.FullName, html, new UTF8Encoding(false), ct).ConfigureAwait(false);
            if (parse.GetValue(tables) is { } t)
            {
                report.WriteTables(t.FullName);
                Console.WriteLine($"tables: {t.FullName} ({report.Tables.Count()} tables as CSV and JSON, report.json)");
            }

            foreach (var n in report.Notes)
            {
                Console.WriteLine($"note: {n}");
            }

            Console.WriteLine("sections: " + string.Join(", ", report.Sections.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Id} {report.SectionSeconds.GetValueOrDefault(x.Id):0.0} s"))));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"report: {file.FullName} ({report.Sections.Sum(s => s.Charts.Count)} charts, {report.Tables.Count()} tables; loaded {input.Rows.Count} answers in {loaded.TotalSeconds:0.0} s, total {clock.Elapsed.TotalSeconds:0.0} s)"));
            return 0;
        }));
        return command;
    }
}
