using MathNet.Numerics.Distributions;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Ranking;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Evaluation;

/// <summary>A raw (Likert or slider) score one rater gave a subject (an image, or a model) on one criterion.</summary>
public readonly record struct CriterionScore(string Subject, string Rater, string Criterion, double Value);

/// <summary>
/// A pairwise slider answer on one criterion, oriented to the canonical order (−1 = Item0 strongly preferred).
/// Scope, when set, is the set of items compared with one another (the prompt): each scope gets its own fit.
/// </summary>
public readonly record struct CriterionPreference(string Item0, string Item1, string Rater, string Criterion, double Preference, string? Scope = null);

/// <summary>Mean raw score of a group on one criterion and subject, with the t interval of the mean. Axis "all" holds everyone.</summary>
public sealed record GroupScore(string Axis, string Group, string Criterion, string Subject, int Raters, int N, double Mean, double StandardDeviation, Interval Interval);

/// <summary>
/// A group's Bradley-Terry score (centred log-strength) of one item on one criterion, from the group's pairwise answers
/// in one scope (null when the answers have none): comparisons, wins (ties not counted) and ties involving the item.
/// </summary>
public sealed record GroupBradleyTerryScore(string Axis, string Group, string Criterion, string Item, double Theta, Interval Interval, int Comparisons, string? Scope = null, double Wins = 0, int Ties = 0, int Raters = 0);

/// <summary>Spread of the answers on one criterion (LIVS appendix I): sample variance (n − 1), mean and the share of exact zeros (neutral).</summary>
public sealed record AnswerSpread(string Criterion, int N, double Mean, double Variance, double NeutralShare);

/// <summary>Case study IV of LIVS: scores per criterion per identity group and intersection of groups.</summary>
public static class IntersectionalScores
{
    public const string Everyone = "all";

    /// <summary>
    /// Mean raw score per (group, criterion, subject), for everyone and for each group and
    /// intersection, with the two-sided t interval mean ± t_{n−1} s/√n (NaN below two answers).
    /// </summary>
    public static IReadOnlyList<GroupScore> FromScores(IReadOnlyList<CriterionScore> scores, IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, bool intersections = true, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var result = new List<GroupScore>();
        foreach (var (axis, group, members) in Groups(scores.Select(s => s.Rater), profiles, axes, intersections))
        {
            foreach (var cell in scores.Where(s => members.Contains(s.Rater))
                .GroupBy(s => (s.Criterion, s.Subject))
                .OrderBy(g => g.Key.Criterion, StringComparer.Ordinal).ThenBy(g => g.Key.Subject, StringComparer.Ordinal))
            {
                var values = cell.Select(s => s.Value).ToArray();
                var (mean, sd) = MeanSd(values);
                var interval = Interval.Undefined;
                if (values.Length >= 2)
                {
                    var half = StudentT.InvCDF(0, 1, values.Length - 1, 1 - ((1 - level) / 2)) * sd / Math.Sqrt(values.Length);
                    interval = new Interval(mean - half, mean + half);
                }

                result.Add(new GroupScore(axis, group, cell.Key.Criterion, cell.Key.Subject, cell.Select(s => s.Rater).Distinct(StringComparer.Ordinal).Count(), values.Length, mean, sd, interval));
            }
        }

        return result;
    }

    /// <summary>
    /// Per-image Bradley-Terry scores of each group's pairwise answers, per criterion and scope
    /// (ties from neutral answers handled as in <paramref name="options"/>; the bootstrap
    /// resamples raters, each keeping all their answers). A pair's image order does not matter:
    /// (a, b, p) and (b, a, −p) are the same comparison. <paramref name="include"/> (axis, group)
    /// skips groups not to be reported (everyone is axis and group <see cref="Everyone"/>).
    /// </summary>
    public static IReadOnlyList<GroupBradleyTerryScore> FromPreferences(IReadOnlyList<CriterionPreference> answers, IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, bool intersections = true, BradleyTerryOptions? options = null, Func<string, string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var cells = new List<(string Axis, string Group, string Criterion, string? Scope, int Raters, IReadOnlyList<PairComparison> Comparisons)>();
        foreach (var (axis, group, members) in Groups(answers.Select(a => a.Rater), profiles, axes, intersections))
        {
            if (include is not null && !include(axis, group))
            {
                continue;
            }

            foreach (var cell in answers.Where(a => members.Contains(a.Rater))
                .GroupBy(a => (a.Criterion, Scope: a.Scope ?? ""))
                .OrderBy(g => g.Key.Criterion, StringComparer.Ordinal).ThenBy(g => g.Key.Scope, StringComparer.Ordinal))
            {
                var raters = cell.Select(a => a.Rater).Distinct(StringComparer.Ordinal).Count();
                cells.Add((axis, group, cell.Key.Criterion, cell.First().Scope, raters, cell.Select(a => PairComparison.FromPreference(a.Item0, a.Item1, a.Preference, a.Rater)).ToList()));
            }
        }

        // Every (group, criterion, scope) fit at once: thousands of small bootstraps, parallel across fits.
        var fits = BradleyTerry.FitMany([.. cells.Select(c => c.Comparisons)], options);
        var result = new List<GroupBradleyTerryScore>();
        for (var i = 0; i < cells.Count; i++)
        {
            var c = cells[i];
            result.AddRange(fits[i].Scores.Select(s => new GroupBradleyTerryScore(c.Axis, c.Group, c.Criterion, s.Item, s.Theta, s.Interval, s.Comparisons, c.Scope, s.Wins, s.Ties, c.Raters)));
        }

        return result;
    }

    /// <summary>
    /// Variance of the answers per criterion (LIVS appendix I), in criterion order. Give it the
    /// values as shown (the side drawn per assignment) or another orientation that does not
    /// depend on an arbitrary order of the pair's images: the mean and variance of a mix of
    /// orientations depend on the mix.
    /// </summary>
    public static IReadOnlyList<AnswerSpread> Spread(IEnumerable<(string Criterion, double Value)> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return answers.GroupBy(a => a.Criterion, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var values = g.Select(a => a.Value).ToArray();
                var (mean, sd) = MeanSd(values);
                return new AnswerSpread(g.Key, values.Length, mean, sd * sd, values.Count(v => v == 0) / (double)values.Length);
            })
            .ToList();
    }

    private static IEnumerable<(string Axis, string Group, HashSet<string> Members)> Groups(IEnumerable<string> raters, IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, bool intersections)
    {
        yield return (Everyone, Everyone, raters.ToHashSet(StringComparer.Ordinal));
        foreach (var ((axis, group), members) in IdentityGroups.Assign(profiles, axes, intersections))
        {
            yield return (axis, group, members);
        }
    }

    /// <summary>Mean and sample standard deviation (n − 1), computed in two passes.</summary>
    private static (double Mean, double Sd) MeanSd(double[] values)
    {
        if (values.Length == 0)
        {
            return (double.NaN, double.NaN);
        }

        var mean = values.Average();
        if (values.Length < 2)
        {
            return (mean, double.NaN);
        }

        var ss = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(ss / (values.Length - 1)));
    }
}
