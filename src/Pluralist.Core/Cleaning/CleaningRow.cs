using Pluralist.Core.Model;

namespace Pluralist.Core.Cleaning;

/// <summary>
/// One shown-criterion answer, flattened with everything a cleaning rule or label protocol needs.
/// The score is kept as shown; <see cref="Preference"/> orients it to the canonical pair order.
/// </summary>
public sealed record CleaningRow
{
    /// <summary>Id of the AnnotationScore row; the identity of this row in reports and labels.</summary>
    public required long AnswerId { get; init; }

    public required long AnnotationId { get; init; }

    public required long AssignmentId { get; init; }

    public required long ParticipantId { get; init; }

    /// <summary>Batch (session) the assignment belonged to; null when served outside a batch.</summary>
    public long? BatchId { get; init; }

    public required long PairId { get; init; }

    public required long PromptId { get; init; }

    public long Image0Id { get; init; }

    public long Image1Id { get; init; }

    public PairKind PairKind { get; init; } = PairKind.Annotation;

    /// <summary>For gold and attention-check pairs, the expected preference oriented to image_0 (-1) / image_1 (+1).</summary>
    public double? ExpectedPreference { get; init; }

    public required string Criterion { get; init; }

    public int Position { get; init; }

    /// <summary>Slider value as shown (-1 left, +1 right, 0 neutral, null unanswered).</summary>
    public double? ScoreAsShown { get; init; }

    public bool Image0OnLeft { get; init; } = true;

    public int? ClientMs { get; init; }

    public int? ServerMs { get; init; }

    public DateTimeOffset SubmittedAt { get; init; }

    public string ClientRequestId { get; init; } = "";

    /// <summary>Flags of both images of the pair, combined.</summary>
    public ImageFlags ImageFlags { get; init; }

    /// <summary>Number of participant reports on either image of the pair.</summary>
    public int ImageReports { get; init; }

    public DateTimeOffset? BatchOpensAt { get; init; }

    public DateTimeOffset? BatchClosesAt { get; init; }

    public DateTimeOffset? WithdrawnAt { get; init; }

    public WithdrawalPolicy WithdrawalPolicy { get; init; }

    /// <summary>The preference oriented to the canonical order: -1 = image_0 strongly preferred.</summary>
    public double? Preference => AnnotationScore.Orient(ScoreAsShown, Image0OnLeft);

    /// <summary>The session a row belongs to: participant and batch.</summary>
    internal (long Participant, long Batch) Session => (ParticipantId, BatchId ?? -1);
}
