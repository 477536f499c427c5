using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Load;

namespace Pluralist.Cli;

/// <summary>
/// <c>pluralist loadtest</c>: simulated participants over real HTTP against running instances (<c>--url</c>) or
/// instances it starts itself (<c>--spawn</c>), optionally SIGKILLing one mid-run, then the exactly-once check
/// against the database (docs/cli.md).
/// </summary>
public static class LoadtestCommand
{
    private static readonly JsonSerializerOptions JsonOut = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Running instances over this database, comma-separated (http://a,http://b); participants are spread over them." };
        var spawn = new Option<int?>("--spawn") { Description = "Start N `pluralist serve` instances on free local ports over this database instead (several need PostgreSQL), with the server garbage collector (DOTNET_gcServer=1) unless DOTNET_gcServer is set." };
        var participants = new Option<int>("--participants") { Description = "Simulated participants (default 50).", DefaultValueFactory = _ => 50 };
        var duration = new Option<double?>("--duration") { Description = "Seconds to run after the warm-up (default 30 unless --answers is given)." };
        var warmup = new Option<double>("--warmup") { Description = "Seconds run first and left out of answers/s and the latencies (the servers compile their code as they go); default 0.", DefaultValueFactory = _ => 0 };
        var answers = new Option<int?>("--answers") { Description = "Stop after this many acknowledged answers in all." };
        var think = new Option<int>("--think") { Description = "Milliseconds each participant waits between an answer and the next task, on average (default 0).", DefaultValueFactory = _ => 0 };
        var thinkDistribution = new Option<ThinkDistribution>("--think-distribution")
        {
            Description = "How each wait is drawn around --think: exponential (each wait drawn with that mean, so participants drift apart as people do; default) or fixed (every wait exactly --think).",
            DefaultValueFactory = _ => ThinkDistribution.Exponential,
        };
        var killAfter = new Option<double?>("--kill-after") { Description = "With --spawn: SIGKILL an instance after this many seconds (with one instance, start it again on the same port)." };
        var study = new Option<string>("--study") { Description = $"Study whose invitation codes the participants use (default {Defaults.StudyKey}).", DefaultValueFactory = _ => Defaults.StudyKey };
        var demo = new Option<bool>("--demo") { Description = "Seed the demo study first and open its batch to every participant (overlap = participants, no break)." };
        var demoImages = new Option<int?>("--demo-images")
        {
            Description = "With --demo: images per prompt, 2 to 64 (default 8: 6 prompts x 28 pairs = 168 pairs for each participant; 16 gives 720, for longer runs).",
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the scores sent and the pauses drawn (default 1).", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Also write the report as JSON to this file." };
        var command = new Command("loadtest", "Simulated participants answering over HTTP; answers/s, latency percentiles, errors and the exactly-once check.")
        {
            url, spawn, participants, duration, warmup, answers, think, thinkDistribution, killAfter, study, demo, demoImages, seed, json,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            var settings = Validate(parse.GetValue(url), parse.GetValue(spawn), parse.GetValue(participants), parse.GetValue(duration), parse.GetValue(answers),
                parse.GetValue(think), parse.GetValue(killAfter), options, parse.GetValue(seed), parse.GetValue(warmup), parse.GetValue(thinkDistribution));
            var images = parse.GetValue(demoImages);
            CommandHelpers.Require(images is null || parse.GetValue(demo), "--demo-images", "needs --demo (it sizes the demo study the tool seeds)");
            CommandHelpers.Require(images is null or (>= 2 and <= 64), "--demo-images", $"{images} is not a count of images from 2 to 64");
            var count = parse.GetValue(participants);
            var jsonPath = parse.GetValue(json);

            IReadOnlyList<string> codes;
            data.EnsureCreated();
            await PluralistDatabase.MigrateAsync(options, ct: ct);
            await using (var db = PluralistDatabase.CreateContext(options))
            {
                if (parse.GetValue(demo))
                {
                    var prepared = await LoadCheck.PrepareDemoAsync(db, data, count, images ?? 8, ct);
                    Console.WriteLine($"Demo study '{prepared.Key}' ready for load.");
                }

                codes = await LoadCheck.CreateCodesAsync(db, parse.GetValue(study)!, count, ct);
            }

            var instances = new List<ServerProcess>();
            try
            {
                var spawnCount = parse.GetValue(spawn) ?? 0;
                var urls = settings.Urls;
                if (spawnCount > 0)
                {
                    urls = [.. Enumerable.Range(0, spawnCount).Select(_ => new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}/"))];
                    foreach (var address in urls)
                    {
                        // One after another: the first creates the data-protection key that all of them then share.
                        instances.Add(await StartServeAsync(address, data, options, ct));
                    }

                    settings = settings with { Urls = urls };
                    Console.WriteLine($"Started {spawnCount} instance(s): {string.Join(", ", urls)}");
                }

                var (sessions, joinFailures) = await LoadRun.JoinAsync(settings, codes, ct);
                if (sessions.Count == 0)
                {
                    throw new CliInputException($"no participant could join ({Describe(joinFailures)})"
                        + (joinFailures.Keys.Any(k => k.EndsWith("-429", StringComparison.Ordinal)) ? "; start the instances with Pluralist__CodeAttemptsPerMinute=1000000" : ""));
                }

                Console.Error.WriteLine($"{sessions.Count} of {count} participants joined{(joinFailures.Count > 0 ? $" ({Describe(joinFailures)})" : "")}; running…");
                LoadKill? kill = null;
                if (parse.GetValue(killAfter) is { } after)
                {
                    kill = new LoadKill(TimeSpan.FromSeconds(after), null, async killCt =>
                    {
                        var victim = instances[0];
                        victim.Kill();
                        if (instances.Count > 1)
                        {
                            return urls[0];
                        }

                        // One instance: start it again on the same port, data and database, as a supervisor would.
                        victim.Dispose();
                        instances[0] = await StartServeAsync(urls[0], data, options, killCt);
                        return null;
                    });
                }

                LoadOutcome outcome;
                var progress = new ProgressLine();
                try
                {
                    outcome = await LoadRun.RunAsync(settings, sessions, kill, progress, ct);
                }
                finally
                {
                    progress.End();
                    foreach (var session in sessions)
                    {
                        session.Dispose();
                    }
                }

                foreach (var instance in instances)
                {
                    instance.Dispose();
                }

                LoadCheckResult check;
                await using (var db = PluralistDatabase.CreateContext(options))
                {
                    check = await LoadCheck.VerifyAsync(db, codes, outcome, ct);
                }

                Print(outcome, check, joinFailures);
                if (jsonPath is not null)
                {
                    await WriteJsonAsync(jsonPath, settings, outcome, check, joinFailures, spawnCount, ct);
                }

                return check.Passed ? ExitCodes.Success : ExitCodes.CheckFailed;
            }
            finally
            {
                foreach (var instance in instances)
                {
                    instance.Dispose();
                }
            }
        }));
        return command;
    }

    private static LoadSettings Validate(string? url, int? spawn, int participants, double? duration, int? answers, int think, double? killAfter, DatabaseOptions options, int seed, double warmup = 0, ThinkDistribution thinkDistribution = ThinkDistribution.Exponential)
    {
        CommandHelpers.Require((url is null) != (spawn is null), "give either --url (running instances) or --spawn N (instances started here)");
        CommandHelpers.Require(participants >= 1, "--participants", $"{participants} is not a count of at least 1");
        CommandHelpers.Require(duration is null || (duration > 0 && double.IsFinite(duration.Value)), "--duration", $"{duration} is not a number of seconds above 0");
        CommandHelpers.Require(answers is null or >= 1, "--answers", $"{answers} is not a count of at least 1");
        CommandHelpers.Require(warmup >= 0 && double.IsFinite(warmup), "--warmup", $"{warmup} is not a number of seconds of 0 or more");
        CommandHelpers.Require(think >= 0, "--think", $"{think} is not a number of milliseconds of 0 or more");
        CommandHelpers.Require(killAfter is null || spawn is not null, "--kill-after", "needs --spawn (the tool can kill only instances it started)");
        CommandHelpers.Require(killAfter is null || (killAfter > 0 && double.IsFinite(killAfter.Value)), "--kill-after", $"{killAfter} is not a number of seconds above 0");
        if (spawn is { } n)
        {
            CommandHelpers.Require(n >= 1, "--spawn", $"{n} is not a count of at least 1");
            CommandHelpers.Require(n == 1 || options.Provider == DatabaseProvider.Postgres, "--spawn",
                $"{n} instances over one SQLite file are not supported (each instance has its own group-commit writer); use --spawn 1 (with --kill-after it is started again) or PostgreSQL");
        }

        var urls = new List<Uri>();
        foreach (var part in (url ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            CommandHelpers.Require(Uri.TryCreate(part, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && u.AbsolutePath == "/" && string.IsNullOrEmpty(u.Query),
                "--url", $"'{part}' is not an http or https address of an instance such as http://127.0.0.1:5080");
            urls.Add(new Uri(part.TrimEnd('/') + "/"));
        }

        CommandHelpers.Require(url is null || urls.Count > 0, "--url", "no address given");
        return new LoadSettings
        {
            Urls = urls,
            Duration = duration is { } d ? TimeSpan.FromSeconds(d) : answers is null ? TimeSpan.FromSeconds(30) : null,
            Answers = answers,
            Think = TimeSpan.FromMilliseconds(think),
            ThinkDistribution = thinkDistribution,
            Warmup = TimeSpan.FromSeconds(warmup),
            Seed = seed,
        };
    }

    /// <summary><c>pluralist serve</c> from this very build, on <paramref name="address"/>, with the code rate limit lifted.</summary>
    private static Task<ServerProcess> StartServeAsync(Uri address, DataDirectory data, DatabaseOptions options, CancellationToken ct) =>
        ServerProcess.StartAsync(ServeStartInfo(address, data, options, Environment.GetEnvironmentVariable), address, TimeSpan.FromSeconds(90), ct);

    /// <summary>
    /// How <c>--spawn</c> starts an instance: <c>pluralist serve</c> from this build, the code rate limit lifted, warnings
    /// only in its log, and the server garbage collector as docs/deployment.md recommends for <c>serve</c> (unless
    /// <c>DOTNET_gcServer</c> is set in <paramref name="environment"/>: then the instance inherits that choice).
    /// </summary>
    public static System.Diagnostics.ProcessStartInfo ServeStartInfo(Uri address, DataDirectory data, DatabaseOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var args = new List<string> { "serve", "--urls", address.ToString().TrimEnd('/'), "--data", data.Root, "--db", options.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite" };
        if (options.ConnectionString is { Length: > 0 } connection)
        {
            args.AddRange(["--connection", connection]);
        }

        var info = ServerProcess.DotnetStartInfo(typeof(LoadtestCommand).Assembly.Location, args);
        // Every simulated participant joins from this one address.
        info.Environment["Pluralist__CodeAttemptsPerMinute"] = "1000000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        if (environment(ServerGcVariable) is null)
        {
            info.Environment[ServerGcVariable] = "1";
        }

        return info;
    }

    /// <summary>The runtime's switch between the server and the workstation garbage collector.</summary>
    public const string ServerGcVariable = "DOTNET_gcServer";

    private static string Describe(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"));

    private static void Print(LoadOutcome o, LoadCheckResult check, IReadOnlyDictionary<string, int> joinFailures)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"participants: {o.Participants} on {o.Urls.Count} instance(s) ({string.Join(", ", o.Urls)}); {o.Seconds:F1} s"));
        var measured = o.WarmupSeconds > 0
            ? string.Create(inv, $"{o.Acks.Count} acknowledged, {o.MeasuredAnswers} of them after the {o.WarmupSeconds:0.#} s warm-up: {o.AnswersPerSecond:F1}/s over {o.MeasuredSeconds:F1} s")
            : string.Create(inv, $"{o.Acks.Count} acknowledged, {o.AnswersPerSecond:F1}/s");
        Console.WriteLine(string.Create(inv, $"answers: {measured}; {o.Duplicates} acknowledged as duplicates; {o.Finished} participants ran out of tasks, {o.GaveUp} gave up"));
        if (o.WarmupSeconds > 0 && o.MeasuredAnswers == 0)
        {
            Console.WriteLine("no answer was acknowledged after the warm-up: no rate or latency to report (a longer --duration, or fewer --answers)");
        }
        if (o.Urls.Count > 1)
        {
            Console.WriteLine($"answers by instance: {Describe(o.AnswersByInstance)}");
        }

        var after = o.WarmupSeconds > 0 ? " (after the warm-up)" : "";
        Console.WriteLine(string.Create(inv, $"submit ms{after}: p50 {o.Submit.P50:F0}  p95 {o.Submit.P95:F0}  p99 {o.Submit.P99:F0}  max {o.Submit.Max:F0}"));
        Console.WriteLine(string.Create(inv, $"cycle ms (next task + submit){after}: p50 {o.Cycle.P50:F0}  p95 {o.Cycle.P95:F0}  p99 {o.Cycle.P99:F0}  max {o.Cycle.Max:F0}"));
        Console.WriteLine($"errors (retried or refused): {Describe(o.Errors)}{(joinFailures.Count > 0 ? $"; join failures: {Describe(joinFailures)}" : "")}");
        if (o.Kill is { } k)
        {
            var then = k.InstanceGone is { } gone
                ? $"{gone} stays down; {o.Moved} participants moved to another instance"
                : string.Create(inv, $"restarted, answering again at {k.ActDoneSeconds:F1} s");
            Console.WriteLine(string.Create(inv, $"kill: SIGKILL at {k.AtSeconds:F1} s after {k.AnswersBefore} answers; {then}"));
        }

        Console.WriteLine($"check: {(check.Passed ? "passed" : "FAILED")}: {check.Acknowledged} acknowledged, {check.Stored} stored; {check.Missing} missing, {check.StoredTwice} stored twice, "
            + $"{check.Mismatched} not as sent, {check.Extra} extra, {check.AssignmentsAnsweredTwice} assignments answered twice; {check.Unconfirmed} stored but unacknowledged (given up)");
        foreach (var problem in check.Problems)
        {
            Console.WriteLine($"  {problem}");
        }
    }

    private static async Task WriteJsonAsync(string path, LoadSettings settings, LoadOutcome o, LoadCheckResult check, IReadOnlyDictionary<string, int> joinFailures, int spawned, CancellationToken ct)
    {
        var report = new
        {
            participants = o.Participants,
            urls = o.Urls,
            spawned,
            durationLimitSeconds = settings.Duration?.TotalSeconds,
            answerLimit = settings.Answers,
            thinkMs = settings.Think.TotalMilliseconds,
            thinkDistribution = settings.ThinkDistribution.ToString().ToLowerInvariant(),
            warmupSeconds = o.WarmupSeconds,
            seconds = o.Seconds,
            answers = o.Acks.Count,
            measuredAnswers = o.MeasuredAnswers,
            measuredSeconds = o.MeasuredSeconds,
            answersPerSecond = o.AnswersPerSecond,
            duplicates = o.Duplicates,
            finished = o.Finished,
            gaveUp = o.GaveUp,
            moved = o.Moved,
            answersByInstance = o.AnswersByInstance,
            submitMs = o.Submit,
            cycleMs = o.Cycle,
            errors = o.Errors,
            joinFailures,
            kill = o.Kill,
            check = new
            {
                passed = check.Passed,
                check.Acknowledged,
                check.Stored,
                check.Missing,
                check.StoredTwice,
                check.Mismatched,
                check.Extra,
                check.AssignmentsAnsweredTwice,
                check.Unconfirmed,
                check.Problems,
            },
        };
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(report, JsonOut), ct);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>The running count on stderr: rewritten in place on a terminal, a line every 5 s otherwise.</summary>
    private sealed class ProgressLine : IProgress<LoadProgress>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private int _lastLine = -5;

        public void End()
        {
            if (_terminal)
            {
                Console.Error.WriteLine();
            }
        }

        public void Report(LoadProgress value)
        {
            var seconds = (int)value.Elapsed.TotalSeconds;
            var rate = value.Elapsed.TotalSeconds > 0 ? value.Answers / value.Elapsed.TotalSeconds : 0;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{value.Elapsed.TotalSeconds,6:F1} s  answers {value.Answers} ({rate:F0}/s)  retried or refused {value.Errors}  active {value.Active}/{value.Participants}{(value.Warmup ? "  (warming up)" : "")}");
            if (_terminal)
            {
                Console.Error.Write("\r" + line + "   ");
            }
            else if (seconds - _lastLine >= 5)
            {
                _lastLine = seconds;
                Console.Error.WriteLine(line);
            }
        }
    }
}
