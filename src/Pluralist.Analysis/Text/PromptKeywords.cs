using Pluralist.Core.Prompts;

namespace Pluralist.Analysis.Text;

/// <summary>A prompt as the keyword count reads it: its source token (<c>human</c>, <c>template</c>, <c>llm-1</c>, ...), language and text.</summary>
public sealed record SourcedPrompt(long Id, string Source, string Language, string Text);

/// <summary>
/// One keyword of one prompt source: how many of the source's prompts contain it (a prompt counts once however often it
/// repeats the word), that number's share of the source's prompts, and its category (a concept category of
/// <see cref="Concepts"/>, or <see cref="Keywords.Word"/>).
/// </summary>
public sealed record SourceKeyword(string Source, int Rank, string Keyword, string Category, int Prompts, int SourcePrompts, double Share);

/// <summary>Keywords of every source's prompts, and the prompts left out because no stop-list covers their language.</summary>
public sealed record PromptKeywordsResult(IReadOnlyList<SourceKeyword> Keywords, IReadOnlyDictionary<string, int> PromptsPerSource, int UnsupportedLanguage);

/// <summary>
/// The most frequent keywords of the prompts of each source (LIVS Fig. 3): each prompt's keywords are found by
/// <see cref="Keywords.Extract"/> (the concept vocabulary first, then content words off the stop-list), lower-cased
/// (invariant), and counted once per prompt.
/// </summary>
public static class PromptKeywords
{
    /// <summary>
    /// The <paramref name="top"/> keywords of each source (sources in ordinal order), ranked by prompts containing
    /// them, ties broken by the keyword (ordinal). Prompts in a language without a stop-list are counted in
    /// <see cref="PromptKeywordsResult.UnsupportedLanguage"/> and nowhere else.
    /// </summary>
    public static PromptKeywordsResult PerSource(IEnumerable<SourcedPrompt> prompts, int top = 10)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var unsupported = 0;
        var perSource = new SortedDictionary<string, (int Prompts, Dictionary<(string Keyword, string Category), int> Counts)>(StringComparer.Ordinal);
        foreach (var p in prompts)
        {
            if (!Keywords.Supports(p.Language))
            {
                unsupported++;
                continue;
            }

            if (!perSource.TryGetValue(p.Source, out var s))
            {
                s = (0, new Dictionary<(string, string), int>());
            }

            foreach (var k in Keywords.Extract(p.Text, p.Language).Select(k => (k.Word.ToLowerInvariant(), k.Category)).Distinct())
            {
                s.Counts[k] = s.Counts.GetValueOrDefault(k) + 1;
            }

            perSource[p.Source] = (s.Prompts + 1, s.Counts);
        }

        var result = new List<SourceKeyword>();
        foreach (var (source, (n, counts)) in perSource)
        {
            result.AddRange(counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Keyword, StringComparer.Ordinal).ThenBy(kv => kv.Key.Category, StringComparer.Ordinal)
                .Take(top)
                .Select((kv, i) => new SourceKeyword(source, i + 1, kv.Key.Keyword, kv.Key.Category, kv.Value, n, (double)kv.Value / n)));
        }

        return new PromptKeywordsResult(result, perSource.ToDictionary(kv => kv.Key, kv => kv.Value.Prompts, StringComparer.Ordinal), unsupported);
    }
}
