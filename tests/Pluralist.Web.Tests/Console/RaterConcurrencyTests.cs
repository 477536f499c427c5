using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Pluralist.Data;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Raters;
using Pluralist.Studies.Console.Jobs;
using Pluralist.Studies.Raters;

namespace Pluralist.Web.Tests.Console;

/// <summary><c>raters run --concurrency N</c>: the same answers whatever N, requests really overlap, and the rate limit holds.</summary>
public sealed class RaterConcurrencyTests
{
    /// <summary>The offline rater, slowed down and watched: when each request starts and how many are in flight.</summary>
    private sealed class WatchedClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        private int _inFlight;

        public ConcurrentBag<long> Starts { get; } = [];

        public int MaxInFlight { get; private set; }

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Starts.Add(Stopwatch.GetTimestamp());
            var now = Interlocked.Increment(ref _inFlight);
            lock (Starts)
            {
                MaxInFlight = Math.Max(MaxInFlight, now);
            }

            try
            {
                await Task.Delay(15, cancellationToken);
                return await base.GetResponseAsync(messages, options, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private static async Task<(List<string> Answers, WatchedClient Client, int Calls)> RunAsync(AppServer server, PerceptionProbe probe, int concurrency, double rpm, int items)
    {
        await using var db = server.Database.CreateContext();
        // A fresh run each time: no answer may come from an earlier run's cache.
        await db.SyntheticAnswers.ExecuteDeleteAsync();
        await db.SyntheticRuns.ExecuteDeleteAsync();
        var client = new WatchedClient(new OfflinePersonaChatClient(probe));
        var rater = new SyntheticRater(client, new RaterOptions { Model = OfflinePersonaChatClient.ModelName, RequestsPerMinute = rpm });
        var result = await RaterRuns.RunAsync(db, new DataDirectory(server.DataRoot), rater, new RaterRuns.Request
        {
            Study = "livs-default",
            Model = OfflinePersonaChatClient.ModelName,
            Endpoint = "offline",
            Items = items,
            Concurrency = concurrency,
        }, DateTimeOffset.UtcNow);
        Assert.Equal(0, result.Cached);
        var answers = await db.SyntheticAnswers.AsNoTracking()
            .Select(a => new { a.PersonaKey, a.ItemKey, a.Status, a.Scores, a.CacheKey, a.Attempts })
            .ToListAsync();
        return ([.. answers.Select(a => $"{a.PersonaKey}|{a.ItemKey}|{a.Status}|{string.Join(',', a.Scores)}|{a.CacheKey}|{a.Attempts}").Order(StringComparer.Ordinal)], client, result.Run.Calls);
    }

    [Fact]
    public async Task Answers_are_the_same_whatever_the_concurrency_and_the_rate_limit_holds()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await RaterJobTests.SimulateAsync(server, 30, 10);
        var probe = PerceptionProbe.Load(RaterJobs.ProbePath);

        var (one, serial, calls1) = await RunAsync(server, probe, 1, 0, 3);
        var (four, parallel, calls4) = await RunAsync(server, probe, 4, 0, 3);
        Assert.Equal(1, serial.MaxInFlight);
        Assert.True(parallel.MaxInFlight > 1, $"at most {parallel.MaxInFlight} in flight with --concurrency 4");
        Assert.InRange(parallel.MaxInFlight, 2, 4);
        Assert.True(one.Count > 20, $"{one.Count} answers");
        Assert.Equal(one, four);
        Assert.Equal(calls1, calls4);

        // 1,200 requests a minute = one start every 50 ms, however many are in flight.
        var before = Stopwatch.GetTimestamp();
        var (paced, watched, _) = await RunAsync(server, probe, 4, 1200, 1);
        Assert.All(paced, a => Assert.Contains(a, one)); // the first pair's answers, as before
        var starts = watched.Starts.Order().ToArray();
        Assert.True(starts.Length > 6, $"{starts.Length} starts");
        // The pacer reserves start times 50 ms apart from the run's beginning; a busy machine can only make a start
        // late, never early. So the k-th start (in time order) comes at least k slots after the run began: unpaced, with
        // four in flight, the first starts would all come together.
        Assert.All(starts.Select((t, k) => (k, ms: Stopwatch.GetElapsedTime(before, t).TotalMilliseconds)),
            s => Assert.True(s.ms >= (s.k * 50) - 5, $"start {s.k} came {s.ms:0.0} ms after the run began with --rpm 1200"));
    }
}
