using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Studies.Jobs;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// The database job queue that every app instance works off (issue 24): each job is claimed by one worker only, a job
/// whose worker died is taken over once its lease runs out, failures are retried with backoff and then fail with their
/// error visible, and a job queued on one instance is run by another.
/// </summary>
public sealed class JobQueueTests
{
    private const string Kind = "test";

    [Fact]
    public Task Concurrent_claims_on_sqlite_take_each_job_exactly_once() => ClaimOnceAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Concurrent_claims_on_postgres_take_each_job_exactly_once() => ClaimOnceAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task Several_workers_on_sqlite_run_each_job_once() => WorkersRunOnceAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Several_workers_on_postgres_run_each_job_once() => WorkersRunOnceAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task On_sqlite_a_job_whose_worker_died_is_taken_over_after_its_lease_and_completes_once() => LeaseAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task On_postgres_a_job_whose_worker_died_is_taken_over_after_its_lease_and_completes_once() => LeaseAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task On_sqlite_failures_are_retried_with_backoff_then_fail_with_the_error_visible() => RetryAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task On_postgres_failures_are_retried_with_backoff_then_fail_with_the_error_visible() => RetryAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task On_sqlite_a_job_queued_on_one_instance_is_run_by_another_when_the_first_worker_is_stopped() => OtherInstanceAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task On_postgres_a_job_queued_on_one_instance_is_run_by_another_when_the_first_worker_is_stopped() => OtherInstanceAsync(DatabaseProvider.Postgres);

