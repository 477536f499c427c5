using Pluralist.Core.Model;
using Pluralist.Data.Jobs;

namespace Pluralist.Studies.Jobs;

/// <summary>How a cancel request ended.</summary>
public enum JobCancelOutcome
{
    /// <summary>The job was queued or running and is now cancelled (a running one stops at its next heartbeat).</summary>
    Cancelled,

    /// <summary>No job of this id belongs to the study.</summary>
    NotFound,

    /// <summary>The job had already ended (succeeded, failed or cancelled): nothing changed.</summary>
    AlreadyEnded,
}

/// <summary>
/// Cancelling a background job of a study, for the console's pages (the caller checks the role and audits): a job of
/// another study is unknown here, whatever its id.
/// </summary>
public sealed class JobCancellation(JobQueue queue)
{
    /// <summary>Cancels job <paramref name="id"/> of <paramref name="study"/>; <paramref name="by"/> names who did, in the job's error.</summary>
    public async Task<(JobCancelOutcome Outcome, Job? Job)> CancelAsync(Study study, string? id, string by, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentException.ThrowIfNullOrEmpty(by);
        if (string.IsNullOrWhiteSpace(id) || await queue.FindAsync(id, ct) is not { } job || job.StudyId != study.Id)
        {
            return (JobCancelOutcome.NotFound, null);
        }

        if (!await queue.CancelAsync(job.Id, "by " + by + ".", ct))
        {
            return (JobCancelOutcome.AlreadyEnded, await queue.FindAsync(job.Id, ct));
        }

        return (JobCancelOutcome.Cancelled, await queue.FindAsync(job.Id, ct));
    }
}
