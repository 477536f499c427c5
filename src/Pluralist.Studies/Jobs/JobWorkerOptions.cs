namespace Pluralist.Studies.Jobs;

/// <summary>How often a <see cref="JobWorker"/> looks for work and how long its claim lasts (configuration <c>Pluralist:Jobs</c>).</summary>
public sealed class JobWorkerOptions
{
    /// <summary>False: this instance queues jobs and shows them, but runs none (another instance's worker does).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>This instance's name in <c>jobs.claimed_by</c>; by default host, process id and a random suffix.</summary>
    public string? InstanceId { get; set; }

    /// <summary>Between looks at the queue when nothing is due (an enqueue on this instance wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim lasts without a heartbeat: after it, another instance takes the job over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Between looks at the running job's progress; the lease is renewed at least every third of <see cref="Lease"/>.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// At least this long between two writes of a running job's progress (SQLite has one writer at a time, and
    /// participants' answers wait behind each write); the lease renewal every third of <see cref="Lease"/> writes the
    /// progress too, and the job's end is written at once.
    /// </summary>
    public TimeSpan ProgressWriteInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The wait after a first failed attempt; it doubles with each further attempt, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan Backoff { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The wait before attempt <paramref name="attempts"/> + 1 after <paramref name="attempts"/> failed ones.</summary>
    public TimeSpan BackoffAfter(int attempts) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, Backoff.Ticks * (1L << Math.Clamp(attempts - 1, 0, 20))));
}
