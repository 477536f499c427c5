namespace Pluralist.Studies.Console.Dataset;

/// <summary>Cleaning reason codes (docs/cleaning.md, and the Likert rules) in plain words, for the dataset viewers.</summary>
public static class DropReasons
{
    private static readonly Dictionary<string, string> Words = new(StringComparer.Ordinal)
    {
        ["WITHDRAWN_DELETE"] = "the participant withdrew and the study deletes the answers of people who withdraw",
        ["DUPLICATE"] = "a repeat of an earlier answer (same request, or the same pair and criterion again)",
        ["OUTSIDE_WINDOW"] = "submitted before the batch opened or after it closed",
        ["FLAGGED_IMAGE"] = "an image of the pair was flagged or reported as broken",
        ["TOO_FAST"] = "answered faster than the minimum time per answer",
        ["STRAIGHT_LINE"] = "the same value given again and again (straight-lining)",
        ["ALL_NEUTRAL"] = "every answer of the session was neutral",
        ["ATTENTION_FAILED"] = "too many attention checks failed",
        ["GOLD_DISAGREE"] = "disagreed with too many gold pairs",
        ["LOW_RELIABILITY"] = "the rater's estimated reliability is below the threshold",
    };

    /// <summary>The plain-words reason of <paramref name="code"/>, or the code itself for a rule without a description.</summary>
    public static string Describe(string code) => Words.GetValueOrDefault(code, code);
}
