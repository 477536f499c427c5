namespace Pluralist.Studies.Reports;

/// <summary>State of a <see cref="ReportJob"/>.</summary>
public enum ReportJobState
{
    Queued,
    Running,
    Done,
    Failed,

    /// <summary>Cancelled by a researcher (console or CLI) before it finished.</summary>
    Cancelled,
}

/// <summary>A study report run in the background for the console, and its progress, as the page shows it (read from the job queue).</summary>
public sealed class ReportJob(string id, long studyId, string studyKey, long startedBy, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    public long StudyId { get; } = studyId;

    public string StudyKey { get; } = studyKey;

    public long StartedBy { get; } = startedBy;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public ReportJobState State { get; set; }

    /// <summary>queued, load, then each section as it is built, write, done.</summary>
    public string Phase { get; set; } = "queued";

    /// <summary>Steps done of <see cref="Total"/>: loading the rows, one per section, writing the files.</summary>
    public int Done { get; set; }

    public int Total { get; set; }

    /// <summary>The summary of a finished report, or the attempts and error of one that failed or waits for a retry.</summary>
    public string? Message { get; set; }

    public int Attempts { get; set; }

    public int MaxAttempts { get; set; }

    /// <summary>The folder holding <c>full/</c> and <c>shared/</c> (each <c>report.html</c>, <c>report.json</c> and the tables as CSV and JSON).</summary>
    public string? Folder { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>
    /// A report built before the job queue (schema version 12) existed: its folder is there, the queue has no row of it
    /// and it has no report model, so it is offered for download only.
    /// </summary>
    public bool Earlier { get; init; }

    /// <summary>True while queued or running.</summary>
    public bool Active => State is ReportJobState.Queued or ReportJobState.Running;
}
