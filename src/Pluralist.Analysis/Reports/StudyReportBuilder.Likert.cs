using System.Text.Json.Nodes;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Likert;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Reports;

/// <summary>The Likert section of the study report (DIVE): cleaning, means per group, harm to self versus others, group effects, GAI.</summary>
public static partial class StudyReportBuilder
{
    /// <summary>The default DIVE questions whose difference the report gives (harm to oneself minus harm to others).</summary>
    public const string HarmSelf = "harm-self";

    public const string HarmOthers = "harm-others";

    private static ReportSection LikertSection(StudyReportInput input)
    {
        const string heading = "Likert ratings (DIVE)";
        if (input.Ratings.Count == 0)
        {
            return new ReportSection("likert", heading, ["The study has no Likert ratings."], [], []);
        }

        var paragraphs = new List<string>();
        var tables = new List<ReportTable>();
        var charts = new List<ReportChart>();
        var cleaning = LikertCleaning.Run(input.Ratings);
        var kept = cleaning.Kept;
        var stageCounts = string.Join(", ", cleaning.Stages.Select(s => string.Create(Ci, $"{s.Rule} {s.Dropped}")));
        paragraphs.Add(string.Create(Ci, $"{input.Ratings.Count:N0} ratings from {input.Ratings.Select(r => r.Participant).Distinct().Count():N0} participants; cleaning kept {kept.Count:N0} ({input.Ratings.Count - kept.Count:N0} dropped: {stageCounts}). Ratings are on a 1–5 scale; every analysis below uses the kept ratings."));
        paragraphs.Add("No attention items are defined for the Likert task, so the attention-check rule has nothing to match; its stage is listed with 0 drops.");
        tables.Add(new ReportTable("likert_cleaning", "Likert cleaning: rows per stage (a row is counted at the first rule that drops it) and the raters it dropped rows of",
            ["stage", "rule", "reason", "rows_in", "dropped", "rows_out", "raters"],
            cleaning.Stages.Select(s => (IReadOnlyList<object?>)[s.Stage, s.Rule, s.ReasonCode, s.RowsIn, s.Dropped, s.RowsOut, s.Raters]).ToList()));
        if (kept.Count == 0)
        {
            paragraphs.Add("Cleaning dropped every rating.");
            return new ReportSection("likert", heading, paragraphs, charts, tables);
        }

        var groups = SafeGroups.Build(input, kept.Select(r => r.Participant));
        if (groups.Suppressed > 0)
        {
            paragraphs.Add(string.Create(Ci, $"{groups.Suppressed} identity group(s) or intersection(s) of raters with fewer than {input.MinGroupSize} participants are not shown."));
        }

        var everyone = (IReadOnlySet<long>)kept.Select(r => r.Participant).ToHashSet();
        var scopes = new List<(string Axis, string Group, IReadOnlySet<long> Members)> { (LikertAnalysis.Everyone, LikertAnalysis.Everyone, everyone) };
        foreach (var (axis, members) in groups.ByAxisGroup())
        {
            scopes.AddRange(members.Select(m => (axis, m.Group, (IReadOnlySet<long>)m.Members)));
        }

        var bootstrap = new BootstrapOptions(input.BootstrapReplicates, input.Seed);
        var order = input.LikertQuestions.Select((q, i) => (q, i)).ToDictionary(t => t.q, t => t.i, StringComparer.Ordinal);
        int Order(string q) => order.TryGetValue(q, out var i) ? i : int.MaxValue;
        var means = LikertAnalysis.Means(kept, scopes, bootstrap).OrderBy(m => Order(m.Question)).ThenBy(m => m.Question, StringComparer.Ordinal).ToList();
        tables.Add(new ReportTable("likert_means", $"Mean rating per question for everyone and each consented group and intersection of at least {input.MinGroupSize} raters (95% bootstrap interval resampling raters)",
            ["question", "axis", "group", "raters", "ratings", "mean", "lower", "upper"],
            means.Select(m => (IReadOnlyList<object?>)[m.Question, m.Axis, m.Group, m.Raters, m.Ratings, m.Mean, m.Interval.Lower, m.Interval.Upper]).ToList()));
        var values = new JsonArray([.. means.Select(m => Obj(("question", m.Question), ("group", m.Axis == LikertAnalysis.Everyone ? "everyone" : $"{m.Axis}: {m.Group}"), ("mean", m.Mean), ("lower", m.Interval.Lower), ("upper", m.Interval.Upper)))]);
        var spec = new JsonObject
        {
            ["description"] = "Mean Likert rating per question and group with bootstrap intervals",
            ["data"] = new JsonObject { ["values"] = values },
            ["facet"] = new JsonObject { ["row"] = Field("question", "nominal", "Question") },
            ["spec"] = new JsonObject
            {
                ["width"] = 360,
                ["layer"] = new JsonArray(
                    new JsonObject { ["mark"] = "rule", ["encoding"] = new JsonObject { ["y"] = Field("group", "nominal", "Group"), ["x"] = new JsonObject { ["field"] = "lower", ["type"] = "quantitative", ["title"] = "Mean rating (1–5)", ["scale"] = new JsonObject { ["domain"] = new JsonArray(1, 5) } }, ["x2"] = new JsonObject { ["field"] = "upper" } } },
                    new JsonObject { ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["tooltip"] = true }, ["encoding"] = new JsonObject { ["y"] = Field("group", "nominal", "Group"), ["x"] = Field("mean", "quantitative", "Mean") } }),
            },
        };
        charts.Add(new ReportChart("likert-means", "Mean rating per question and group",
            "Mean rating on the 1–5 scale with bootstrap intervals; everyone: " +
            string.Join("; ", means.Where(m => m.Axis == LikertAnalysis.Everyone).Select(m => string.Create(Ci, $"{m.Question} {F(m.Mean)} ({F(m.Interval.Lower)}–{F(m.Interval.Upper)}) from {m.Raters} raters"))) + ".", spec));

