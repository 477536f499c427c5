using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Likert;

/// <summary>A group's mean rating on a question with a percentile bootstrap interval that resamples raters.</summary>
public sealed record LikertMean(string Axis, string Group, string Question, int Raters, int Ratings, double Mean, Interval Interval);

/// <summary>
/// Harm to oneself minus harm to others: over the (rater, image) pairs answered on both questions, the mean
/// difference with a rater-bootstrap interval, and how many differences are positive, zero and negative.
/// </summary>
public sealed record LikertDifference(string Axis, string Group, int Raters, int Pairs, double MeanDifference, Interval Interval, int Positive, int Zero, int Negative);

/// <summary>
/// Does group membership on one axis shift the ratings of a question? The permutation test of the between-group
/// sum of squares of the raters' mean ratings, shuffling the axis's values across raters; and the proportional-odds
/// model of every rating on group indicators (first group the reference), with its likelihood-ratio test.
/// </summary>
public sealed record LikertGroupEffect(string Axis, string Question, IReadOnlyList<string> Groups, int Raters, int Ratings, double BetweenGroupSs, double PermutationP, int Permutations, OrdinalFit? Ordinal);

/// <summary>The DIVE Likert analyses on cleaned ratings: means per group, harm to self versus others, group effects.</summary>
public static class LikertAnalysis
{
    /// <summary>Everyone's axis and group name.</summary>
    public const string Everyone = "all";

    /// <summary>
    /// Mean rating per question for each (axis, group) in <paramref name="groups"/> (members by participant id; pass
    /// everyone as axis and group <see cref="Everyone"/>), with the percentile interval of the cluster bootstrap that
    /// draws raters with replacement, each keeping all their ratings of the question.
    /// </summary>
    public static IReadOnlyList<LikertMean> Means(IReadOnlyList<LikertRow> rows, IEnumerable<(string Axis, string Group, IReadOnlySet<long> Members)> groups, BootstrapOptions bootstrap)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(groups);
        var result = new List<LikertMean>();
        foreach (var (axis, group, members) in groups)
        {
            foreach (var q in rows.Where(r => members.Contains(r.Participant)).GroupBy(r => r.Question, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var clusters = q.GroupBy(r => r.Participant).OrderBy(g => g.Key).Select(g => ((double)g.Sum(r => r.Value), (double)g.Count())).ToList();
                var n = q.Count();
                result.Add(new LikertMean(axis, group, q.Key, clusters.Count, n, q.Sum(r => r.Value) / (double)n, Bootstrap.ClusteredRatio(clusters, bootstrap)));
            }
        }

        return result;
    }

    /// <summary>Harm to self (question <paramref name="self"/>) minus harm to others (<paramref name="others"/>) per group; groups without a pair are left out.</summary>
    public static IReadOnlyList<LikertDifference> Differences(IReadOnlyList<LikertRow> rows, string self, string others, IEnumerable<(string Axis, string Group, IReadOnlySet<long> Members)> groups, BootstrapOptions bootstrap)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(groups);
        // A rater who rated an image twice on a question (reopened and changed) counts with the latest answer.
        static Dictionary<(long, string), int> Latest(IEnumerable<LikertRow> rs) =>
            rs.GroupBy(r => (r.Participant, r.Image)).ToDictionary(g => g.Key, g => g.MaxBy(r => (r.SubmittedAt, r.RatingId))!.Value);
        var s = Latest(rows.Where(r => r.Question == self));
        var o = Latest(rows.Where(r => r.Question == others));
        var pairs = s.Where(kv => o.ContainsKey(kv.Key)).Select(kv => (Participant: kv.Key.Item1, Difference: (double)(kv.Value - o[kv.Key]))).ToList();
        var result = new List<LikertDifference>();
        foreach (var (axis, group, members) in groups)
        {
            var mine = pairs.Where(p => members.Contains(p.Participant)).ToList();
            if (mine.Count == 0)
            {
                continue;
            }

            var clusters = mine.GroupBy(p => p.Participant).OrderBy(g => g.Key).Select(g => (g.Sum(p => p.Difference), (double)g.Count())).ToList();
            result.Add(new LikertDifference(axis, group, clusters.Count, mine.Count, mine.Average(p => p.Difference), Bootstrap.ClusteredRatio(clusters, bootstrap),
                mine.Count(p => p.Difference > 0), mine.Count(p => p.Difference == 0), mine.Count(p => p.Difference < 0)));
        }

