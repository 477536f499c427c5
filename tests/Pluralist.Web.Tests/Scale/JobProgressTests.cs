using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Studies.Jobs;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// A running job's progress writes are throttled (<see cref="JobWorkerOptions.ProgressWriteInterval"/>): a handler that
/// reports a hundred times a second still costs the database about one write per interval, the progress is still
/// shown while it runs, and a cancel is still noticed at the next write.
/// </summary>
public sealed class JobProgressTests
{
    private const string Kind = "progress-test";

    [Fact]
    public Task On_sqlite_progress_writes_are_throttled_and_progress_is_still_shown() => ThrottledAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task On_postgres_progress_writes_are_throttled_and_progress_is_still_shown() => ThrottledAsync(DatabaseProvider.Postgres);

    private static async Task ThrottledAsync(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var queue = new JobQueue(db.Options);
        var reports = 0;
        var completed = new System.Collections.Concurrent.ConcurrentBag<string>();
        var handler = new Handler(async (context, ct) =>
        {
            // Seconds of work reporting every 10 ms (3.5 s: some 350 reports).
            var seconds = context.Arguments<Dictionary<string, double>>()["seconds"];
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                context.Report(clock.Elapsed.TotalSeconds / seconds, "working", new { reports = Interlocked.Increment(ref reports) });
                await Task.Delay(10, ct);
            }

            completed.Add(context.Job.Id);
            return new JobOutcome("{}", "done");
        });
        using var worker = new JobWorker(queue, [handler], new JobWorkerOptions
        {
            InstanceId = "throttled",
            PollInterval = TimeSpan.FromMilliseconds(50),
            Lease = TimeSpan.FromSeconds(30),
            ProgressInterval = TimeSpan.FromMilliseconds(50),
            ProgressWriteInterval = TimeSpan.FromSeconds(1),
        }, NullLogger<JobWorker>.Instance);
        await worker.StartAsync(CancellationToken.None);
        try
        {
            var job = (await queue.EnqueueAsync(Kind, null, null, "{\"seconds\":3.5}", 1))!;
            var beats = new HashSet<DateTimeOffset>();
            var shown = new List<double>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            Job row;
            do
            {
                await Task.Delay(20);
                row = (await queue.FindAsync(job.Id))!;
                if (row.State == JobState.Running && row.HeartbeatAt is { } beat)
                {
                    beats.Add(beat);
                    shown.Add(row.Progress);
                }
            }
            while (row.State is JobState.Queued or JobState.Running && DateTime.UtcNow < deadline);

            Assert.Equal(JobState.Succeeded, row.State);
            Assert.True(reports > 100, $"{reports} reports");
            // The claim and about one write a second over 3.5 s (unthrottled, every 50 ms: some 70).
            Assert.InRange(beats.Count, 2, 6);
            // The progress moved while it ran: at least two values strictly between 0 and 1 were shown.
            Assert.True(shown.Where(p => p is > 0 and < 1).Distinct().Count() >= 2, $"progress shown: {string.Join(", ", shown.Distinct())}");

            // A cancelled job (60 s of work) stops at its next write: the worker moves on to the next job long before.
            var cancelled = (await queue.EnqueueAsync(Kind, null, null, "{\"seconds\":60}", 1))!;
            await WaitAsync(async () => (await queue.FindAsync(cancelled.Id))!.State == JobState.Running);
            var at = Stopwatch.StartNew();
            Assert.True(await queue.CancelAsync(cancelled.Id, "by a test."));
            var next = (await queue.EnqueueAsync(Kind, null, null, "{\"seconds\":0.1}", 1))!;
            await WaitAsync(async () => (await queue.FindAsync(next.Id))!.State == JobState.Succeeded);
            Assert.True(at.Elapsed < TimeSpan.FromSeconds(20), $"the worker took {at.Elapsed.TotalSeconds:0.0} s to notice");
            Assert.DoesNotContain(cancelled.Id, completed);
            Assert.Equal((JobState.Cancelled, "by a test."), ((await queue.FindAsync(cancelled.Id))!.State, (await queue.FindAsync(cancelled.Id))!.Error));
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> done)
    {
        for (var i = 0; i < 1500; i++)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail("timed out");
    }

    private sealed class Handler(Func<JobContext, CancellationToken, Task<JobOutcome>> run) : IJobHandler
    {
        public string Kind => JobProgressTests.Kind;

        public Task<JobOutcome> RunAsync(JobContext context, CancellationToken ct) => run(context, ct);
    }
}
