using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Pluralist.Core.Cleaning;
using Pluralist.Data;
using Pluralist.Data.Datasets;
using Pluralist.Studies;

namespace Pluralist.Cli;

/// <summary><c>pluralist clean STUDY [--rules FILE] [--report PATH]</c>: runs the cleaning rules on a study's stored answers and records the run.</summary>
public static class CleanCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static Command Create()
    {
        var study = new Argument<string>("STUDY") { Description = "Study key (or id)." };
        var rules = new Option<FileInfo?>("--rules") { Description = "Rules file (JSON, see docs/cleaning.md); default: the LIVS default rules." };
        var report = new Option<string?>("--report") { Description = "Where to write the report: PATH.json and PATH.html (default <data>/reports/<study>/cleaning-<run>)." };
        var command = new Command("clean", "Run the cleaning rules on a study's answers: rules mark rows (never delete them); the run and each dropped row's first rule are recorded for `dataset build` and `analyze study`.")
        {
            study, rules, report,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            var (ruleSet, rulesJson) = ReadRules(parse.GetValue(rules));
            await using var db = PluralistDatabase.CreateContext(options);
            var s = await StudyLookup.FindStudyAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            var dataset = await StudyDatasetLoader.LoadAsync(db, s.Key, ct).ConfigureAwait(false);
            var run = CleaningEngine.Run(dataset.Rows, ruleSet);
            var record = await CleaningStore.SaveAsync(db, s.Id, run, rulesJson, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);

            PrintStages(run.Report);
            var basePath = parse.GetValue(report) is { Length: > 0 } given
                ? StripExtension(Path.GetFullPath(given))
                : Path.Combine(data.Root, "reports", s.Key, string.Create(CultureInfo.InvariantCulture, $"cleaning-{record.Id}"));
            Directory.CreateDirectory(Path.GetDirectoryName(basePath)!);
            await File.WriteAllTextAsync(basePath + ".json", JsonSerializer.Serialize(run.Report, JsonOptions), new UTF8Encoding(false), ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(basePath + ".html", CleaningReportHtml.Render(run.Report, $"Cleaning report: {s.Key} (run {record.Id})"), new UTF8Encoding(false), ct).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cleaning run {record.Id} recorded: {run.Report.RowsIn} rows in, {run.Report.RowsOut} rows out"));
            Console.WriteLine($"report: {basePath}.json, {basePath}.html");
            return 0;
        }));
        return command;
    }

    internal static (CleaningRuleSet Rules, string Json) ReadRules(FileInfo? file)
    {
        if (file is null)
        {
            return (CleaningRuleSet.Default, CleaningRuleSet.DefaultJson);
        }

        string text;
        try
        {
            text = File.ReadAllText(file.FullName, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"{file.Name}: cannot read the rules file: {ex.Message}");
        }

        try
        {
            return (CleaningRuleSet.Parse(text, file.Name), text);
        }
        catch (CleaningRulesException ex)
        {
            throw new CliInputException(ex.Message);
        }
    }

    private static string StripExtension(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".html", StringComparison.OrdinalIgnoreCase) ? path[..^5] : path;

    private static void PrintStages(CleaningReport report)
    {
        string[] header = ["stage", "rule", "reason", "rows in", "dropped", "rows out", "matched"];
        var rows = report.Stages.Select(s => new[]
        {
            s.Stage.ToString(CultureInfo.InvariantCulture), s.Rule, s.ReasonCode, N(s.RowsIn), N(s.Dropped), N(s.RowsOut), N(s.Matched),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i is 1 or 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        Console.WriteLine($"rules {report.RulesVersion}: {N(report.RowsIn)} rows in -> {N(report.RowsOut)} rows out");
        Console.WriteLine(Line(header));
        foreach (var r in rows)
        {
            Console.WriteLine(Line(r));
        }
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}
