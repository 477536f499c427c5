using Microsoft.EntityFrameworkCore;
using Pluralist.Data;
using Pluralist.Studies.Demo;
using Pluralist.Studies.Load;
using Pluralist.Testing;
using Xunit.Abstractions;

namespace Pluralist.Web.Tests.Load;

/// <summary>
/// 200 participants answer at once against the app running as its own process; the process is
/// SIGKILLed in the middle and started again; the clients retry with the same request ids.
/// Every acknowledged answer must be in the database exactly once. The participants, the kill and the check are the
/// load generator's (<see cref="LoadRun"/>, <see cref="LoadCheck"/>), as <c>pluralist loadtest</c> runs them.
/// </summary>
public sealed class CrashLoadTests(ITestOutputHelper output)
{
    private const int Participants = 200;
    private const int AnswersEach = 3;

    [Fact]
    public Task Acknowledged_answers_survive_a_sigkill_and_retries_store_each_once_on_sqlite() => RunAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Acknowledged_answers_survive_a_sigkill_and_retries_store_each_once_on_postgres() => RunAsync(DatabaseProvider.Postgres);

    private async Task RunAsync(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var dataRoot = Path.Combine(Path.GetTempPath(), "pluralist-load-" + Guid.NewGuid().ToString("N"));
        IReadOnlyList<string> codes;
        await using (var db = database.CreateContext())
        {
            var seed = await DemoSeeder.SeedAsync(db, new DataDirectory(dataRoot), DateTimeOffset.UtcNow, Participants, imagesPerPrompt: 4);
            codes = seed.InvitationCodes;
            var study = await db.Studies.FindAsync(seed.Study.Id);
            study!.SessionCap = 10_000;
            await db.SaveChangesAsync();

            // 600 answers on the demo's 36 pairs: every participant may see any pair (overlap K = the participant count).
            await db.Batches.ExecuteUpdateAsync(b => b.SetProperty(x => x.Overlap, Participants));
        }

        var address = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}/");
        var settings = new Dictionary<string, string>
        {
            ["Pluralist:Data"] = dataRoot,
            ["Pluralist:Db"] = provider.ToString(),
            ["Pluralist:Connection"] = database.Options.ConnectionString,
            ["Pluralist:CodeAttemptsPerMinute"] = "1000000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var server = await WebProcess.StartAsync(address, settings, TimeSpan.FromSeconds(60));
        var load = new LoadSettings { Urls = [address], Answers = Participants * AnswersEach, RetryFor = TimeSpan.FromSeconds(120) };
        LoadOutcome outcome;
        try
        {
            var (sessions, failures) = await LoadRun.JoinAsync(load, codes, CancellationToken.None);
            Assert.Empty(failures);
            Assert.Equal(Participants, sessions.Count);

            // Kill the server once 40% of the answers are acknowledged, then start it again on the same port and data.
            var kill = new LoadKill(null, Participants * AnswersEach * 2 / 5, async _ =>
            {
                server.Kill();
                server.Dispose();
                server = await WebProcess.StartAsync(address, settings, TimeSpan.FromSeconds(60));
                return null;
            });
            outcome = await LoadRun.RunAsync(load, sessions, kill);
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"Load run failed; server said:\n{server.Tail}", e);
        }
        finally
        {
            server.Dispose();
        }

        var killed = outcome.Kill!;
        output.WriteLine($"{provider}: {Participants} participants, {outcome.Acks.Count} answers acknowledged in {outcome.Seconds:F1} s ({outcome.AnswersPerSecond:F0} answers/s, each answer = GET /task + POST)");
        output.WriteLine($"SIGKILL at {killed.AtSeconds:F1} s after {killed.AnswersBefore} acknowledgements; server answering again at {killed.ActDoneSeconds:F1} s; attempts retried: {string.Join(", ", outcome.Errors.Select(kv => $"{kv.Key} {kv.Value}"))}; {outcome.Duplicates} answers acknowledged as duplicates (committed before the kill, response lost)");
        output.WriteLine($"submit latency (first send to acknowledgement, retries included): p50 {outcome.Submit.P50:F0} ms, p95 {outcome.Submit.P95:F0} ms, p99 {outcome.Submit.P99:F0} ms, max {outcome.Submit.Max:F0} ms");
        output.WriteLine($"cycle latency (next task + submit): p50 {outcome.Cycle.P50:F0} ms, p95 {outcome.Cycle.P95:F0} ms, p99 {outcome.Cycle.P99:F0} ms, max {outcome.Cycle.Max:F0} ms");

        Assert.Equal(Participants * AnswersEach, outcome.Acks.Count);
        Assert.Equal(0, outcome.GaveUp);
        Assert.Empty(outcome.Unacknowledged);
        await using (var db = database.CreateContext())
        {
            var check = await LoadCheck.VerifyAsync(db, codes, outcome);
            Assert.True(check.Passed, string.Join('\n', check.Problems));
            Assert.Equal(outcome.Acks.Count, check.Stored);

            // Nothing else in the database either: every annotation is one the clients had acknowledged.
            Assert.Equal(outcome.Acks.Count, await db.Annotations.CountAsync());
            Assert.Equal(outcome.Acks.Count, await db.Annotations.Select(a => a.AssignmentId).Distinct().CountAsync());
        }

        try
        {
            Directory.Delete(dataRoot, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned with the temp folder later.
        }
    }
}
