using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Data;
using Pluralist.Studies.Demo;
using Pluralist.Testing;
using Xunit.Abstractions;

namespace Pluralist.Web.Tests.Load;

/// <summary>
/// 200 participants answer at once against the app running as its own process; the process is
/// SIGKILLed in the middle and started again; the clients retry with the same request ids.
/// Every acknowledged answer must be in the database exactly once.
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
        var server = await ServerProcess.StartAsync(address, settings, TimeSpan.FromSeconds(60));
        var acks = new ConcurrentBag<Ack>();
        var requestMs = new ConcurrentBag<double>();
        var answerMs = new ConcurrentBag<double>();
        var failedAttempts = 0;
        var acked = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan killedAt, back;
        try
        {
            var clients = new List<HttpClient>();
            foreach (var chunk in codes.Chunk(50))
            {
                clients.AddRange(await Task.WhenAll(chunk.Select(code => JoinAsync(address, code))));
            }

            clock.Restart();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            var runs = clients.Select((client, n) => Task.Run(async () =>
            {
                var random = new Random(n);
                for (var i = 0; i < AnswersEach; i++)
                {
                    var (assignment, token, criteria) = await WithRetryAsync(() => NextTaskAsync(client), deadline, () => Interlocked.Increment(ref failedAttempts));
                    var scores = criteria.Select(c => (double?)(random.Next(9) - 4) / 4).ToArray();
                    var requestId = $"{n}-{i}-{Guid.NewGuid():N}";
                    var body = JsonSerializer.Serialize(new
                    {
                        clientRequestId = requestId,
                        scores = criteria.Select((c, k) => new { criterion = c, score = scores[k] }),
                        clientDurationMs = 1000,
                    });
                    var started = Stopwatch.GetTimestamp();
                    var duplicate = await WithRetryAsync(async () =>
                    {
                        var attempt = Stopwatch.GetTimestamp();
                        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/assignments/{assignment}/annotation")
                        {
                            Content = new StringContent(body, Encoding.UTF8, "application/json"),
                        };
                        request.Headers.Add("X-CSRF-TOKEN", token);
                        using var response = await client.SendAsync(request);
                        if ((int)response.StatusCode >= 500)
                        {
                            throw new HttpRequestException($"HTTP {(int)response.StatusCode}");
                        }

                        var text = await response.Content.ReadAsStringAsync();
                        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
                        requestMs.Add(Stopwatch.GetElapsedTime(attempt).TotalMilliseconds);
                        using var doc = JsonDocument.Parse(text);
                        return doc.RootElement.GetProperty("duplicate").GetBoolean();
                    }, deadline, () => Interlocked.Increment(ref failedAttempts));
                    answerMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    acks.Add(new Ack(assignment, requestId, criteria, scores, duplicate));
                    Interlocked.Increment(ref acked);
                }
            })).ToList();

            // Kill the server once 40% of the answers are acknowledged, then start it again on the same port and data.
            while (Volatile.Read(ref acked) < Participants * AnswersEach * 2 / 5 && !runs.All(r => r.IsCompleted))
            {
                await Task.Delay(5);
            }

            server.Kill();
            killedAt = clock.Elapsed;
            var ackedAtKill = Volatile.Read(ref acked);
            server.Dispose();
            server = await ServerProcess.StartAsync(address, settings, TimeSpan.FromSeconds(60));
            back = clock.Elapsed;
            await Task.WhenAll(runs);
            clock.Stop();

            var total = acks.Count;
            output.WriteLine($"{provider}: {Participants} participants x {AnswersEach} answers = {total} acknowledged in {clock.Elapsed.TotalSeconds:F1} s ({total / clock.Elapsed.TotalSeconds:F0} answers/s, each answer = GET /task + POST)");
            output.WriteLine($"SIGKILL at {killedAt.TotalSeconds:F1} s after {ackedAtKill} acknowledgements; server answering again at {back.TotalSeconds:F1} s; {failedAttempts} failed attempts retried; {acks.Count(a => a.Duplicate)} answers acknowledged as duplicates (committed before the kill, response lost)");
            output.WriteLine($"POST latency (successful attempts): p50 {Percentile(requestMs, 50):F0} ms, p95 {Percentile(requestMs, 95):F0} ms, p99 {Percentile(requestMs, 99):F0} ms, max {requestMs.Max():F0} ms");
            output.WriteLine($"answer latency (first send to acknowledgement, retries included): p50 {Percentile(answerMs, 50):F0} ms, p95 {Percentile(answerMs, 95):F0} ms, p99 {Percentile(answerMs, 99):F0} ms, max {answerMs.Max():F0} ms");
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"Load run failed; server said:\n{server.Tail}", e);
        }
        finally
        {
            server.Dispose();
        }

        await using (var db = database.CreateContext())
        {
            Assert.Equal(Participants * AnswersEach, acks.Count);
            var stored = await db.Annotations.AsNoTracking().Include(a => a.Scores).ToListAsync();
            Assert.Equal(acks.Count, stored.Count);
            Assert.Equal(stored.Count, stored.Select(a => a.AssignmentId).Distinct().Count());
            var byRequest = stored.ToDictionary(a => a.ClientRequestId);
            foreach (var ack in acks)
            {
                Assert.True(byRequest.TryGetValue(ack.RequestId, out var a), $"acknowledged answer {ack.RequestId} is missing");
                Assert.Equal(ack.AssignmentId, a.AssignmentId);
                var scores = a.Scores.OrderBy(s => s.Position).ToList();
                Assert.Equal(ack.Criteria, scores.Select(s => s.CriterionKey));
                Assert.Equal(ack.Scores, scores.Select(s => s.Score));
            }
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

    private static async Task<HttpClient> JoinAsync(Uri address, string code)
    {
        var handler = new SocketsHttpHandler
        {
            CookieContainer = new CookieContainer(),
            UseCookies = true,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };
        var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(15) };
        var join = await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = code });
        Assert.Equal(HttpStatusCode.Redirect, join.StatusCode);
        var consent = await ParticipantClient.PostFormAsync(client, "/consent", "/consent", new() { ["agree"] = "true" });
        Assert.Equal(HttpStatusCode.Redirect, consent.StatusCode);
        return client;
    }

    private static async Task<(long Assignment, string Token, string[] Criteria)> NextTaskAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/task");
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var form = doc.QuerySelector("form#answer") ?? throw new Xunit.Sdk.XunitException("no task form");
        return (long.Parse(form.GetAttribute("data-assignment")!, CultureInfo.InvariantCulture), form.GetAttribute("data-token")!,
            doc.QuerySelectorAll("input[type=range]").Select(e => e.GetAttribute("data-key")!).ToArray());
    }

    /// <summary>What the page does: the same request again, with back-off, on network errors and 5xx.</summary>
    private static async Task<T> WithRetryAsync<T>(Func<Task<T>> action, DateTime deadline, Action onFailure)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await action();
            }
            // Any network failure, as the page's fetch sees it: HttpClient occasionally lets a raw
            // SocketException or IOException out of its connect path when the server dies mid-connect.
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException or IOException && DateTime.UtcNow < deadline)
            {
                onFailure();
                await Task.Delay(Math.Min(1000, 50 << Math.Min(attempt, 5)));
            }
        }
    }

    private static double Percentile(IEnumerable<double> values, int p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private sealed record Ack(long AssignmentId, string RequestId, string[] Criteria, double?[] Scores, bool Duplicate);
}
