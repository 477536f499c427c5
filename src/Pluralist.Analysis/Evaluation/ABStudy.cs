using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Evaluation;

/// <summary>Which model a blind A/B answer preferred.</summary>
public enum ABPreference
{
    Aligned,
    Base,
    Neutral,
}

/// <summary>
/// One answer of the blind A/B study: a participant's preference on one criterion for one prompt's
/// pair of images (one from each model). PromptSource is the prompt's provenance (<c>human</c>,
/// <c>llm1</c>, …), any string.
/// </summary>
public sealed record ABJudgement(string Prompt, string Participant, string Criterion, ABPreference Preference, string? PromptSource = null);

/// <summary>
/// Wins (aligned preferred), ties (neutral) and losses (base preferred) with the LIVS summaries:
/// the win rate excluding ties w/(w + l) with its Wilson interval, the win rate counting ties as
/// half (w + t/2)/(w + t + l), the neutral share t/(w + t + l) and the two-sided sign test.
/// </summary>
public sealed record WinTieLoss(int Wins, int Ties, int Losses, double Level = 0.95)
{
    public int Total => Wins + Ties + Losses;

    public double WinRate => Wins + Losses == 0 ? double.NaN : (double)Wins / (Wins + Losses);

    public Interval WinRateInterval => Proportions.Wilson(Wins, Wins + Losses, Level);

    public double WinRateTiesHalf => Total == 0 ? double.NaN : (Wins + (Ties / 2.0)) / Total;

    public double NeutralShare => Total == 0 ? double.NaN : (double)Ties / Total;

    public Interval NeutralShareInterval => Proportions.Wilson(Ties, Total, Level);

    public double SignTestP => Proportions.SignTest(Wins, Losses);

    public static WinTieLoss Count(IEnumerable<ABJudgement> judgements, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        int w = 0, t = 0, l = 0;
        foreach (var j in judgements)
        {
            switch (j.Preference)
            {
                case ABPreference.Aligned: w++; break;
                case ABPreference.Base: l++; break;
                default: t++; break;
            }
        }

        return new WinTieLoss(w, t, l, level);
    }
}

/// <summary>A win/tie/loss summary of a scope (overall, a criterion, a participant, a group) with cluster-bootstrap intervals of the win rate (ties excluded).</summary>
public sealed record ABSummary(string Scope, WinTieLoss Counts, Interval ByPromptBootstrap, Interval ByParticipantBootstrap);

/// <summary>Case study I: overall and per criterion.</summary>
public sealed record ABOverview(ABSummary Overall, IReadOnlyList<ABSummary> PerCriterion);

/// <summary>Case study II by identity: a group (or intersection) of consented markers and its members' answers.</summary>
public sealed record ABGroupSummary(string Axis, string Group, int Participants, ABSummary Summary);

/// <summary>Case study III: one prompt source.</summary>
public sealed record PromptSourceSummary(string Source, int Prompts, WinTieLoss Counts);

/// <summary>
/// Case study III: the difference between two prompt sources in neutral share and win rate
/// (A − B), each with a two-proportion z test (answers treated as independent) and a
/// permutation test that shuffles the source labels across prompts (prompts keep all their
/// answers), which respects the clustering of answers within prompts.
/// </summary>
public sealed record PromptSourceComparison(
    string SourceA, string SourceB,
    double NeutralShareDifference, double NeutralShareZ, double NeutralShareZP, double NeutralSharePermutationP,
    double WinRateDifference, double WinRateZ, double WinRateZP, double WinRatePermutationP);

