namespace Pluralist.Analysis.Likert;

/// <summary>One Likert answer (DIVE task): a rater's value on a question about an image, with how long it took.</summary>
public sealed record LikertRow(long RatingId, long Participant, string Image, string Question, int Value, int? ClientMs = null, DateTimeOffset SubmittedAt = default);

/// <summary>An attention item: on this image and question, an attentive rater answers one of the allowed values.</summary>
public sealed record LikertAttentionItem(string Image, string Question, IReadOnlySet<int> Allowed);

/// <summary>Parameters of the Likert cleaning rules; 0 turns a rule off.</summary>
public sealed record LikertCleaningOptions
{
    /// <summary><c>too-fast</c>: a rating answered in fewer client milliseconds is dropped (missing durations never match).</summary>
    public int MinMsPerRating { get; init; } = 1000;

    /// <summary><c>straight-line</c>: a rater with at least this many ratings, all of one value, is dropped entirely.</summary>
    public int StraightLineMinRatings { get; init; } = 10;

    /// <summary><c>attention-check</c>: a rater failing more than this share of the attention items they answered is dropped entirely.</summary>
    public double MaxAttentionFailRate { get; init; } = 0.5;

    public IReadOnlyList<LikertAttentionItem> AttentionItems { get; init; } = [];
}

/// <summary>One stage of the Likert cleaning: a rule, its reason code, rows in, dropped here, rows out, raters it dropped rows of.</summary>
public sealed record LikertCleaningStage(int Stage, string Rule, string ReasonCode, int RowsIn, int Dropped, int RowsOut, int Raters);

/// <summary>What the Likert cleaning kept, what it dropped with the first rule's reason, and the counts per stage.</summary>
public sealed record LikertCleaningResult(IReadOnlyList<LikertRow> Kept, IReadOnlyList<(LikertRow Row, string Reason)> Dropped, IReadOnlyList<LikertCleaningStage> Stages);

/// <summary>
/// Cleaning of Likert ratings, in the spirit of the pairwise rules (docs/cleaning.md): rules mark rows, every dropped
/// row keeps the reason of the first rule (in order) that matched it. Rules: <c>too-fast</c> (a rating answered
/// faster than the threshold), <c>straight-line</c> (every rating of a rater with enough ratings has one value) and
/// <c>attention-check</c> (a rater whose share of failed attention items is above the threshold). Rates are computed
/// on all rows, so an earlier stage does not distort a later one.
/// </summary>
public static class LikertCleaning
{
    public static LikertCleaningResult Run(IReadOnlyList<LikertRow> rows, LikertCleaningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new LikertCleaningOptions();
        var fast = rows.Where(r => options.MinMsPerRating > 0 && r.ClientMs is { } ms && ms < options.MinMsPerRating).Select(r => r.RatingId).ToHashSet();
        var straight = rows.GroupBy(r => r.Participant)
            .Where(g => options.StraightLineMinRatings > 0 && g.Count() >= options.StraightLineMinRatings && g.Select(r => r.Value).Distinct().Count() == 1)
            .Select(g => g.Key).ToHashSet();
        var items = options.AttentionItems.ToDictionary(a => (a.Image, a.Question), a => a.Allowed);
        var failing = rows.Where(r => items.ContainsKey((r.Image, r.Question)))
            .GroupBy(r => r.Participant)
            .Where(g => g.Count(r => !items[(r.Image, r.Question)].Contains(r.Value)) > options.MaxAttentionFailRate * g.Count())
            .Select(g => g.Key).ToHashSet();

        (string Rule, string Reason, Func<LikertRow, bool> Match)[] rules =
        [
            ("too-fast", "TOO_FAST", r => fast.Contains(r.RatingId)),
            ("straight-line", "STRAIGHT_LINE", r => straight.Contains(r.Participant)),
            ("attention-check", "ATTENTION_FAILED", r => failing.Contains(r.Participant)),
        ];
        var remaining = rows.ToList();
        var dropped = new List<(LikertRow, string)>();
        var stages = new List<LikertCleaningStage>();
        for (var s = 0; s < rules.Length; s++)
        {
            var (rule, reason, match) = rules[s];
            var hit = remaining.Where(match).ToList();
            dropped.AddRange(hit.Select(r => (r, reason)));
            var rowsIn = remaining.Count;
            remaining = remaining.Where(r => !match(r)).ToList();
            stages.Add(new LikertCleaningStage(s + 1, rule, reason, rowsIn, hit.Count, remaining.Count, hit.Select(r => r.Participant).Distinct().Count()));
        }

        return new LikertCleaningResult(remaining, dropped, stages);
    }
}
