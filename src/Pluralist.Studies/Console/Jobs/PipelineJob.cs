namespace Pluralist.Studies.Console.Jobs;

/// <summary>An image job and its progress, as the console page shows it (read from the job queue).</summary>
public sealed class PipelineJob(string id, PipelineJobRequest request, long startedBy, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    public PipelineJobRequest Request { get; } = request;

    public long StartedBy { get; } = startedBy;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public PipelineJobState State { get; set; }

    /// <summary>augment, generate, select or pool.</summary>
    public string Phase { get; set; } = "queued";

    public int Done { get; set; }

    public int Total { get; set; }

    public int FailedImages { get; set; }

    /// <summary>The summary of a finished job, or the attempts and error of one that failed or waits for a retry.</summary>
    public string? Message { get; set; }

    public int Attempts { get; set; }

    public int MaxAttempts { get; set; }

    public double VendiSelected { get; set; } = double.NaN;

    public double VendiRandom { get; set; } = double.NaN;

    public int Added { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}
