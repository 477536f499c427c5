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

    /// <summary>Which of the pair's K rater places this assignment holds (1..K); null for attention checks, gold pairs and quota places.</summary>
    public int? OverlapSlot { get; set; }
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

    /// <summary>The slider's resolution when answered (<see cref="Study.SliderSteps"/>: 0 = continuous); null when not recorded (before schema v9, or imported without it).</summary>
    public int? SliderSteps { get; set; }

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

/// <summary>
/// A client request id whose answer was applied (a first answer or a change), remembered for as
/// long as the answer exists, so that a retry of it returns what is stored and never applies again
/// over a newer change.
/// </summary>
public sealed class AppliedRequest
{
    public long Id { get; set; }

    public long ParticipantId { get; set; }

    public AnswerKind Kind { get; set; }

    /// <summary>The client's idempotency key; unique per participant and kind.</summary>
    public string ClientRequestId { get; set; } = "";

    /// <summary>The assignment answered (comparisons); null for a rating.</summary>
    public long? AssignmentId { get; set; }

    /// <summary>The image rated (ratings); null for a comparison.</summary>
    public long? ImageId { get; set; }

    public DateTimeOffset AppliedAt { get; set; }
}

/// <summary>
/// A row that a schema upgrade moved out of its table rather than delete it (a duplicate found when
/// a unique constraint was added), kept whole as JSON with the rows that belonged to it.
/// </summary>
public sealed class ArchivedRow
{
    public long Id { get; set; }

    /// <summary>The schema version whose upgrade archived the row.</summary>
    public int SchemaVersion { get; set; }

    /// <summary>The table the row came from (<c>annotations</c>, <c>likert_ratings</c>).</summary>
    public string SourceTable { get; set; } = "";

    /// <summary>The row's id in that table.</summary>
    public long SourceId { get; set; }

    /// <summary>The id of the row kept in its place.</summary>
    public long? KeptId { get; set; }

    /// <summary>The participant whose row it was (erased with them when their study deletes answers on withdrawal).</summary>
    public long? ParticipantId { get; set; }

    public string Reason { get; set; } = "";

    /// <summary>The row and its dependent rows as a JSON document.</summary>
    public string Data { get; set; } = "{}";

    public DateTimeOffset ArchivedAt { get; set; }
}
