using Pluralist.Core.Model;
using Pluralist.Core.Prompts;
using Pluralist.Core.Text;

namespace Pluralist.Pipeline.Prompts;

/// <summary>Descriptive statistics of the prompts of one source and language.</summary>
/// <param name="Source">The prompt source.</param>
/// <param name="Language">The language of the prompts.</param>
/// <param name="Count">Prompts in the group.</param>
/// <param name="MeanWords">Mean words per prompt.</param>
/// <param name="Distinct1">Distinct unigrams / all unigrams over the group (lexical diversity, Li et al. 2016).</param>
/// <param name="Distinct2">Distinct bigrams / all bigrams.</param>
/// <param name="NoveltyVsHuman">Mean over the group of 1 - the highest word-set Jaccard similarity to any human prompt of the
/// language other than itself: 0 = copies a human prompt's words, 1 = shares no word with any.</param>
/// <param name="ConceptCoverage">Per concept category, the fraction of prompts naming at least one of its words.</param>
public sealed record PromptGroupStats(
    PromptSource Source,
    string Language,
    int Count,
    double MeanWords,
    double Distinct1,
    double Distinct2,
    double NoveltyVsHuman,
    IReadOnlyDictionary<string, double> ConceptCoverage);

/// <summary>Compares prompt sources (human vs each augmentation strategy) on length, lexical diversity, novelty and concept coverage.</summary>
public static class PromptComparison
{
    public static IReadOnlyList<PromptGroupStats> Compare(PromptSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var result = new List<PromptGroupStats>();
        foreach (var g in set.Prompts.GroupBy(p => (p.Source, p.Language)).OrderBy(g => g.Key.Language, StringComparer.Ordinal).ThenBy(g => g.Key.Source))
        {
            var words = g.Select(p => Words(p.Text)).ToArray();
            int uni = words.Sum(w => w.Length), bi = words.Sum(w => Math.Max(0, w.Length - 1));
            var human = set.Where(PromptSource.Human, g.Key.Language).Select(p => (p.Id, Set: Words(p.Text).ToHashSet(StringComparer.Ordinal))).ToArray();
            var novelty = g.Select(p =>
            {
                var mine = Words(p.Text).ToHashSet(StringComparer.Ordinal);
                var others = human.Where(h => h.Id != p.Id).ToArray();
                return others.Length == 0 ? double.NaN : 1 - others.Max(h => Jaccard(mine, h.Set));
            }).Where(double.IsFinite).ToArray();
            var coverage = new Dictionary<string, double>(StringComparer.Ordinal);
            if (Concepts.Supports(g.Key.Language))
            {
                var found = g.Select(p => Concepts.Find(p.Text, g.Key.Language).Select(m => m.Category).ToHashSet(StringComparer.Ordinal)).ToArray();
                foreach (var c in Concepts.Categories)
                {
                    coverage[c] = found.Count(f => f.Contains(c)) / (double)found.Length;
                }
            }

            result.Add(new PromptGroupStats(g.Key.Source, g.Key.Language, words.Length, uni / (double)words.Length,
                uni == 0 ? 0 : words.SelectMany(w => w).Distinct(StringComparer.Ordinal).Count() / (double)uni,
                bi == 0 ? 0 : words.SelectMany(w => w.Zip(w.Skip(1), (a, b) => a + " " + b)).Distinct(StringComparer.Ordinal).Count() / (double)bi,
                novelty.Length == 0 ? double.NaN : novelty.Average(), coverage));
        }

        return result;
    }

    /// <summary>One row per group: source, language, count, mean_words, distinct_1, distinct_2, novelty_vs_human, then one coverage column per category.</summary>
    public static void WriteCsv(IReadOnlyList<PromptGroupStats> stats, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var w = new CsvWriter(writer);
        w.WriteRow(Header.Concat(Concepts.Categories.Select(c => "coverage_" + c)));
        foreach (var s in stats)
        {
            w.WriteRow(new[]
            {
                s.Source.ToToken(), s.Language, s.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), CsvWriter.Format(s.MeanWords),
                CsvWriter.Format(s.Distinct1), CsvWriter.Format(s.Distinct2), double.IsNaN(s.NoveltyVsHuman) ? "" : CsvWriter.Format(s.NoveltyVsHuman),
            }.Concat(Concepts.Categories.Select(c => s.ConceptCoverage.TryGetValue(c, out var v) ? CsvWriter.Format(v) : "")));
        }
    }

    private static readonly string[] Header = ["source", "language", "count", "mean_words", "distinct_1", "distinct_2", "novelty_vs_human"];

    private static string[] Words(string text) => PromptText.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static double Jaccard(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 && b.Count == 0)
        {
            return 1;
        }

        int inter = a.Count(b.Contains);
        return inter / (double)(a.Count + b.Count - inter);
    }
}
