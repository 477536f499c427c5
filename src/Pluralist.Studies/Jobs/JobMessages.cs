using System.Globalization;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Jobs;

/// <summary>What the console says about a job that has not succeeded: its attempts and its last error.</summary>
public static class JobMessages
{
    /// <summary>Null for a fresh queued job or a running first attempt; otherwise the attempts and the error.</summary>
    public static string? Describe(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.State switch
        {
            JobState.Queued when job.Error is not null => string.Create(CultureInfo.InvariantCulture,
                $"Attempt {job.Attempts} of {job.MaxAttempts} failed: {job.Error} It will be tried again after {job.RunAfter:yyyy-MM-dd HH:mm:ss} UTC."),
            JobState.Running when job.Attempts > 1 => string.Create(CultureInfo.InvariantCulture,
                $"Attempt {job.Attempts} of {job.MaxAttempts}{(job.Error is null ? "" : $" (the last one failed: {job.Error})")}."),
            JobState.Failed => job.Attempts > 1
                ? string.Create(CultureInfo.InvariantCulture, $"{job.Error} ({job.Attempts} attempts)")
                : job.Error,
            JobState.Cancelled => "Cancelled" + (job.Error is null ? "." : ": " + job.Error),
            _ => null,
        };
    }
}
