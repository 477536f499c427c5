using System.Text.Json.Nodes;
using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Model;

namespace Pluralist.Analysis.Reports;

/// <summary>The data-scaling section: training labels per criterion against the evaluation win rate (LIVS: "criteria with more training annotations gain more").</summary>
public static partial class StudyReportBuilder
{
    private static List<ABJudgement> EvaluationJudgements(StudyReportInput input) =>
        input.Rows.Where(r => r.PairKind == PairKind.Evaluation && r.Preference is not null)
            .Select(r => new ABJudgement(r.PromptId.ToString(Ci), Name(input, r.ParticipantId), r.Criterion,
                r.Preference > 0 ? ABPreference.Aligned : r.Preference < 0 ? ABPreference.Base : ABPreference.Neutral,
                input.PromptSources.GetValueOrDefault(r.PromptId)))
            .ToList();

    private static ReportSection ScalingSection(StudyReportInput input)
    {
        const string heading = "Data scaling: training labels against win rate";
        var judgements = EvaluationJudgements(input);
        if (judgements.Count == 0)
        {
            return new ReportSection("scaling", heading, ["The study has no answered evaluation pairs, so the win rate per criterion, and its trend with the training labels, is not computed."], [], []);
        }

        if (input.TrainingLabels is null)
        {
            return new ReportSection("scaling", heading, ["No training dataset is linked to this evaluation: give the dataset the aligned model was trained on with `pluralist analyze study STUDY --training DIR` (the folder of `dataset build`, as for `study evaluation --training`)."], [], []);
        }

        var paragraphs = new List<string>();
        var bootstrap = new BootstrapOptions(input.BootstrapReplicates, input.Seed);
        var scaling = DataScaling.Analyze(input.TrainingLabels, judgements, bootstrap, Math.Max(input.Permutations, 0), input.Seed);
        var t = scaling.Trend;
        paragraphs.Add(string.Create(Ci, $"Training labels per criterion are the rows of the train split of {input.TrainingDataset ?? "the training dataset"} that name the criterion ({input.TrainingLabels.Values.Sum():N0} rows)") +
            (input.TrainingLabelsWithoutCriterion > 0 ? string.Create(Ci, $"; {input.TrainingLabelsWithoutCriterion:N0} train rows name no criterion (LIVS-protocol labels pool an answer's criteria) and count for none.") : "."));
        if (input.TrainingLabels.Count == 0)
        {
            paragraphs.Add("No row of the training split names a criterion, so labels cannot be attributed to criteria: build the training dataset with `--protocol per-criterion` (or `soft` per criterion) to test the trend.");
        }

        if (t.Warning is not null)
        {
            paragraphs.Add("Warning: " + t.Warning + ".");
        }

        paragraphs.Add(string.Create(Ci, $"Over {t.Criteria} criteria: Spearman's ρ between labels and win rate {F(t.SpearmanRho)} (permutation p {F(t.SpearmanPGreater)} for a positive trend, {F(t.SpearmanPTwoSided)} two-sided; {(t.ExactPermutation ? "all" : "")} {t.PermutationsUsed:N0} {(t.ExactPermutation ? "permutations" : "random permutations")}); logistic regression of win on ln(1 + labels): slope {F(t.Slope)} (SE {F(t.SlopeSe)}, Wald p {F(t.WaldP)}, likelihood-ratio p {F(t.LikelihoodRatioP)}; dispersion {F(t.Dispersion)}, quasi-binomial p {F(t.QuasiP)}). The binomial p-values treat answers as independent; the unit of the claim is the criterion, so read the permutation and quasi-binomial p-values first."));

        var points = new ReportTable("scaling_per_criterion", "Data scaling: per criterion, the training labels and the aligned model's evaluation answers (win rate excludes ties; Wilson and prompt-bootstrap 95% intervals)",
            ["criterion", "training_labels", "aligned", "neutral", "base", "win_rate", "wilson_lower", "wilson_upper", "prompt_bootstrap_lower", "prompt_bootstrap_upper"],
            scaling.Points.Select(p => (IReadOnlyList<object?>)[p.Criterion, p.Labels, p.Counts.Wins, p.Counts.Ties, p.Counts.Losses, p.Counts.WinRate, p.Counts.WinRateInterval.Lower, p.Counts.WinRateInterval.Upper, p.PromptBootstrap.Lower, p.PromptBootstrap.Upper]).ToList());
        var trend = new ReportTable("scaling_trend", "Data scaling: trend of the win rate with the training labels across criteria (Spearman's ρ with a permutation test; binomial logistic regression on ln(1 + labels))",
            ["criteria", "spearman_rho", "permutation_p_greater", "permutation_p_two_sided", "exact", "permutations", "intercept", "slope", "slope_se", "wald_p", "lr_chi2", "lr_p", "dispersion", "quasi_p", "warning"],
            [[t.Criteria, t.SpearmanRho, t.SpearmanPGreater, t.SpearmanPTwoSided, t.ExactPermutation, t.PermutationsUsed, t.Intercept, t.Slope, t.SlopeSe, t.WaldP, t.LikelihoodRatio, t.LikelihoodRatioP, t.Dispersion, t.QuasiP, t.Warning]]);

        var charts = new List<ReportChart>();
        var shown = scaling.Points.Where(p => p.Counts.Wins + p.Counts.Losses > 0).ToList();
        if (shown.Count > 0)
        {
            var values = new JsonArray([.. shown.Select(p => Obj(("criterion", p.Criterion), ("labels", p.Labels), ("win_rate", p.Counts.WinRate), ("lower", p.Counts.WinRateInterval.Lower), ("upper", p.Counts.WinRateInterval.Upper)))]);
            var x = new JsonObject { ["field"] = "labels", ["type"] = "quantitative", ["title"] = "Training labels (symlog scale)", ["scale"] = new JsonObject { ["type"] = "symlog" } };
            var spec = new JsonObject
            {
                ["description"] = "Win rate of the aligned model per criterion against the criterion's training labels",
                ["data"] = new JsonObject { ["values"] = values },
                ["width"] = 420,
                ["layer"] = new JsonArray(
                    new JsonObject { ["mark"] = "rule", ["encoding"] = new JsonObject { ["x"] = x.DeepClone(), ["y"] = new JsonObject { ["field"] = "lower", ["type"] = "quantitative", ["title"] = "Win rate (ties excluded)", ["scale"] = new JsonObject { ["domain"] = new JsonArray(0, 1) } }, ["y2"] = new JsonObject { ["field"] = "upper" } } },
                    new JsonObject { ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["size"] = 60, ["tooltip"] = true }, ["encoding"] = new JsonObject { ["x"] = x.DeepClone(), ["y"] = Field("win_rate", "quantitative", "Win rate"), ["color"] = Field("criterion", "nominal", "Criterion") } },
                    new JsonObject { ["mark"] = new JsonObject { ["type"] = "rule", ["strokeDash"] = new JsonArray(4, 4) }, ["encoding"] = new JsonObject { ["y"] = new JsonObject { ["datum"] = 0.5 } } }),
            };
            charts.Add(new ReportChart("scaling", "Win rate against training labels",
                "Win rate of the aligned model (Wilson intervals) per criterion against its training labels: " +
                string.Join("; ", shown.Select(p => string.Create(Ci, $"{p.Criterion} {p.Labels} labels, {Pct(p.Counts.WinRate)}"))) +
                string.Create(Ci, $". Spearman's ρ {F(t.SpearmanRho)}, permutation p {F(t.SpearmanPGreater)}.") + (t.Warning is null ? "" : " Too few criteria to say anything."), spec));
        }

        return new ReportSection("scaling", heading, paragraphs, charts, [points, trend]);
    }
}