/// <summary>The LIVS evaluation case studies I–III on blind A/B answers.</summary>
public static class ABStudy
{
    /// <summary>Case study I: wins, neutrals and losses overall and per criterion.</summary>
    public static ABOverview Overview(IReadOnlyList<ABJudgement> judgements, BootstrapOptions? bootstrap = null)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        bootstrap ??= new BootstrapOptions();
        var perCriterion = judgements.GroupBy(j => j.Criterion, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Summarize(g.Key, g.ToList(), bootstrap))
            .ToList();
        return new ABOverview(Summarize("overall", judgements, bootstrap), perCriterion);
    }

    /// <summary>Counts, Wilson interval and win-rate intervals from bootstraps clustered by prompt and by participant.</summary>
    public static ABSummary Summarize(string scope, IReadOnlyList<ABJudgement> judgements, BootstrapOptions? bootstrap = null)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        bootstrap ??= new BootstrapOptions();
        return new ABSummary(
            scope,
            WinTieLoss.Count(judgements, bootstrap.Level),
            Bootstrap.ClusteredRatio(Clusters(judgements, j => j.Prompt), bootstrap),
            Bootstrap.ClusteredRatio(Clusters(judgements, j => j.Participant), bootstrap));
    }

    /// <summary>Case study II: each participant's aligned / base / neutral counts with a Wilson interval of their win rate.</summary>
    public static IReadOnlyList<(string Participant, WinTieLoss Counts)> ByParticipant(IEnumerable<ABJudgement> judgements, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        return judgements.GroupBy(j => j.Participant, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, WinTieLoss.Count(g, level)))
            .ToList();
    }

    /// <summary>
    /// Case study II by identity: for each consented group on each axis (and, with
    /// <paramref name="intersections"/>, each intersection of axes) the answers of its members,
    /// with the win-rate bootstrap clustered by participant. Participants without a marker on an
    /// axis are in no group of that axis.
    /// </summary>
    public static IReadOnlyList<ABGroupSummary> ByIdentity(
        IReadOnlyList<ABJudgement> judgements, IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, bool intersections = true, BootstrapOptions? bootstrap = null)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        bootstrap ??= new BootstrapOptions();
        var groups = IdentityGroups.Assign(profiles, axes, intersections);
        var result = new List<ABGroupSummary>();
        foreach (var ((axis, group), members) in groups)
        {
            var answers = judgements.Where(j => members.Contains(j.Participant)).ToList();
            if (answers.Count == 0)
            {
                continue;
            }

            var participants = answers.Select(a => a.Participant).Distinct(StringComparer.Ordinal).Count();
            result.Add(new ABGroupSummary(axis, group, participants, Summarize($"{axis}={group}", answers, bootstrap)));
        }

        return result;
    }

    /// <summary>Case study III: neutral share and win rate per prompt source (answers without a source are left out).</summary>
    public static IReadOnlyList<PromptSourceSummary> ByPromptSource(IEnumerable<ABJudgement> judgements, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        return judgements.Where(j => j.PromptSource is not null)
            .GroupBy(j => j.PromptSource!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new PromptSourceSummary(g.Key, g.Select(j => j.Prompt).Distinct(StringComparer.Ordinal).Count(), WinTieLoss.Count(g, level)))
            .ToList();
    }

    /// <summary>Case study III: tests of the difference between two prompt sources.</summary>
    public static PromptSourceComparison ComparePromptSources(IEnumerable<ABJudgement> judgements, string sourceA, string sourceB, int permutations = 2000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(judgements);
        // Per prompt: (wins, ties, losses) and whether it belongs to A.
        var prompts = judgements.Where(j => j.PromptSource == sourceA || j.PromptSource == sourceB)
            .GroupBy(j => j.Prompt, StringComparer.Ordinal)
            .Select(g =>
            {
                var c = WinTieLoss.Count(g);
                var sources = g.Select(j => j.PromptSource).Distinct().Count();
                if (sources > 1)
                {
                    throw new ArgumentException($"prompt '{g.Key}' has answers with more than one prompt source");
                }

                return (c.Wins, c.Ties, c.Losses, IsA: g.First().PromptSource == sourceA);
            })
            .ToArray();
        var a = Sum(prompts, p => p.IsA);
        var b = Sum(prompts, p => !p.IsA);
        var neutralDiff = a.NeutralShare - b.NeutralShare;
        var winDiff = a.WinRate - b.WinRate;
        var (nz, np) = Proportions.TwoProportionZ(a.Ties, a.Total, b.Ties, b.Total);
        var (wz, wp) = Proportions.TwoProportionZ(a.Wins, a.Wins + a.Losses, b.Wins, b.Wins + b.Losses);

        int neutralExtreme = 0, winExtreme = 0, valid = 0, winValid = 0;
        var labels = prompts.Select(p => p.IsA).ToArray();
        for (var r = 0; r < permutations; r++)
        {
            var rng = new Random(Seeds.For(seed, r));
            for (var i = labels.Length - 1; i > 0; i--)
            {
                var j = rng.Next(i + 1);
                (labels[i], labels[j]) = (labels[j], labels[i]);
            }

            int aw = 0, at = 0, al = 0, bw = 0, bt = 0, bl = 0;
            for (var i = 0; i < prompts.Length; i++)
            {
                if (labels[i])
                {
                    aw += prompts[i].Wins;
                    at += prompts[i].Ties;
                    al += prompts[i].Losses;
                }
                else
                {
                    bw += prompts[i].Wins;
                    bt += prompts[i].Ties;
                    bl += prompts[i].Losses;
                }
            }

            var pa = new WinTieLoss(aw, at, al);
            var pb = new WinTieLoss(bw, bt, bl);
            var nd = pa.NeutralShare - pb.NeutralShare;
            if (!double.IsNaN(nd))
            {
                valid++;
                neutralExtreme += Math.Abs(nd) >= Math.Abs(neutralDiff) - 1e-12 ? 1 : 0;
            }

            var wd = pa.WinRate - pb.WinRate;
            if (!double.IsNaN(wd))
            {
                winValid++;
                winExtreme += Math.Abs(wd) >= Math.Abs(winDiff) - 1e-12 ? 1 : 0;
            }
        }

        return new PromptSourceComparison(
            sourceA, sourceB,
            neutralDiff, nz, np, PermutationP(neutralDiff, neutralExtreme, valid),
            winDiff, wz, wp, PermutationP(winDiff, winExtreme, winValid));
    }

    private static double PermutationP(double observed, int extreme, int valid) =>
        double.IsNaN(observed) || valid == 0 ? double.NaN : (1.0 + extreme) / (1.0 + valid);

    private static WinTieLoss Sum((int Wins, int Ties, int Losses, bool IsA)[] prompts, Func<(int Wins, int Ties, int Losses, bool IsA), bool> which)
    {
        int w = 0, t = 0, l = 0;
        foreach (var p in prompts.Where(which))
        {
            w += p.Wins;
            t += p.Ties;
            l += p.Losses;
        }

        return new WinTieLoss(w, t, l);
    }

    /// <summary>Per cluster: (wins, wins + losses), the parts of the win rate excluding ties.</summary>
    private static List<(double, double)> Clusters(IEnumerable<ABJudgement> judgements, Func<ABJudgement, string> key) =>
        judgements.GroupBy(key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var c = WinTieLoss.Count(g);
                return ((double)c.Wins, (double)(c.Wins + c.Losses));
            })
            .ToList();
}
