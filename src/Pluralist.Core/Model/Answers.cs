namespace Pluralist.Core.Model;

/// <summary>A pair served to a participant: what was shown, in which order and on which side.</summary>
public sealed class Assignment
{
    public long Id { get; set; }

    public long ParticipantId { get; set; }

    public long PairId { get; set; }

    public long? BatchId { get; set; }

    /// <summary>Criterion keys in the order shown.</summary>
    public List<string> CriteriaShown { get; set; } = [];

    /// <summary>True when image_0 was shown on the left.</summary>
    public bool Image0OnLeft { get; set; }

    public string Language { get; set; } = "en";

    public DateTimeOffset ServedAt { get; set; }
}

/// <summary>A participant's answer to one assignment: one score per shown criterion, a comment, timings.</summary>
public sealed class Annotation
{
    public long Id { get; set; }

    public long AssignmentId { get; set; }

    public long ParticipantId { get; set; }

    public long PairId { get; set; }

    public string? Comment { get; set; }

    /// <summary>Time the participant spent, measured in the page.</summary>
    public int? ClientDurationMs { get; set; }

    /// <summary>Time between serving the assignment and receiving the answer.</summary>
    public int? ServerDurationMs { get; set; }

    /// <summary>Idempotency key from the client; unique per participant.</summary>
    public string ClientRequestId { get; set; } = "";

    public string Language { get; set; } = "en";

    public DateTimeOffset SubmittedAt { get; set; }

    public List<AnnotationScore> Scores { get; set; } = [];
}

/// <summary>
/// One criterion's slider answer as shown: -1 strongly prefers the left image, +1 the right,
/// 0 is neutral, null means the criterion was shown but not answered.
/// </summary>
public sealed class AnnotationScore
{
    public long Id { get; set; }

    public long AnnotationId { get; set; }

    public string CriterionKey { get; set; } = "";

    /// <summary>Position of the criterion on the page (0-based).</summary>
    public int Position { get; set; }

    public double? Score { get; set; }

    /// <summary>The preference oriented to the canonical order: -1 = image_0 strongly preferred.</summary>
    public static double? Orient(double? scoreAsShown, bool image0OnLeft) =>
        scoreAsShown is null ? null : image0OnLeft ? scoreAsShown : -scoreAsShown;
}

/// <summary>A participant's report that an image is broken or distorted.</summary>
public sealed class ImageReport
{
    public long Id { get; set; }

    public long ImageId { get; set; }

    public long ParticipantId { get; set; }

    public long? AssignmentId { get; set; }

    public ImageReportReason Reason { get; set; }

    public string? Comment { get; set; }

    public DateTimeOffset ReportedAt { get; set; }
}