        var questions = kept.Select(r => r.Question).ToHashSet(StringComparer.Ordinal);
        if (questions.Contains(HarmSelf) && questions.Contains(HarmOthers))
        {
            var diffs = LikertAnalysis.Differences(kept, HarmSelf, HarmOthers, scopes, bootstrap);
            tables.Add(new ReportTable("likert_harm_difference", "Harm to oneself minus harm to others, over the images a rater answered on both questions (95% bootstrap interval resampling raters)",
                ["axis", "group", "raters", "pairs", "mean_difference", "lower", "upper", "self_higher", "equal", "others_higher"],
                diffs.Select(d => (IReadOnlyList<object?>)[d.Axis, d.Group, d.Raters, d.Pairs, d.MeanDifference, d.Interval.Lower, d.Interval.Upper, d.Positive, d.Zero, d.Negative]).ToList()));
            if (diffs.FirstOrDefault(d => d.Axis == LikertAnalysis.Everyone) is { } all)
            {
                paragraphs.Add(string.Create(Ci, $"Harm to oneself minus harm to others over {all.Pairs:N0} images rated on both: mean {F(all.MeanDifference)} ({F(all.Interval.Lower)} to {F(all.Interval.Upper)}); higher for oneself in {all.Positive}, equal in {all.Zero}, higher for others in {all.Negative}."));
            }
        }

        var effects = new List<LikertGroupEffect>();
        var primary = groups.Axes.Where(a => groups.Profiles.Any(p => p.Markers.TryGetValue(a, out var v) && v is not null)).ToList();
        var byName = kept.Select(r => r.Participant).Distinct().ToDictionary(p => Name(input, p), p => p, StringComparer.Ordinal);
        foreach (var axis in primary)
        {
            var of = groups.Profiles.Where(p => byName.ContainsKey(p.Rater)).ToDictionary(p => byName[p.Rater], p => p.Markers.TryGetValue(axis, out var v) ? v : null);
            effects.AddRange(LikertAnalysis.GroupEffects(kept, axis, id => of.GetValueOrDefault(id), input.Permutations, input.Seed));
        }

