namespace Pluralist.Core.Prompts;

/// <summary>A concept keyword of a prompt: its character span, the word as written, and its concept category (or <see cref="Keywords.Word"/>).</summary>
public sealed record Keyword(int Start, int Length, string Word, string Category);

/// <summary>
/// Concept keywords of a prompt, for LIVS's third strategy (mask and refill), found deterministically without a tagger:
/// first the study's concept vocabulary (<see cref="Concepts"/>, longest phrase match at word boundaries), then every other
/// word of three letters or more that is not on the language's stop-list (articles, pronouns, prepositions,
/// conjunctions, auxiliaries, quantities and other function words), which leaves the nouns, adjectives and content verbs.
/// </summary>
public static class Keywords
{
    /// <summary>Category of a keyword found by the stop-list rather than the concept vocabulary.</summary>
    public const string Word = "word";

    private static readonly Dictionary<string, HashSet<string>> StopWords = new(StringComparer.Ordinal)
    {
        ["en"] = new(StringComparer.Ordinal)
        {
            "the", "and", "but", "nor", "for", "yet", "with", "without", "within", "into", "onto", "from", "under", "over", "above",
            "below", "between", "among", "along", "across", "around", "through", "near", "next", "beside", "behind", "before",
            "after", "during", "while", "where", "when", "which", "who", "whom", "whose", "that", "this", "these", "those", "there",
            "here", "its", "their", "them", "they", "our", "ours", "your", "yours", "his", "her", "hers", "she", "him", "you",
            "are", "was", "were", "been", "being", "have", "has", "had", "does", "did", "doing", "can", "could", "will", "would",
            "shall", "should", "may", "might", "must", "not", "all", "any", "some", "many", "much", "more", "most", "few", "several",
            "each", "every", "both", "either", "neither", "other", "another", "such", "than", "then", "very", "also", "too", "just",
            "only", "about", "against", "out", "off", "upon", "toward", "towards", "via", "per", "one", "two", "three", "four",
            "five", "six", "seven", "eight", "nine", "ten", "lots", "lot", "plenty", "what", "how", "why", "where", "whether",
            "because", "since", "until", "though", "although", "like", "own", "same", "so", "from", "onto", "inside", "outside",
        },
        ["fr"] = new(StringComparer.Ordinal)
        {
            "les", "des", "une", "aux", "du", "de", "la", "le", "un", "et", "ou", "mais", "donc", "car", "avec", "sans", "sous", "sur",
            "dans", "entre", "parmi", "vers", "chez", "pour", "par", "près", "autour", "devant", "derrière", "avant", "après",
            "pendant", "depuis", "jusqu", "qui", "que", "quoi", "dont", "où", "quand", "comme", "lorsque", "puisque", "quelque",
            "quelques", "plusieurs", "chaque", "tout", "tous", "toute", "toutes", "autre", "autres", "même", "mêmes", "cette",
            "ces", "cet", "ce", "son", "sa", "ses", "leur", "leurs", "notre", "nos", "votre", "vos", "mon", "ma", "mes", "ton", "ta",
            "tes", "ils", "elles", "elle", "nous", "vous", "lui", "eux", "est", "sont", "était", "étaient", "être", "été", "avoir",
            "ont", "avait", "fait", "font", "peut", "peuvent", "très", "aussi", "plus", "moins", "beaucoup", "peu", "bien", "encore",
            "déjà", "ainsi", "alors", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "une", "pas", "non",
            "ici", "là", "celui", "celle", "ceux", "celles", "lequel", "laquelle", "lesquels", "lesquelles", "contre", "selon",
        },
    };

    /// <summary>Languages with a stop-list (the same as <see cref="Concepts.Languages"/>).</summary>
    public static bool Supports(string language) => Concepts.Supports(language);

    /// <summary>
    /// The keywords of <paramref name="text"/> in text order, non-overlapping: concept phrases first (their category), then
    /// the remaining words (runs of letters, inner hyphens kept) of three letters or more not on the stop-list.
    /// </summary>
    public static IReadOnlyList<Keyword> Extract(string text, string language)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!Supports(language))
        {
            throw new ArgumentException($"no concept vocabulary or stop-list for language '{language}'; available: {string.Join(", ", Concepts.Languages)}", nameof(language));
        }

        var stop = StopWords[language.Split('-')[0].ToLowerInvariant()];
        var found = Concepts.Find(text, language).Select(m => new Keyword(m.Start, m.Length, text.Substring(m.Start, m.Length), m.Category)).ToList();
        var taken = new bool[text.Length];
        foreach (var k in found)
        {
            Array.Fill(taken, true, k.Start, k.Length);
        }

        int i = 0;
        while (i < text.Length)
        {
            if (!char.IsLetter(text[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < text.Length && (char.IsLetter(text[i]) || (text[i] == '-' && i + 1 < text.Length && char.IsLetter(text[i + 1]) && i > start)))
            {
                i++;
            }

            var word = text[start..i];
            if (word.Length >= 3 && !stop.Contains(word.ToLowerInvariant()) && !taken.AsSpan(start, i - start).Contains(true))
            {
                found.Add(new Keyword(start, i - start, word, Word));
            }
        }

        return [.. found.OrderBy(k => k.Start)];
    }
}
