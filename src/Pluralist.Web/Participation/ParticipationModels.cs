using Pluralist.Core.Model;

namespace Pluralist.Web.Participation;

public enum JoinOutcome
{
    Joined,
    Unknown,
    Expired,
    Used,
}

public sealed record JoinResult(JoinOutcome Outcome, Participant? Participant);

/// <summary>One identity question as answered on the form.</summary>
public sealed record MarkerInput(string Marker, bool Consent, string? Value, bool PreferNotToSay);

/// <summary>A criterion as shown on the task page.</summary>
public sealed record ShownCriterion(string Key, string Name, string Definition);

/// <summary>Counts shown to the participant.</summary>
public sealed record Progress(int InBatch, int Quota, int InSession, int SessionCap);

/// <summary>What the participant should see next.</summary>
public abstract record NextStep
{
    /// <summary>A pair to compare; <c>Existing</c> holds the stored answer when the participant changes it from their history.</summary>
    public sealed record Task(Assignment Assignment, string? PromptText, long LeftImageId, long RightImageId, IReadOnlyList<ShownCriterion> Criteria, Progress Progress, Annotation? Existing = null) : NextStep;

    /// <summary>An image to rate; <c>Existing</c> holds the stored rows when the participant changes them from their history.</summary>
    public sealed record Rate(long ImageId, string? PromptText, string ItemToken, IReadOnlyList<ShownItem> Questions, IReadOnlyList<ShownItem> Categories, Progress Progress, IReadOnlyList<LikertRating>? Existing = null) : NextStep;

    public sealed record Break(DateTimeOffset Until, int Answers) : NextStep;

    public sealed record NoOpenBatch : NextStep;

    public sealed record AllDone(Progress Progress) : NextStep;
}

/// <summary>One criterion's answer in a submit: score as shown, null when not touched.</summary>
public sealed record ScoreInput(string Criterion, double? Score);

/// <summary>The body of POST /api/assignments/{id}/annotation.</summary>
public sealed record SubmitRequest(string ClientRequestId, IReadOnlyList<ScoreInput> Scores, string? Comment, int? ClientDurationMs, bool ReportImage = false);

/// <summary>The stored answer, returned after commit.</summary>
public sealed record SubmitResponse(long AnnotationId, long AssignmentId, string ClientRequestId, IReadOnlyList<ScoreInput> Scores, string Next, bool Duplicate, bool Changed = false);

/// <summary>A Likert question or category as shown.</summary>
public sealed record ShownItem(string Key, string Text);

/// <summary>One Likert answer: question key and value 1..5.</summary>
public sealed record LikertAnswerInput(string Question, int Value);

/// <summary>The body of POST /api/ratings.</summary>
public sealed record RatingRequest(string ItemToken, string ClientRequestId, IReadOnlyList<LikertAnswerInput> Answers, IReadOnlyList<string>? Categories, int? ClientDurationMs);

/// <summary>The stored rating, returned after commit.</summary>
public sealed record RatingResponse(long ImageId, string ClientRequestId, IReadOnlyList<LikertAnswerInput> Answers, IReadOnlyList<string> Categories, string Next, bool Duplicate, bool Changed = false);

/// <summary>Why an answer was not applied.</summary>
public enum Refusal
{
    None,

    /// <summary>The participant withdrew (or is not a participant any more).</summary>
    NotCurrent,

    /// <summary>The batch of the assignment (for ratings: every batch of the study) is not open.</summary>
    BatchClosed,

    /// <summary>The client request id was already applied to another assignment or image.</summary>
    RequestIdReused,
}

/// <summary>What a submit stored (the answer now stored for the assignment), or why it stored nothing.</summary>
public sealed record SubmitResult(Annotation? Annotation, bool Duplicate, bool Changed, Refusal Refusal = Refusal.None);

/// <summary>What a rating stored (the rows now stored for the image), or why it stored nothing.</summary>
public sealed record RateResult(IReadOnlyList<LikertRating> Rows, bool Duplicate, bool Changed, Refusal Refusal = Refusal.None);
