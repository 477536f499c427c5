using System.Globalization;
using System.Text;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Text;

/// <summary>Jensen-Shannon divergence between the word distributions of two prompt sets, with a bootstrap interval.</summary>
public sealed record PromptDivergenceResult(double Divergence, Interval Interval, int PromptsA, int PromptsB, int TokensA, int TokensB, int Vocabulary);

/// <summary>
/// Compares the wording of two prompt sets as LIVS compared workshop prompts with three
/// language-model methods: JSD(P ‖ Q) = H(M) − (H(P) + H(Q))/2 with M = (P + Q)/2 and H in bits
/// (base 2, so 0 ≤ JSD ≤ 1; Lin 1991), where P and Q are the relative word frequencies of all
/// prompts of each set.
/// </summary>
public static class PromptDivergence
{
    /// <summary>
    /// Tokenisation: Unicode NFKC normalisation, lower case (invariant culture), then maximal runs
    /// of letters, combining marks and digits; everything else (spaces, punctuation, apostrophes,
    /// hyphens) separates words, so <c>"Kids' bike-lane"</c> gives <c>kids</c>, <c>bike</c>, <c>lane</c>.
    /// No stop words are removed and no stemming is done.
    /// </summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var tokens = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in normalized)
        {
            var category = char.GetUnicodeCategory(ch);
            var wordChar = char.IsLetterOrDigit(ch) || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
            if (wordChar)
            {
                current.Append(ch);
            }
            else if (current.Length > 0)
            {
                tokens.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }

    /// <summary>JSD in bits between two word-count tables.</summary>
    public static double JensenShannon(IReadOnlyDictionary<string, int> countsA, IReadOnlyDictionary<string, int> countsB)
    {
        ArgumentNullException.ThrowIfNull(countsA);
        ArgumentNullException.ThrowIfNull(countsB);
        double na = countsA.Values.Sum();
        double nb = countsB.Values.Sum();
        if (na == 0 || nb == 0)
        {
            return double.NaN;
        }

        // Σ over words of ½ p log2(p/m) + ½ q log2(q/m), the KL form of H(M) − (H(P) + H(Q))/2.
        double jsd = 0;
        foreach (var word in countsA.Keys.Union(countsB.Keys))
        {
            var p = countsA.TryGetValue(word, out var a) ? a / na : 0;
            var q = countsB.TryGetValue(word, out var b) ? b / nb : 0;
            var m = (p + q) / 2;
            if (p > 0)
            {
                jsd += 0.5 * p * Math.Log2(p / m);
            }

            if (q > 0)
            {
                jsd += 0.5 * q * Math.Log2(q / m);
            }
        }

        return Math.Clamp(jsd, 0, 1);
    }

    /// <summary>
    /// JSD between the word distributions of two prompt sets, with a percentile bootstrap interval
    /// that resamples prompts (whole prompts, with replacement) within each set. The plug-in JSD is
    /// biased upwards for small sets (unseen words), and so is its bootstrap distribution.
    /// </summary>
    public static PromptDivergenceResult Compare(IReadOnlyList<string> promptsA, IReadOnlyList<string> promptsB, BootstrapOptions? bootstrap = null)
    {
        ArgumentNullException.ThrowIfNull(promptsA);
        ArgumentNullException.ThrowIfNull(promptsB);
        bootstrap ??= new BootstrapOptions();
        var tokensA = promptsA.Select(Tokenize).ToArray();
        var tokensB = promptsB.Select(Tokenize).ToArray();
        var countsA = Count(tokensA);
        var countsB = Count(tokensB);
        var jsd = JensenShannon(countsA, countsB);

        var interval = Interval.Undefined;
        if (bootstrap.Replicates > 0 && tokensA.Length > 0 && tokensB.Length > 0)
        {
            var replicates = new double[bootstrap.Replicates];
            Parallel.For(0, bootstrap.Replicates, b =>
            {
                var rng = new Random(Seeds.For(bootstrap.Seed, b));
                replicates[b] = JensenShannon(Count(Resample(tokensA, rng)), Count(Resample(tokensB, rng)));
            });
            interval = Bootstrap.Percentile(replicates, bootstrap.Level);
        }

        return new PromptDivergenceResult(jsd, interval, promptsA.Count, promptsB.Count, countsA.Values.Sum(), countsB.Values.Sum(), countsA.Keys.Union(countsB.Keys).Count());
    }

    private static IEnumerable<IReadOnlyList<string>> Resample(IReadOnlyList<string>[] prompts, Random rng)
    {
        for (var i = 0; i < prompts.Length; i++)
        {
            yield return prompts[rng.Next(prompts.Length)];
        }
    }

    private static Dictionary<string, int> Count(IEnumerable<IReadOnlyList<string>> prompts)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var prompt in prompts)
        {
            foreach (var token in prompt)
            {
                counts[token] = counts.GetValueOrDefault(token) + 1;
            }
        }

        return counts;
    }
}
