using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Data;
using Pluralist.Testing;

namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist loadtest</c> against an instance it starts itself, on SQLite, with its report checked against the database.</summary>
public sealed class LoadtestCommandTests
{
    [Fact]
    public async Task A_short_run_reports_the_answers_the_database_holds()
    {
        var dir = CliRunner.TempDir();
        var (code, stdout, err) = CliRunner.Run(dir, "loadtest", "--data", "d", "--demo", "--spawn", "1", "--participants", "4", "--duration", "3", "--json", "report.json");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("check: passed", stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json")));
        var report = doc.RootElement;
        Assert.Equal(4, report.GetProperty("participants").GetInt32());
        Assert.Equal(1, report.GetProperty("spawned").GetInt32());
        var answers = report.GetProperty("answers").GetInt32();
        Assert.True(answers > 0, stdout);
        Assert.True(report.GetProperty("check").GetProperty("passed").GetBoolean());
        Assert.Equal(answers, report.GetProperty("check").GetProperty("stored").GetInt32());
        Assert.Equal(answers, report.GetProperty("submitMs").GetProperty("count").GetInt32());
        Assert.True(report.GetProperty("submitMs").GetProperty("p50").GetDouble() <= report.GetProperty("cycleMs").GetProperty("p99").GetDouble());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("kill").ValueKind);

        // The demo seeding writes no answers: every annotation in the database is one the tool had acknowledged.
        await using var db = PluralistDatabase.CreateContext(DatabaseOptions.Resolve(new DataDirectory(Path.Combine(dir, "d")), null, null));
        Assert.Equal(answers, await db.Annotations.CountAsync());
        Assert.Equal(answers, await db.Annotations.Select(a => a.ClientRequestId).Distinct().CountAsync());
        Assert.Equal(4, await db.Invitations.CountAsync(i => i.ParticipantId != null));
    }

