using System.Globalization;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Ranking;
using Pluralist.Core.Cleaning;

namespace Pluralist.Studies.Alignment;

/// <summary>
/// One criterion of case study IV in the closed experiment: the App. I spread (variance of the slider values as shown) for
/// everyone and per group, the spread of each group's Bradley-Terry scores (standard deviation of θ over the images) and
/// the mean difference between the groups' scores of the same image (the largest minus the smallest group's θ, averaged
/// over the images both groups scored; NaN with fewer than two groups).
/// </summary>
public sealed record LivsSimCriterionSpread(string Criterion, double VarianceEveryone, IReadOnlyDictionary<string, double> VariancePerGroup, IReadOnlyDictionary<string, double> ScoreSdPerGroup, double GroupScoreDifference);

/// <summary>
/// Case study IV of LIVS in the closed experiment, on the experiment's cleaned annotations: per criterion and prompt, the
/// Bradley-Terry score of each image for everyone and for each consented disability group of at least the minimum size
/// (<see cref="IntersectionalScores.FromPreferences"/>, the code of <c>analyze study</c>; Davidson ties, bootstrap intervals
/// resampling the group's participants, <see cref="BootstrapReplicates"/> replicates), the App. I spread per criterion and
/// group (<see cref="IntersectionalScores.Spread"/>), and whether accessibility, the criterion of the world's planted
/// mobility effect, shows the largest between-group difference (<see cref="AccessibilityLargestScoreDifference"/>) and
/// the largest ratio of the groups' variances (<see cref="AccessibilityLargestVarianceRatio"/>); null where fewer than
/// two groups are shown. <see cref="Groups"/> counts the annotators per group; <see cref="HiddenGroups"/> names groups
/// under the minimum size, which are not fitted.
/// </summary>
public sealed record LivsSimCaseStudyIV(
    int Answers,
    int BootstrapReplicates,
    IReadOnlyDictionary<string, int> Groups,
    IReadOnlyList<string> HiddenGroups,
    IReadOnlyList<GroupBradleyTerryScore> Scores,
    IReadOnlyList<LivsSimCriterionSpread> PerCriterion,
    bool? AccessibilityLargestScoreDifference,
    bool? AccessibilityLargestVarianceRatio)
{
    /// <summary>The axis the experiment's groups are on.</summary>
    public const string Axis = "disability";

    /// <summary>The criterion the world's planted group effect is on.</summary>
    public const string PlantedCriterion = "accessibility";

    /// <summary>
    /// Computes case study IV from the cleaned answers (rows without a preference are left out). <paramref name="groups"/> maps
    /// a participant id to its consented group; <paramref name="promptName"/> names a prompt id (the fits' scope).
    /// </summary>
    public static LivsSimCaseStudyIV Compute(IEnumerable<CleaningRow> kept, IReadOnlyDictionary<long, string> groups, Func<long, string> promptName, int minGroupSize, int replicates, int seed)
    {
        ArgumentNullException.ThrowIfNull(kept);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(promptName);
        var rows = kept.Where(r => r.Preference is not null).ToList();
        var ci = CultureInfo.InvariantCulture;
        var sizes = groups.Where(kv => rows.Any(r => r.ParticipantId == kv.Key)).GroupBy(kv => kv.Value, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var shown = sizes.Where(kv => kv.Value >= minGroupSize).Select(kv => kv.Key).ToList();
        var profiles = groups.Select(kv => new RaterProfile(kv.Key.ToString(ci), new Dictionary<string, string?> { [Axis] = kv.Value })).ToList();
        var answers = rows.Select(r => new CriterionPreference(r.Image0Id.ToString(ci), r.Image1Id.ToString(ci), r.ParticipantId.ToString(ci), r.Criterion, r.Preference!.Value, promptName(r.PromptId))).ToList();
        var options = new BradleyTerryOptions { BootstrapReplicates = replicates, Seed = seed };
        var scores = IntersectionalScores.FromPreferences(answers, profiles, [Axis], intersections: false, options,
            (axis, group) => axis == IntersectionalScores.Everyone || shown.Contains(group));

        var perCriterion = new List<LivsSimCriterionSpread>();
        foreach (var criterion in rows.Select(r => r.Criterion).Distinct().Order(StringComparer.Ordinal))
        {
            var these = rows.Where(r => r.Criterion == criterion).ToList();
            double Variance(IEnumerable<CleaningRow> members) =>
                IntersectionalScores.Spread(members.Select(r => (r.Criterion, r.ScoreAsShown ?? r.Preference!.Value))).SingleOrDefault()?.Variance ?? double.NaN;
            var variance = shown.ToDictionary(g => g, g => Variance(these.Where(r => groups.GetValueOrDefault(r.ParticipantId) == g)), StringComparer.Ordinal);
            var thetas = scores.Where(s => s.Criterion == criterion && s.Axis == Axis).GroupBy(s => s.Group, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            var sd = thetas.ToDictionary(kv => kv.Key, kv => Sd([.. kv.Value.Select(s => s.Theta)]), StringComparer.Ordinal);
            double difference = double.NaN;
            if (thetas.Count >= 2)
            {
                var byImage = thetas.Values.SelectMany(v => v).GroupBy(s => (s.Scope, s.Item)).Where(g => g.Count() == thetas.Count).ToList();
                difference = byImage.Count == 0 ? double.NaN : byImage.Average(g => g.Max(s => s.Theta) - g.Min(s => s.Theta));
            }

            perCriterion.Add(new LivsSimCriterionSpread(criterion, Variance(these), variance, sd, difference));
        }

        bool? Largest(Func<LivsSimCriterionSpread, double> measure)
        {
            var values = perCriterion.Select(c => (c.Criterion, Value: measure(c))).Where(x => double.IsFinite(x.Value)).ToList();
            return shown.Count < 2 || !values.Any(v => v.Criterion == PlantedCriterion) ? null : values.MaxBy(v => v.Value).Criterion == PlantedCriterion;
        }

        static double Ratio(LivsSimCriterionSpread c) => c.VariancePerGroup.Count < 2 ? double.NaN : c.VariancePerGroup.Values.Max() / c.VariancePerGroup.Values.Min();
        return new LivsSimCaseStudyIV(rows.Count, replicates, sizes, [.. sizes.Keys.Except(shown)], scores, perCriterion, Largest(c => c.GroupScoreDifference), Largest(Ratio));
    }

    /// <summary>Console lines: per criterion the spreads and the between-group difference, then the planted effect's verdict.</summary>
    public IEnumerable<string> Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        var groups = PerCriterion.SelectMany(c => c.VariancePerGroup.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        yield return string.Create(ci, $"case study IV (per-group Bradley-Terry scores per criterion and prompt, {BootstrapReplicates} bootstrap replicates by participant; {Answers} cleaned answers; annotators {string.Join(", ", Groups.Select(kv => $"{kv.Key}: {kv.Value}"))}{(HiddenGroups.Count == 0 ? "" : $"; not fitted (under the minimum group size): {string.Join(", ", HiddenGroups)}")})");
        yield return $"{"criterion",-14} {"variance",8} {string.Join(" ", groups.Select(g => $"{"var " + g,12}"))} {string.Join(" ", groups.Select(g => $"{"sd(θ) " + g,14}"))} {"|Δθ| groups",11}";
        foreach (var c in PerCriterion)
        {
            yield return string.Create(ci, $"{c.Criterion,-14} {c.VarianceEveryone,8:F3} {string.Join(" ", groups.Select(g => $"{c.VariancePerGroup.GetValueOrDefault(g, double.NaN),12:F3}"))} {string.Join(" ", groups.Select(g => $"{c.ScoreSdPerGroup.GetValueOrDefault(g, double.NaN),14:F3}"))} {c.GroupScoreDifference,11:F3}");
        }

        static string Verdict(bool? v) => v switch { true => "yes", false => "no", null => "not computable (fewer than two groups fitted)" };
        yield return $"planted accessibility effect: largest between-group score difference on accessibility: {Verdict(AccessibilityLargestScoreDifference)}; largest ratio of the groups' variances on accessibility: {Verdict(AccessibilityLargestVarianceRatio)}";
    }

    private static double Sd(double[] values)
    {
        if (values.Length < 2)
        {
            return double.NaN;
        }

        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }
}
