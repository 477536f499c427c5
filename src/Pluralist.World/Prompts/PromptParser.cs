using System.Text.RegularExpressions;

namespace Pluralist.World.Prompts;

/// <summary>A lexicon phrase found in a prompt.</summary>
/// <param name="Phrase">The phrase as normalised in the lexicon.</param>
/// <param name="Start">Index of its first word among the prompt's words.</param>
/// <param name="Negated">Whether a negation came before it ("no", "sans").</param>
/// <param name="Count">A number given before it ("three benches"), if any.</param>
/// <param name="Constraints">What it asks of the scene, after negation and count.</param>
public sealed record PhraseMatch(string Phrase, int Start, bool Negated, int? Count, IReadOnlyList<SceneConstraint> Constraints);

/// <summary>What a prompt says about a scene: its language, the phrases understood, and the words that were not.</summary>
public sealed record ParsedPrompt(string Text, string Language, IReadOnlyList<PhraseMatch> Matches, IReadOnlyList<string> UnknownWords)
{
    /// <summary>Every constraint in prompt order; where two touch the same attribute, the later one is applied last.</summary>
    public IReadOnlyList<SceneConstraint> Constraints => [.. Matches.SelectMany(m => m.Constraints)];
}

/// <summary>Reads a prompt with <see cref="SceneLexicon"/>: longest phrase first, numbers and negations, stop words skipped.</summary>
public static partial class PromptParser
{
    private const int MaxPhraseWords = 6;

    [GeneratedRegex(@"[\p{L}\p{Nd}]+(?:-[\p{L}\p{Nd}]+)*")]
    private static partial Regex WordPattern();

    /// <summary>The words of a normalised text: letters and digits, hyphenated words kept whole, apostrophes split.</summary>
    public static IReadOnlyList<string> Tokenise(string normalised) =>
        [.. WordPattern().Matches(normalised).Select(m => m.Value)];

    /// <summary>Parses a prompt; the language is detected from its words unless given (<c>en</c> or <c>fr</c>).</summary>
    public static ParsedPrompt Parse(string prompt, string? language = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (language is not null && !SceneLexicon.Languages.Contains(language))
        {
            throw new ArgumentException($"Prompt language '{language}' is not supported; expected one of {string.Join(", ", SceneLexicon.Languages)}.", nameof(language));
        }

        var words = Tokenise(SceneLexicon.Normalise(prompt));
        language ??= Detect(words);
        var phrases = Phrases(language);
        var stop = SceneLexicon.StopWords(language);
        var negations = SceneLexicon.Negations(language);
        var numbers = SceneLexicon.Numbers(language);
        var matches = new List<PhraseMatch>();
        var unknown = new List<string>();
        int lastNegation = -10;
        int? pendingCount = null;
        int countAt = -10;
        for (int i = 0; i < words.Count;)
        {
            var (phrase, entry) = Longest(words, i, phrases);
            if (entry is not null)
            {
                int end = i + phrase!.Split(' ').Length;
                bool negated = i - lastNegation <= 3;
                matches.Add(Match(phrase, i, entry, negated, negated || countAt != i - 1 ? null : pendingCount));
                pendingCount = null;
                if (negated)
                {
                    lastNegation = -10; // a negation applies to one phrase
                }

                i = end;
                continue;
            }

            string w = words[i];
            if (negations.Contains(w))
            {
                lastNegation = i;
            }
            else if (numbers.TryGetValue(w, out int n) || (int.TryParse(w, out n) && n is >= 0 and <= 99))
            {
                pendingCount = n;
                countAt = i; // counts only the phrase that starts right after it
            }
            else if (!stop.Contains(w))
            {
                unknown.Add(w);
            }

            i++;
        }

        return new ParsedPrompt(prompt, language, matches, unknown.Distinct(StringComparer.Ordinal).ToArray());
    }

    private static PhraseMatch Match(string phrase, int start, LexiconEntry entry, bool negated, int? count)
    {
        var constraints = new List<SceneConstraint>();
        // Only a plain counted thing takes a number ("three benches"); "un bon éclairage" is not one lamp.
        var counted = entry.Effects is [{ Attribute.Kind: Scenes.AttributeKind.Count, Op: ConstraintOp.AtLeast } only] ? only : null;
        foreach (var c in entry.Effects)
        {
            if (negated)
            {
                // "no graffiti" asks for graffiti=false; "no lights" for lights<=0. Constraints with no opposite
                // ("safe" asking for no litter) are dropped rather than guessed.
                if (c.Negate() is { } opposite && opposite.Values.Count > 0)
                {
                    constraints.Add(opposite);
                }
            }
            else if (count is { } n && ReferenceEquals(c, counted))
            {
                constraints.Add(c with { Op = ConstraintOp.Equal, Values = [Math.Clamp(n, c.Attribute.Min, c.Attribute.Max)] });
            }
            else
            {
                constraints.Add(c);
            }
        }

        return new PhraseMatch(phrase, start, negated, count, constraints);
    }

    private static (string? Phrase, LexiconEntry? Entry) Longest(IReadOnlyList<string> words, int i, Dictionary<string, LexiconEntry> phrases)
    {
        for (int n = Math.Min(MaxPhraseWords, words.Count - i); n >= 1; n--)
        {
            string candidate = string.Join(' ', words.Skip(i).Take(n));
            if (phrases.TryGetValue(candidate, out var e))
            {
                return (candidate, e);
            }
        }

        return (null, null);
    }

    // The language whose stop words and phrases cover more of the prompt; English on a tie.
    private static string Detect(IReadOnlyList<string> words)
    {
        int Score(string lang)
        {
            var stop = SceneLexicon.StopWords(lang);
            var phrases = Phrases(lang);
            return words.Count(w => stop.Contains(w) || phrases.ContainsKey(w) || SceneLexicon.Negations(lang).Contains(w));
        }

        return Score("fr") > Score("en") ? "fr" : "en";
    }

    private static readonly Dictionary<string, Dictionary<string, LexiconEntry>> ByLanguage = [];

    private static Dictionary<string, LexiconEntry> Phrases(string language)
    {
        lock (ByLanguage)
        {
            if (!ByLanguage.TryGetValue(language, out var map))
            {
                map = new Dictionary<string, LexiconEntry>(StringComparer.Ordinal);
                foreach (var e in SceneLexicon.Entries.Where(e => e.Language == language))
                {
                    foreach (var p in e.Phrases)
                    {
                        if (!map.TryAdd(p, e))
                        {
                            throw new InvalidOperationException($"Lexicon phrase '{p}' ({language}) appears in two entries.");
                        }
                    }
                }

                ByLanguage[language] = map;
            }

            return map;
        }
    }
}