        if (effects.Count > 0)
        {
            tables.Add(new ReportTable("likert_group_tests", string.Create(Ci, $"Does group membership shift the ratings? Per identity axis and question: permutation test of the between-group sum of squares of the raters' mean ratings ({input.Permutations} permutations of the groups across raters) and the likelihood-ratio test of the group terms of a proportional-odds model"),
                ["axis", "question", "groups", "raters", "ratings", "between_group_ss", "permutation_p", "lr_chi2", "df", "lr_p"],
                effects.Select(e => (IReadOnlyList<object?>)[e.Axis, e.Question, string.Join("; ", e.Groups), e.Raters, e.Ratings, e.BetweenGroupSs, e.PermutationP, e.Ordinal?.LikelihoodRatio ?? double.NaN, e.Ordinal?.DegreesOfFreedom ?? 0, e.Ordinal?.LikelihoodRatioP ?? double.NaN]).ToList()));
            var terms = new List<IReadOnlyList<object?>>();
            foreach (var e in effects.Where(e => e.Ordinal is not null))
            {
                var fit = e.Ordinal!;
                for (var j = 0; j < fit.Thresholds.Count; j++)
                {
                    terms.Add([e.Axis, e.Question, $"threshold {fit.Categories[j]}|{fit.Categories[j + 1]}", fit.Thresholds[j], double.NaN, double.NaN]);
                }

                for (var g = 0; g < fit.Coefficients.Count; g++)
                {
                    terms.Add([e.Axis, e.Question, $"{e.Groups[g + 1]} vs {e.Groups[0]}", fit.Coefficients[g], fit.StandardErrors[g], fit.WaldP(g)]);
                }
            }

            tables.Add(new ReportTable("likert_ordinal", "Proportional-odds (cumulative-logit) model per axis and question: P(rating ≤ j) = σ(α_j − β_group); β > 0 shifts the group's ratings up against the first group. Wald p-values treat ratings as independent (raters give several), so read them with the permutation test",
                ["axis", "question", "term", "estimate", "se", "wald_p"], terms));
        }

        var ratings = kept.Select(r => new Rating($"{r.Image}/{r.Question}", Name(input, r.Participant), r.Value)).ToList();
        if (primary.Count > 0 && ratings.Select(r => r.Rater).Distinct(StringComparer.Ordinal).Count() >= 2)
        {
            try
            {
                var gai = GroupAssociationIndex.Analyze(ratings, groups.Profiles.Where(p => byName.ContainsKey(p.Rater)), primary, new GaiOptions
                {
                    Level = MeasurementLevel.Ordinal,
                    Permutations = input.Permutations,
                    Seed = input.Seed,
                    MinGroupSize = Math.Max(2, input.MinGroupSize),
                });
                tables.Add(new ReportTable("likert_gai", string.Create(Ci, $"Group association index over the ratings (ordinal alpha; items are (image, question); {gai.Permutations} permutations; q = Benjamini-Hochberg)"),
                    ["axis", "group", "raters", "ratings", "irr", "xrr", "gai", "permutation_median", "p", "q"],
                    gai.Groups.Where(g => groups.IsShown(g.Axis, g.Group)).Select(g => (IReadOnlyList<object?>)[g.Axis, g.Group, g.Raters, g.Ratings, g.Irr, g.Xrr, g.Gai, g.PermutationMedian, g.PGai, g.QGai]).ToList()));
            }
            catch (ArgumentException ex)
            {
                paragraphs.Add("The group association index over the ratings could not be computed: " + ex.Message);
            }

            paragraphs.Add(IntersectionsVsParents(tables, "likert_intersections_vs_parents", ratings, groups, primary, MeasurementLevel.Ordinal, input));
        }

        return new ReportSection("likert", heading, paragraphs, charts, tables);
    }
}