    [Fact]
    public async Task A_warm_up_is_run_and_checked_but_left_out_of_the_rates_and_latencies()
    {
        var dir = CliRunner.TempDir();
        // A pause between answers, so that the four participants (at most 20 answers a second each) cannot use up the demo's
        // 168 pairs and stop before the run's 4 s.
        var (code, stdout, err) = CliRunner.Run(dir, "loadtest", "--data", "d", "--demo", "--spawn", "1", "--participants", "4", "--warmup", "2", "--duration", "2", "--think", "50", "--json", "report.json");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("after the 2 s warm-up", stdout, StringComparison.Ordinal);
        Assert.Contains("submit ms (after the warm-up): p50", stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json")));
        var report = doc.RootElement;
        var answers = report.GetProperty("answers").GetInt32();
        var measured = report.GetProperty("measuredAnswers").GetInt32();
        var seconds = report.GetProperty("seconds").GetDouble();
        Assert.Equal(2, report.GetProperty("warmupSeconds").GetDouble());
        // The run lasts the warm-up plus the duration; only the answers acknowledged after the warm-up are measured.
        Assert.Equal(0, report.GetProperty("finished").GetInt32());
        Assert.True(seconds >= 4, stdout);
        Assert.InRange(measured, 1, answers - 1);
        Assert.Equal(measured, report.GetProperty("submitMs").GetProperty("count").GetInt32());
        Assert.Equal(measured, report.GetProperty("cycleMs").GetProperty("count").GetInt32());
        Assert.Equal(Math.Round(seconds - 2, 2), report.GetProperty("measuredSeconds").GetDouble(), 2);
        Assert.Equal(Math.Round(measured / Math.Round(seconds - 2, 2), 1), report.GetProperty("answersPerSecond").GetDouble(), 1);

        // The check covers every answer, the warm-up's too.
        Assert.True(report.GetProperty("check").GetProperty("passed").GetBoolean(), stdout);
        Assert.Equal(answers, report.GetProperty("check").GetProperty("stored").GetInt32());
    }

    [Fact]
    public async Task A_demo_sized_by_images_per_prompt_gives_each_participant_every_pair_once_and_then_ends()
    {
        var dir = CliRunner.TempDir();
        // 3 images per prompt: 3 pairs for each of the 6 prompts. Fixed pauses, written in lower case as in the docs.
        var (code, stdout, err) = CliRunner.Run(dir, "loadtest", "--data", "d", "--demo", "--demo-images", "3", "--spawn", "1", "--participants", "2",
            "--think", "5", "--think-distribution", "fixed", "--duration", "60", "--json", "report.json");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json")));
        var report = doc.RootElement;
        Assert.Equal("fixed", report.GetProperty("thinkDistribution").GetString());
        Assert.Equal(5, report.GetProperty("thinkMs").GetDouble());
        // Both participants answered all 18 pairs and stopped, well before the 60 s.
        Assert.Equal(2, report.GetProperty("finished").GetInt32());
        Assert.Equal(36, report.GetProperty("answers").GetInt32());
        Assert.True(report.GetProperty("seconds").GetDouble() < 60, stdout);
        Assert.True(report.GetProperty("check").GetProperty("passed").GetBoolean(), stdout);

        await using var db = PluralistDatabase.CreateContext(DatabaseOptions.Resolve(new DataDirectory(Path.Combine(dir, "d")), null, null));
        Assert.Equal(18, await db.Pairs.CountAsync());
        Assert.Equal(18, await db.Annotations.Select(a => a.PairId).Distinct().CountAsync());
    }

    [Fact]
    public async Task A_sigkilled_and_restarted_instance_loses_no_acknowledged_answer()
    {
        var dir = CliRunner.TempDir();
        // A pause between answers, so that the six participants (at most 40 answers a second each) are still answering when the
        // kill comes at 2 s, not done with the demo's 168 pairs.
        var (code, stdout, err) = CliRunner.Run(dir, "loadtest", "--data", "d", "--demo", "--spawn", "1", "--participants", "6", "--duration", "8", "--kill-after", "2", "--think", "25", "--json", "report.json");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");
        Assert.Contains("kill: SIGKILL at", stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json")));
        var report = doc.RootElement;
        var kill = report.GetProperty("kill");
        Assert.True(kill.GetProperty("atSeconds").GetDouble() >= 2);
        Assert.Equal(JsonValueKind.Null, kill.GetProperty("instanceGone").ValueKind);
        var answers = report.GetProperty("answers").GetInt32();
        Assert.True(answers > kill.GetProperty("answersBefore").GetInt32(), stdout);
        var check = report.GetProperty("check");
        Assert.True(check.GetProperty("passed").GetBoolean(), stdout);

        await using var db = PluralistDatabase.CreateContext(DatabaseOptions.Resolve(new DataDirectory(Path.Combine(dir, "d")), null, null));
        Assert.Equal(answers + check.GetProperty("unconfirmed").GetInt32(), await db.Annotations.CountAsync());
    }

    [PostgresFact]
    public async Task Two_instances_on_postgres_one_sigkilled_its_participants_move_and_nothing_is_lost()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var dir = CliRunner.TempDir();
        var (code, stdout, err) = CliRunner.Run(dir, "loadtest", "--data", "d", "--db", "postgres", "--connection", database.Options.ConnectionString,
            "--demo", "--spawn", "2", "--participants", "6", "--duration", "10", "--kill-after", "3", "--think", "25", "--json", "report.json");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{err}");

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json")));
        var report = doc.RootElement;
        var urls = report.GetProperty("urls").EnumerateArray().Select(u => u.GetString()!).ToList();
        Assert.Equal(2, urls.Count);
        var kill = report.GetProperty("kill");
        Assert.Equal(urls[0], kill.GetProperty("instanceGone").GetString());

        // The three participants of the killed instance went on answering on the other one.
        Assert.Equal(3, report.GetProperty("moved").GetInt32());
        var answers = report.GetProperty("answers").GetInt32();
        Assert.True(answers > kill.GetProperty("answersBefore").GetInt32(), stdout);
        var byInstance = report.GetProperty("answersByInstance");
        Assert.True(byInstance.GetProperty(urls[1]).GetInt32() > 0, stdout);
        Assert.True(report.GetProperty("check").GetProperty("passed").GetBoolean(), stdout);

        await using var db = database.CreateContext();
        Assert.Equal(answers + report.GetProperty("check").GetProperty("unconfirmed").GetInt32(), await db.Annotations.CountAsync());
    }

    [Theory]
    [InlineData("--spawn 2", "--spawn: 2 instances over one SQLite file are not supported")]
    [InlineData("--url http://127.0.0.1:1 --kill-after 3", "--kill-after: needs --spawn")]
    [InlineData("--spawn 1 --url http://127.0.0.1:1", "give either --url")]
    [InlineData("--url ftp://x", "--url: 'ftp://x' is not an http or https address")]
    [InlineData("--spawn 1 --participants 0", "--participants: 0 is not a count of at least 1")]
    [InlineData("--spawn 1 --warmup -1", "--warmup: -1 is not a number of seconds of 0 or more")]
    [InlineData("--spawn 1 --demo-images 4", "--demo-images: needs --demo")]
    [InlineData("--spawn 1 --demo --demo-images 1", "--demo-images: 1 is not a count of images from 2 to 64")]
    [InlineData("--spawn 1 --think 50 --think-distribution gaussian", "Cannot parse argument 'gaussian' for option '--think-distribution'")]
    public void Bad_options_name_the_option_and_start_nothing(string options, string message)
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, ["loadtest", "--data", "d", .. options.Split(' ')]);
        Assert.Equal(1, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "d")), "nothing is written on bad options");
    }

    [Fact]
    public void Spawned_instances_run_with_the_server_garbage_collector_unless_the_environment_chooses()
    {
        var data = new DataDirectory(Path.Combine(Path.GetTempPath(), "pluralist-spawn-" + Guid.NewGuid().ToString("N")));
        var options = DatabaseOptions.Resolve(data, "sqlite", null);
        var address = new Uri("http://127.0.0.1:5099/");
        var info = LoadtestCommand.ServeStartInfo(address, data, options, _ => null);
        Assert.Equal("1", info.Environment[LoadtestCommand.ServerGcVariable]);
        Assert.Equal("Warning", info.Environment["Logging__LogLevel__Default"]);
        Assert.Equal(["serve", "--urls", "http://127.0.0.1:5099", "--data", data.Root, "--db", "sqlite"], info.ArgumentList.Skip(1).Take(7));

        // Set by whoever runs the tool (DOTNET_gcServer=0 to compare): the instance inherits it untouched.
        var chosen = LoadtestCommand.ServeStartInfo(address, data, options, name => name == LoadtestCommand.ServerGcVariable ? "0" : null);
        Assert.Equal(Environment.GetEnvironmentVariable(LoadtestCommand.ServerGcVariable), chosen.Environment.TryGetValue(LoadtestCommand.ServerGcVariable, out var inherited) ? inherited : null);
    }
}
