namespace Pluralist.Core.Model;

/// <summary>Where a <see cref="Job"/> is; stored as its number.</summary>
public enum JobState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
}

/// <summary>
/// A background job in the database queue (schema version 12): what to run (<see cref="Kind"/> and its
/// <see cref="Arguments"/>), who asked, and where it is: claimed by one worker at a time under a lease its heartbeat
/// renews, retried with backoff until <see cref="MaxAttempts"/>, with its progress, result or error.
/// </summary>
public sealed class Job
{
    /// <summary>Readable and sortable: <c>yyyyMMdd-HHmmss-xxxxxx</c> (UTC), also the name of the job's folder.</summary>
    public string Id { get; set; } = "";

    /// <summary>Which handler runs it (<c>report</c>, <c>raters</c>, <c>images</c>).</summary>
    public string Kind { get; set; } = "";

    public long? StudyId { get; set; }

    /// <summary>The staff account that asked for it.</summary>
    public long? RequestedBy { get; set; }

    /// <summary>The request as JSON, read by the kind's handler.</summary>
    public string Arguments { get; set; } = "{}";

    /// <summary>At most one queued or running job holds a key (one report of a study at a time); null for none.</summary>
    public string? ExclusiveKey { get; set; }

    public JobState State { get; set; }

    /// <summary>Times a worker has claimed it.</summary>
    public int Attempts { get; set; }

    public int MaxAttempts { get; set; } = 1;

    /// <summary>Not claimed before (the backoff after a failed attempt).</summary>
    public DateTimeOffset RunAfter { get; set; }

    /// <summary>The worker instance running it, or that ran it last.</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>While running: another worker may take it over after this instant (its worker stopped renewing it).</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Fraction done, 0 to 1.</summary>
    public double Progress { get; set; }

    /// <summary>The step it is at (a phase, a section name).</summary>
    public string? ProgressMessage { get; set; }

    /// <summary>The kind's own counters as JSON (images rendered, ratings made).</summary>
    public string? ProgressDetail { get; set; }

    /// <summary>What it made, as JSON (the kind's result: a folder, a run, counts).</summary>
    public string? Result { get; set; }

    /// <summary>Why the last attempt failed (kept while it waits for a retry).</summary>
    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? HeartbeatAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>True while queued or running.</summary>
    public bool Active => State is JobState.Queued or JobState.Running;
}
