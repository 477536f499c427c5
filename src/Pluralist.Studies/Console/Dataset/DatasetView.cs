namespace Pluralist.Studies.Console.Dataset;

/// <summary>
/// The viewer's answer. With an identity group chosen, <see cref="Pairs"/> and <see cref="Answers"/> are 0 when
/// <see cref="Suppressed"/> is set, and <see cref="Rows"/> lists only pairs answered by at least the minimum
/// number of the group's people (<see cref="PairsHidden"/> says some were left out, not how many).
/// <see cref="Rows"/> is one page (<see cref="Page"/> of <see cref="PageCount"/>) of the pairs, most answered first.
/// </summary>
public sealed record DatasetView(int Pairs, int Answers, IReadOnlyList<PairView> Rows, IReadOnlyList<(long Id, string Text)> Prompts, IReadOnlyList<(string Marker, string Group)> Groups, GroupSuppression Suppressed, bool PairsHidden)
{
    public bool GroupSuppressed => Suppressed != GroupSuppression.None;

    /// <summary>Which cleaning the rows went through, if any.</summary>
    public CleaningState Cleaning { get; init; } = CleaningState.None(0);

    public int Page { get; init; } = 1;

    public int PageCount { get; init; } = 1;

    /// <summary>With <see cref="DatasetFilter.Dropped"/>: the dropped answers matching the filters, per reason, most first.</summary>
    public IReadOnlyList<DropReasonCount> Reasons { get; init; } = [];

    /// <summary>With <see cref="DatasetFilter.Dropped"/>: one page of the dropped answers, oldest first.</summary>
    public IReadOnlyList<DroppedAnswer> DroppedRows { get; init; } = [];

    /// <summary>With <see cref="DatasetFilter.Dropped"/>: how many dropped answers match the filters.</summary>
    public int DroppedTotal { get; init; }

    /// <summary>With an identity group chosen, dropped answers are counted per reason but not listed one by one.</summary>
    public bool DroppedRowsWithheld { get; init; }
}

/// <summary>
/// The cleaning behind a view: <see cref="RulesVersion"/> is null when the answers were never cleaned (the rows are
/// raw); <see cref="RunId"/> is the stored run (null for a cleaning done when a public viewer started);
/// <see cref="NotCleaned"/> counts answers that arrived after the run and are shown in neither list.
/// </summary>
public sealed record CleaningState(long? RunId, DateTimeOffset? RunAt, string? RulesVersion, int Kept, int Dropped, int NotCleaned)
{
    public bool Cleaned => RulesVersion is not null;

    public static CleaningState None(int rows) => new(null, null, null, rows, 0, 0);
}

/// <summary>Dropped answers of one rule and reason code, with the reason in plain words.</summary>
public sealed record DropReasonCount(string Rule, string ReasonCode, string Words, int Answers);

/// <summary>One answer cleaning dropped; <see cref="Participant"/> is a pseudonym in the console, an opaque number in a public viewer.</summary>
public sealed record DroppedAnswer(long AnswerId, long PairId, long PromptId, string Prompt, long Image0, long Image1, string Criterion, double? Preference, string Participant, string Rule, string ReasonCode, string Words);
