using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Pluralist.Analysis.Agreement;
using Pluralist.Data;
using Pluralist.Files;
using Pluralist.Pipeline.Raters;
using Pluralist.Studies;
using Pluralist.Studies.Raters;

namespace Pluralist.Cli;

/// <summary><c>pluralist raters run|compare|export</c>: synthetic raters steered by identity, measured against the people (DIVE).</summary>
public static class RatersCommands
{
    public static Command Create()
    {
        var raters = new Command("raters", "Synthetic raters: a language or vision model (or the offline persona rater) rating a study's items with and without a persona, stored apart from people's answers.");
        raters.Subcommands.Add(Run());
        raters.Subcommands.Add(Compare());
        raters.Subcommands.Add(Export());
        return raters;
    }

    private static Command Run()
    {
        var study = new Option<string>("--study") { Description = "Study key or id.", Required = true };
        var model = new Option<string>("--model") { Description = "Model id sent to the endpoint (default offline-persona for --endpoint offline).", DefaultValueFactory = _ => OfflinePersonaChatClient.ModelName };
        var endpoint = new Option<string>("--endpoint") { Description = "OpenAI-compatible base URL with the version segment (http://localhost:11434/v1, http://localhost:8000/v1), or offline.", DefaultValueFactory = _ => "offline" };
        var keyEnv = new Option<string>("--api-key-env") { Description = "Environment variable holding the API key (never on the command line); local servers need none.", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var personas = new Option<string>("--personas") { Description = "from-study (each distinct consented, coded profile of the study's participants) or grid (every combination of the groups seen on each axis).", DefaultValueFactory = _ => RaterRuns.FromStudy };
        var axes = new Option<string?>("--axes") { Description = "Comma-separated identity markers personas are made of (default: the study's)." };
        var task = new Option<string?>("--task") { Description = "pairwise or likert (default: likert for a Likert study, else pairwise)." };
        var items = new Option<int?>("--items") { Description = "Rate only the first N pairs (or images)." };
        var name = new Option<string?>("--name") { Description = "Run name (default MODEL-PERSONAS-TASK); the same name resumes the run." };
        var seed = new Option<int>("--seed") { Description = "Seed of the criteria and side drawn per persona and pair.", DefaultValueFactory = _ => 1 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 0f };
        var rpm = new Option<double>("--rpm") { Description = "Most requests per minute (0: no limit); holds whatever the concurrency.", DefaultValueFactory = _ => 0 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once (1 to 64); the answers do not depend on it.", DefaultValueFactory = _ => 1 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for one answer.", DefaultValueFactory = _ => 90 };
        var retries = new Option<int>("--retries") { Description = "Retries after HTTP 429, 5xx or a timeout.", DefaultValueFactory = _ => 4 };
        var invalidRetries = new Option<int>("--invalid-retries") { Description = "Retries after an answer that is not valid JSON for the schema; then it counts as invalid.", DefaultValueFactory = _ => 2 };
        var probe = new Option<string>("--probe") { Description = "Perception probe of the offline rater (default: the shipped probe32 beside the program).", DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "models", "probe32.safetensors") };
        var priceIn = new Option<decimal>("--price-in") { Description = "Price per million input tokens, for the cost line.", DefaultValueFactory = _ => 0m };
        var priceOut = new Option<decimal>("--price-out") { Description = "Price per million output tokens.", DefaultValueFactory = _ => 0m };
        var json = new Option<bool>("--json") { Description = "Machine-readable JSON output." };
        var command = new Command("run", "Rate a study's pairs (or images) with a synthetic rater per persona and the same rater without persona; resumable, cached by request hash, rate-limited, with token accounting.")
        {
            study, model, endpoint, keyEnv, personas, axes, task, items, name, seed, temperature, rpm, concurrency, timeout, retries, invalidRetries, probe, priceIn, priceOut, json,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var endpointText = parse.GetValue(endpoint)!;
            var offline = endpointText == "offline";
            var uri = offline ? null : ChatEndpoint.ParseUrl(endpointText, "--endpoint", " or offline");
            CommandHelpers.Require(parse.GetValue(priceIn) >= 0 && parse.GetValue(priceOut) >= 0, "--price-in", "prices must be 0 or more");
            RaterTask? chosenTask = parse.GetValue(task) switch
            {
                null => null,
                "pairwise" => RaterTask.Pairwise,
                "likert" => RaterTask.Likert,
                var other => throw new CliInputException($"--task: '{other}' is not pairwise or likert"),
            };
            var modelId = parse.GetValue(model)!;
            var settings = ChatEndpoint.Settings(modelId, parse.GetValue(temperature), parse.GetValue(rpm), parse.GetValue(timeout), parse.GetValue(retries), parse.GetValue(invalidRetries));
            CommandHelpers.Require(!offline || modelId == OfflinePersonaChatClient.ModelName, "--model", $"the offline endpoint serves {OfflinePersonaChatClient.ModelName} only");
            var request = new RaterRuns.Request
            {
                Study = parse.GetValue(study)!,
                Model = modelId,
                Endpoint = offline ? "offline" : uri!.ToString(),
                Personas = parse.GetValue(personas)!,
                Name = parse.GetValue(name),
                Task = chosenTask,
                Axes = parse.GetValue(axes) is { } a ? [.. a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : null,
                Items = parse.GetValue(items),
                Seed = parse.GetValue(seed),
                Concurrency = parse.GetValue(concurrency),
            };
            RaterRuns.Check(request);

            var (data, options) = CliContext.Resolve(parse);
            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            using IChatClient client = offline
                ? new OfflinePersonaChatClient(CommandHelpers.LoadProbe(parse.GetValue(probe)!, "--probe"))
                : ChatEndpoint.Client(uri!, modelId, ChatEndpoint.ApiKey(parse, keyEnv), parse.GetValue(timeout));
            var rater = new SyntheticRater(client, settings);
            await using var db = PluralistDatabase.CreateContext(options);
            int every = 1;
            var result = await RaterRuns.RunAsync(db, data, rater, request, DateTimeOffset.UtcNow, p =>
            {
                every = Math.Max(1, p.Total / 20);
                if (p.Done % every == 0 || p.Done == p.Total)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rated {p.Done}/{p.Total} (requests {p.Calls}, cached {p.Cached}, without answer {p.Failures}, tokens {p.InputTokens} in / {p.OutputTokens} out)"));
                }
            }, ct).ConfigureAwait(false);
            var run = result.Run;
            var cost = ((run.InputTokens * parse.GetValue(priceIn)) + (run.OutputTokens * parse.GetValue(priceOut))) / 1_000_000m;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    run = run.Name,
                    model = run.Model,
                    endpoint = run.Endpoint,
                    task = run.Task.ToString().ToLowerInvariant(),
                    personas = result.Personas,
                    planned = result.Planned,
                    alreadyDone = result.AlreadyDone,
                    rated = result.Rated,
                    cached = result.Cached,
                    withoutAnswer = result.Failures,
                    requests = run.Calls,
                    inputTokens = run.InputTokens,
                    outputTokens = run.OutputTokens,
                    cost,
                    failures = result.FailureSamples,
                }));
            }
            else
            {
                Console.WriteLine($"run {run.Name} ({run.Model} at {run.Endpoint}, {run.Task.ToString().ToLowerInvariant()}): {result.Personas} personas, {result.Planned} ratings planned, {result.AlreadyDone} already done, {result.Rated} rated now ({result.Cached} from the cache, {result.Failures} without a valid answer)");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"requests {run.Calls}, tokens {run.InputTokens} in / {run.OutputTokens} out, cost {cost:0.####} (at {parse.GetValue(priceIn)} / {parse.GetValue(priceOut)} per million tokens)"));
                foreach (var f in result.FailureSamples)
                {
                    Console.WriteLine($"  {f}");
                }
            }

            return 0;
        }));
        return command;
    }

    private static Command Compare()
    {
        var study = new Option<string>("--study") { Description = "Study key or id.", Required = true };
        var run = new Option<string>("--run") { Description = "Synthetic run name.", Required = true };
        var axes = new Option<string?>("--axes") { Description = "Comma-separated identity markers to group by (default: the study's)." };
        var noIntersections = new Option<bool>("--no-intersections") { Description = "Score each axis alone only." };
        var replicates = new Option<int>("--replicates") { Description = "Bootstrap replicates (items resampled).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 1 };
        var minItems = new Option<int>("--min-items") { Description = "Items a group needs to be scored.", DefaultValueFactory = _ => 5 };
        var worst = new Option<int>("--worst") { Description = "How many worst-represented groups to name.", DefaultValueFactory = _ => 5 };
        var permutations = new Option<int>("--permutations") { Description = "Permutations of the GAI tests (people's and the synthetic raters'); 0 skips them.", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json") { Description = "Machine-readable JSON output." };
        var command = new Command("compare", "Per identity group and intersection: the correlation between the group's ratings and the synthetic raters' with and without the group's persona (DIVE's measure), bootstrap intervals, the groups represented worst, and the GAI of the people beside the synthetic raters'.")
        {
            study, run, axes, noIntersections, replicates, seed, minItems, worst, permutations, json,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            CommandHelpers.Require(parse.GetValue(minItems) >= 3, "--min-items", "must be at least 3 (a correlation needs three items)");
            CommandHelpers.Require(parse.GetValue(worst) >= 0, "--worst", "must be 0 or more");
            var (_, options) = CliContext.Resolve(parse);
            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var result = await RaterComparison.CompareAsync(db, new RaterComparison.Request
            {
                Study = parse.GetValue(study)!,
                Run = parse.GetValue(run)!,
                Axes = parse.GetValue(axes) is { } a ? [.. a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : null,
                Intersections = !parse.GetValue(noIntersections),
                Replicates = parse.GetValue(replicates),
                Seed = parse.GetValue(seed),
                MinItems = parse.GetValue(minItems),
                Permutations = parse.GetValue(permutations),
            }, ct).ConfigureAwait(false);
            var report = result.Report;
            var worstGroups = report.Worst(parse.GetValue(worst));
            if (parse.GetValue(json))
            {
                static double? N(double x) => double.IsFinite(x) ? Math.Round(x, 6) : null;
                static object Row(GroupRepresentation g) => new
                {
                    axis = g.Axis,
                    group = g.Group,
                    people = g.People,
                    personas = g.Personas,
                    items = g.Items,
                    steered = N(g.Steered),
                    steeredInterval = new[] { N(g.SteeredInterval.Lower), N(g.SteeredInterval.Upper) },
                    unsteered = N(g.Unsteered),
                    unsteeredInterval = new[] { N(g.UnsteeredInterval.Lower), N(g.UnsteeredInterval.Upper) },
                    gain = N(g.Gain),
                    gainInterval = new[] { N(g.GainInterval.Lower), N(g.GainInterval.Upper) },
                };
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    run = result.Run.Name,
                    model = result.Run.Model,
                    people = result.People,
                    humanRatings = result.HumanRatings,
                    personas = result.Personas,
                    syntheticRatings = result.SyntheticRatings,
                    withoutAnswer = result.SyntheticFailures,
                    groups = report.Groups.Select(Row),
                    worst = worstGroups.Select(g => new { axis = g.Axis, group = g.Group }),
                    skipped = report.Skipped,
                    gai = result.Association.Groups.Select(g => new
                    {
                        axis = g.Axis,
                        group = g.Group,
                        people = g.People,
                        gaiPeople = N(g.HumanGai),
                        pPeople = N(g.HumanP),
                        personas = g.Personas,
                        gaiSynthetic = N(g.SyntheticGai),
                        pSynthetic = N(g.SyntheticP),
                    }),
                    gaiNotes = result.Association.Notes,
                }));
                return 0;
            }

            Console.WriteLine($"run {result.Run.Name} ({result.Run.Model}): {result.SyntheticRatings} synthetic ratings from {result.Personas} personas and the rater without persona ({result.SyntheticFailures} without a valid answer), against {result.HumanRatings} ratings by {result.People} people");
            Console.WriteLine("r = Pearson correlation, over items, of the group's mean rating with the raters' (steered: the group's personas; unsteered: no persona); [95% bootstrap interval]");
            Console.WriteLine($"{"group",-40} {"people",6} {"pers.",5} {"items",5}  {"r steered",-22} {"r unsteered",-22} {"gain",-22}");
            foreach (var g in report.Groups)
            {
                var label = g.Axis == SyntheticRepresentation.Everyone ? "everyone" : $"{g.Axis}={g.Group}";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Truncate(label, 40),-40} {g.People,6} {g.Personas,5} {g.Items,5}  {Cell(g.Steered, g.SteeredInterval),-22} {Cell(g.Unsteered, g.UnsteeredInterval),-22} {Cell(g.Gain, g.GainInterval),-22}"));
            }

            if (worstGroups.Count > 0)
            {
                Console.WriteLine("represented worst (lowest r steered): " + string.Join("; ", worstGroups.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Axis}={g.Group} {g.Steered:0.00}"))));
            }

            if (report.Skipped.Count > 0)
            {
                Console.WriteLine($"{report.Skipped.Count} groups not scored (too few people or items), e.g. {report.Skipped[0]}");
            }

            Console.WriteLine($"GAI (IRR / xRR) of the people and of the synthetic raters (each persona a rater with its markers), same items; p from {parse.GetValue(permutations)} permutations");
            Console.WriteLine($"{"group",-40} {"people",6} {"GAI",6} {"p",6}  {"pers.",5} {"GAI",6} {"p",6}");
            foreach (var g in result.Association.Groups)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Truncate($"{g.Axis}={g.Group}", 40),-40} {g.People,6} {Num(g.HumanGai),6} {Num(g.HumanP),6}  {g.Personas,5} {Num(g.SyntheticGai),6} {Num(g.SyntheticP),6}"));
            }

            foreach (var note in result.Association.Notes)
            {
                Console.WriteLine(note);
            }

            return 0;
        }));
        return command;
    }

    private static Command Export()
    {
        var study = new Option<string>("--study") { Description = "Study key or id.", Required = true };
        var run = new Option<string>("--run") { Description = "Synthetic run name.", Required = true };
        var output = new Option<string>("--out") { Description = "CSV file to write (docs/formats.md, synthetic answers).", Required = true };
        var command = new Command("export", "Write a synthetic run's answers as CSV, one row per criterion or question, every row flagged synthetic=true.") { study, run, output };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (_, options) = CliContext.Resolve(parse);
            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var path = parse.GetValue(output)!;
            int rows = 0;
            var buffer = new StringWriter(CultureInfo.InvariantCulture);
            rows = await RaterExport.WriteAsync(db, parse.GetValue(study)!, parse.GetValue(run)!, buffer, ct).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            DurableFile.WriteVia(path, temp => File.WriteAllText(temp, buffer.ToString()));
            Console.WriteLine($"wrote {rows} synthetic answer rows to {path}");
            return 0;
        }));
        return command;
    }

    private static string Cell(double r, Analysis.Statistics.Interval ci) =>
        double.IsFinite(r) ? string.Create(CultureInfo.InvariantCulture, $"{r,6:0.00} [{ci.Lower:0.00}, {ci.Upper:0.00}]") : "     -";

    private static string Num(double x) => double.IsFinite(x) ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