        return result;
    }

    /// <summary>
    /// The group effect of one axis on each question. Raters with a value on the axis take part (<paramref name="groupOf"/>
    /// gives it, null = none). Statistic T = Σ_g n_g (m̄_g − m̄)² over the raters' mean ratings m_r (n_g raters in group g,
    /// m̄_g their mean, m̄ the mean of all m_r); each permutation shuffles the raters' group values (group sizes kept) and
    /// p = (1 + #{T* ≥ T}) / (1 + B). The ordinal model uses every rating with indicators of the groups after the first.
    /// </summary>
    public static IReadOnlyList<LikertGroupEffect> GroupEffects(IReadOnlyList<LikertRow> rows, string axis, Func<long, string?> groupOf, int permutations, int seed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(groupOf);
        var result = new List<LikertGroupEffect>();
        foreach (var q in rows.GroupBy(r => r.Question, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var raters = q.GroupBy(r => r.Participant).Select(g => (Id: g.Key, Group: groupOf(g.Key), Mean: g.Average(r => (double)r.Value), Rows: g.ToList()))
                .Where(r => r.Group is not null).OrderBy(r => r.Id).ToList();
            var names = raters.Select(r => r.Group!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (names.Count < 2)
            {
                continue;
            }

            var index = names.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
            var labels = raters.Select(r => index[r.Group!]).ToArray();
            var means = raters.Select(r => r.Mean).ToArray();
            var observed = BetweenSs(means, labels, names.Count);
            var extreme = 0;
            var shuffled = (int[])labels.Clone();
            for (var b = 0; b < permutations; b++)
            {
                var rng = new Random(Seeds.For(seed, b));
                Array.Copy(labels, shuffled, labels.Length);
                for (var i = shuffled.Length - 1; i > 0; i--)
                {
                    var j = rng.Next(i + 1);
                    (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
                }

                if (BetweenSs(means, shuffled, names.Count) >= observed - (1e-12 * Math.Max(1, Math.Abs(observed))))
                {
                    extreme++;
                }
            }

            var p = permutations > 0 ? (1.0 + extreme) / (1.0 + permutations) : double.NaN;
            var ratings = raters.SelectMany(r => r.Rows.Select(row => (row.Value, Group: index[r.Group!]))).ToList();
            OrdinalFit? fit = null;
            if (ratings.Select(r => r.Value).Distinct().Count() >= 2)
            {
                var x = ratings.Select(r => Enumerable.Range(1, names.Count - 1).Select(g => r.Group == g ? 1.0 : 0.0).ToArray()).ToList();
                fit = OrdinalRegression.Fit(ratings.Select(r => r.Value).ToList(), x);
            }

            result.Add(new LikertGroupEffect(axis, q.Key, names, raters.Count, ratings.Count, observed, p, permutations, fit));
        }

        return result;
    }

    /// <summary>Σ_g n_g (m̄_g − m̄)².</summary>
    internal static double BetweenSs(double[] values, int[] labels, int groups)
    {
        var sum = new double[groups];
        var count = new int[groups];
        double total = 0;
        for (var i = 0; i < values.Length; i++)
        {
            sum[labels[i]] += values[i];
            count[labels[i]]++;
            total += values[i];
        }

        var grand = total / values.Length;
        double ss = 0;
        for (var g = 0; g < groups; g++)
        {
            if (count[g] > 0)
            {
                var d = (sum[g] / count[g]) - grand;
                ss += count[g] * d * d;
            }
        }

        return ss;
    }
}