    [Fact]
    public async Task An_exclusive_key_admits_one_active_job_and_frees_when_it_ends()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var queue = new JobQueue(db.Options);
        var first = await queue.EnqueueAsync(Kind, null, null, "{}", 1, "only-one");
        Assert.NotNull(first);
        Assert.Null(await queue.EnqueueAsync(Kind, null, null, "{}", 1, "only-one"));
        Assert.Equal(first.Id, (await queue.FindActiveAsync("only-one"))!.Id);
        var claimed = await queue.ClaimAsync("w", [Kind], TimeSpan.FromMinutes(1));
        Assert.True(await queue.SucceedAsync(claimed!.Id, "w", "{}", "ok", null));
        Assert.NotNull(await queue.EnqueueAsync(Kind, null, null, "{}", 1, "only-one"));
    }

    private static async Task ClaimOnceAsync(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var enqueuer = new JobQueue(db.Options);
        const int jobs = 40;
        for (var i = 0; i < jobs; i++)
        {
            await enqueuer.EnqueueAsync(Kind, null, null, $"{{\"n\":{i}}}", 1);
        }

        // Eight instances, each with its own queue object, claim as fast as they can at the same time.
        var claimed = new ConcurrentBag<(string Worker, string Job)>();
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var queue = new JobQueue(db.Options);
            start.Wait();
            while (await queue.ClaimAsync($"worker-{w}", [Kind], TimeSpan.FromMinutes(5)) is { } job)
            {
                claimed.Add(($"worker-{w}", job.Id));
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(tasks);

        Assert.Equal(jobs, claimed.Count);
        Assert.Equal(jobs, claimed.Select(c => c.Job).Distinct().Count());
        var rows = await enqueuer.ListAsync(Kind, null, 1000);
        Assert.All(rows, r => Assert.Equal((JobState.Running, 1), (r.State, r.Attempts)));
        Assert.All(rows, r => Assert.Equal(claimed.Single(c => c.Job == r.Id).Worker, r.ClaimedBy));
    }

    private static async Task WorkersRunOnceAsync(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var runs = new ConcurrentDictionary<string, int>();
        var handler = new Handler(async (context, ct) =>
        {
            runs.AddOrUpdate(context.Job.Id, 1, (_, n) => n + 1);
            await Task.Delay(5, ct);
            return new JobOutcome("{}", "ok");
        });
        var workers = Enumerable.Range(0, 3).Select(i => Worker(new JobQueue(db.Options), handler, $"instance-{i}")).ToList();
        foreach (var w in workers)
        {
            await w.StartAsync(CancellationToken.None);
        }

        var queue = new JobQueue(db.Options);
        const int jobs = 30;
        for (var i = 0; i < jobs; i++)
        {
            await queue.EnqueueAsync(Kind, null, null, "{}", 3);
        }

        try
        {
            await WaitAsync(async () => (await queue.ListAsync(Kind, null)).All(j => j.State == JobState.Succeeded), "every job to succeed");
        }
        finally
        {
            foreach (var w in workers)
            {
                await w.StopAsync(CancellationToken.None);
                w.Dispose();
            }
        }

        var rows = await queue.ListAsync(Kind, null);
        Assert.Equal(jobs, rows.Count);
        Assert.Equal(jobs, runs.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
        Assert.All(rows, r => Assert.Equal((1, 1.0, "ok"), (r.Attempts, r.Progress, r.ProgressMessage)));
    }

    private static async Task LeaseAsync(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var queue = new JobQueue(db.Options);
        var job = (await queue.EnqueueAsync(Kind, null, null, "{}", 3))!;
        // An instance claims it and is killed at once: no heartbeat ever renews its short lease.
        var dead = await queue.ClaimAsync("killed-instance", [Kind], TimeSpan.FromMilliseconds(1500));
        Assert.Equal(job.Id, dead!.Id);

        var runs = 0;
        var handler = new Handler((context, ct) =>
        {
            Interlocked.Increment(ref runs);
            context.Report(0.5, "half way", new { step = 1 });
            return Task.FromResult(new JobOutcome("{\"made\":1}", "made one"));
        });
        using var worker = Worker(new JobQueue(db.Options), handler, "survivor");
        await worker.StartAsync(CancellationToken.None);
        // Before the lease runs out nobody else takes it.
        await Task.Delay(150);
        Assert.Equal(("killed-instance", JobState.Running), ((await queue.FindAsync(job.Id))!.ClaimedBy, (await queue.FindAsync(job.Id))!.State));
        await WaitAsync(async () => (await queue.FindAsync(job.Id))!.State == JobState.Succeeded, "the job to be taken over");
        await worker.StopAsync(CancellationToken.None);

        var done = (await queue.FindAsync(job.Id))!;
        Assert.Equal(1, runs);
        Assert.Equal(("survivor", 2, "{\"made\":1}", "made one"), (done.ClaimedBy, done.Attempts, done.Result, done.ProgressMessage));
        // The killed instance, were it to come back, can change nothing.
        Assert.False(await queue.SucceedAsync(job.Id, "killed-instance", "{}", "late", null));
        Assert.False(await queue.HeartbeatAsync(job.Id, "killed-instance", TimeSpan.FromMinutes(1), 0.1, "late", null));
        Assert.Equal("made one", (await queue.FindAsync(job.Id))!.ProgressMessage);

        // A job whose lease ran out with no attempt left fails with a message saying so.
        var last = (await queue.EnqueueAsync(Kind, null, null, "{}", 1))!;
        Assert.Equal(last.Id, (await queue.ClaimAsync("killed-again", [Kind], TimeSpan.FromMilliseconds(50)))!.Id);
        await Task.Delay(200);
        Assert.Null(await queue.ClaimAsync("another", [Kind], TimeSpan.FromMinutes(1)));
        var failed = (await queue.FindAsync(last.Id))!;
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("killed-again", failed.Error, StringComparison.Ordinal);
        Assert.Contains("all 1 attempts are used", failed.Error, StringComparison.Ordinal);
    }

    private static async Task RetryAsync(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var queue = new JobQueue(db.Options);
        var starts = new ConcurrentQueue<(string Job, long Ms)>();
        var clock = Stopwatch.StartNew();
        var handler = new Handler((context, ct) =>
        {
            starts.Enqueue((context.Job.Id, clock.ElapsedMilliseconds));
            var kind = context.Arguments<Dictionary<string, string>>()["fail"];
            throw kind == "always" ? new InvalidOperationException($"the model server did not answer (attempt {context.Job.Attempts})") : new JobArgumentsException("size: 7 is not a size");
        });
        using var worker = Worker(queue, handler, "retrier", backoff: TimeSpan.FromMilliseconds(300));
        await worker.StartAsync(CancellationToken.None);
        var flaky = (await queue.EnqueueAsync(Kind, null, null, "{\"fail\":\"always\"}", 3))!;
        var bad = (await queue.EnqueueAsync(Kind, null, null, "{\"fail\":\"arguments\"}", 3))!;

        // Between attempts the job waits in the queue with its error and attempts visible.
        await WaitAsync(async () => (await queue.FindAsync(flaky.Id))! is { State: JobState.Queued, Attempts: 1 }, "the first retry to be queued");
        var waiting = (await queue.FindAsync(flaky.Id))!;
        Assert.Contains("the model server did not answer (attempt 1)", JobMessages.Describe(waiting), StringComparison.Ordinal);
        Assert.StartsWith("Attempt 1 of 3 failed", JobMessages.Describe(waiting), StringComparison.Ordinal);
        Assert.True(waiting.RunAfter > queue.Now - TimeSpan.FromSeconds(1));

        await WaitAsync(async () => (await queue.FindAsync(flaky.Id))!.State == JobState.Failed, "the job to fail");
        await worker.StopAsync(CancellationToken.None);

        var failed = (await queue.FindAsync(flaky.Id))!;
        Assert.Equal((3, "the model server did not answer (attempt 3)"), (failed.Attempts, failed.Error));
        Assert.NotNull(failed.FinishedAt);
        var times = starts.Where(s => s.Job == flaky.Id).Select(s => s.Ms).ToList();
        Assert.Equal(3, times.Count);
        // Backoff doubles: 300 ms after the first failure, 600 ms after the second.
        Assert.True(times[1] - times[0] >= 280, $"second attempt {times[1] - times[0]} ms after the first");
        Assert.True(times[2] - times[1] >= 580, $"third attempt {times[2] - times[1]} ms after the second");

        // Bad arguments cannot succeed on retry: one attempt, failed at once with the message.
        var refused = (await queue.FindAsync(bad.Id))!;
        Assert.Equal((JobState.Failed, 1, "size: 7 is not a size"), (refused.State, refused.Attempts, refused.Error));
        Assert.Single(starts, s => s.Job == bad.Id);
    }

    private static async Task OtherInstanceAsync(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var ran = new ConcurrentBag<string>();
        var handler = new Handler((context, ct) =>
        {
            ran.Add(context.Job.Id);
            return Task.FromResult(new JobOutcome(null, "done"));
        });
        var queueA = new JobQueue(db.Options);
        var queueB = new JobQueue(db.Options);
        using var a = Worker(queueA, handler, "instance-a");
        using var b = Worker(queueB, handler, "instance-b", poll: TimeSpan.FromMilliseconds(200));
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        await a.StopAsync(CancellationToken.None);

        var job = (await queueA.EnqueueAsync(Kind, null, null, "{}", 1))!;
        await WaitAsync(async () => (await queueA.FindAsync(job.Id))!.State == JobState.Succeeded, "instance B to run the job");
        await b.StopAsync(CancellationToken.None);
        Assert.Equal("instance-b", (await queueA.FindAsync(job.Id))!.ClaimedBy);
        Assert.Equal([job.Id], ran.ToArray());
    }

    private static JobWorker Worker(JobQueue queue, IJobHandler handler, string instance, TimeSpan? poll = null, TimeSpan? backoff = null) =>
        new(queue, [handler], new JobWorkerOptions
        {
            InstanceId = instance,
            PollInterval = poll ?? TimeSpan.FromMilliseconds(50),
            Lease = TimeSpan.FromSeconds(10),
            ProgressInterval = TimeSpan.FromMilliseconds(50),
            Backoff = backoff ?? TimeSpan.FromMilliseconds(100),
        }, NullLogger<JobWorker>.Instance);

    private static async Task WaitAsync(Func<Task<bool>> done, string what)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"timed out waiting for {what}");
    }

    private sealed class Handler(Func<JobContext, CancellationToken, Task<JobOutcome>> run) : IJobHandler
    {
        public string Kind => JobQueueTests.Kind;

        public Task<JobOutcome> RunAsync(JobContext context, CancellationToken ct) => run(context, ct);
    }
}
