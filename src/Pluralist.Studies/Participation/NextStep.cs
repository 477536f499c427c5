using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>What the participant should see next.</summary>
public abstract record NextStep
{
    /// <summary>A pair to compare; <c>Existing</c> holds the stored answer when the participant changes it from their history.</summary>
    public sealed record Task(Assignment Assignment, ShownPrompt? Prompt, long LeftImageId, long RightImageId, IReadOnlyList<ShownCriterion> Criteria, Progress Progress, Annotation? Existing = null) : NextStep;

    /// <summary>An image to rate; <c>Existing</c> holds the stored rows when the participant changes them from their history.</summary>
    public sealed record Rate(long ImageId, ShownPrompt? Prompt, string ItemToken, IReadOnlyList<ShownItem> Questions, IReadOnlyList<ShownItem> Categories, Progress Progress, IReadOnlyList<LikertRating>? Existing = null) : NextStep;

    public sealed record Break(DateTimeOffset Until, int Answers) : NextStep;

    public sealed record NoOpenBatch : NextStep;

    public sealed record AllDone(Progress Progress) : NextStep;
}
