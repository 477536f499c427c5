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

    // The public viewer's French (the console is in English).
    private static readonly Dictionary<string, string> French = new(StringComparer.Ordinal)
    {
        ["WITHDRAWN_DELETE"] = "la personne s'est retirée de l'étude, qui supprime alors ses réponses",
        ["DUPLICATE"] = "la répétition d'une réponse précédente (même envoi, ou même paire et même critère)",
        ["OUTSIDE_WINDOW"] = "envoyée avant l'ouverture ou après la fermeture de la série",
        ["FLAGGED_IMAGE"] = "une image de la paire a été signalée comme abîmée",
        ["TOO_FAST"] = "réponse plus rapide que le temps minimum par réponse",
        ["STRAIGHT_LINE"] = "la même valeur donnée encore et encore",
        ["ALL_NEUTRAL"] = "toutes les réponses de la session étaient neutres",
        ["ATTENTION_FAILED"] = "trop de questions d'attention manquées",
        ["GOLD_DISAGREE"] = "en désaccord avec trop de paires de référence",
        ["LOW_RELIABILITY"] = "la fiabilité estimée de la personne est sous le seuil",
    };

    /// <summary>The plain-words reason of <paramref name="code"/>, or the code itself for a rule without a description.</summary>
    public static string Describe(string code) => Words.GetValueOrDefault(code, code);

    /// <summary>The reason in <paramref name="language"/> ("fr" or English for any other), or the code itself.</summary>
    public static string Describe(string code, string language) =>
        language == "fr" && French.TryGetValue(code, out var words) ? words : Describe(code);
}
