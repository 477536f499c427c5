using System.Text.Json.Nodes;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Likert;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

namespace Pluralist.Analysis.Reports;

/// <summary>
/// The rater-quality section: Dawid-Skene on the sign of the pairwise answers (accuracy, bootstrap intervals), and the ordinal
/// rater model on the binned sliders and on the cleaned Likert ratings (discrimination and reliability, Wald intervals), with
/// each item's difficulty or location.
/// </summary>
public static partial class StudyReportBuilder
{
    /// <summary>Bootstrap replicates of the Dawid-Skene intervals at most (each replicate refits the model twice).</summary>
    public const int MaxRaterQualityReplicates = 50;

    private const string PairwiseSliders = "pairwise sliders";
    private const string LikertRatings = "likert";

    private static ReportSection RaterQualitySection(StudyReportInput input)
    {
        const string heading = "Rater quality";
        var paragraphs = new List<string>();
        var tables = new List<ReportTable>();
        var charts = new List<ReportChart>();
        var replicates = Math.Min(input.BootstrapReplicates, MaxRaterQualityReplicates);

        // Pairwise answers: items are (pair, criterion), raters participant ids (pseudonyms in the tables).
        var answered = input.Rows.Where(r => r.PairKind == PairKind.Annotation && r.Preference is not null).ToList();
        // Each item's and rater's key is formatted once (the same string for every label of theirs, for both models).
        var pairItems = new Dictionary<string, (string Item, string Criterion)>(StringComparer.Ordinal);
        var pairKeys = new Dictionary<(long Pair, string Criterion), string>();
        string PairItem(CleaningRow r)
        {
            if (!pairKeys.TryGetValue((r.PairId, r.Criterion), out var key))
            {
                key = string.Create(Ci, $"{r.PairId}/{r.Criterion}");
                pairKeys[(r.PairId, r.Criterion)] = key;
                pairItems.TryAdd(key, (r.PairId.ToString(Ci), r.Criterion));
            }

            return key;
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var raterKeys = new Dictionary<long, string>();
        string Rater(long id)
        {
            if (!raterKeys.TryGetValue(id, out var key))
            {
                key = id.ToString(Ci);
                raterKeys[id] = key;
                names.TryAdd(key, Name(input, id));
            }

            return key;
        }

        var signs = answered.Select(r => new CategoricalLabel(PairItem(r), Rater(r.ParticipantId), CleaningEngine.PreferenceClass(r.Preference!.Value))).ToList();
        var ordinalRows = new List<IReadOnlyList<object?>>();
        var locationRows = new List<IReadOnlyList<object?>>();
        if (TooLittle("Pairwise answers", "answered annotation pairs", signs.Select(l => (l.Item, l.Rater)).ToList(), signs.Select(l => l.Class).Distinct().Count()) is { } missing)
        {
            paragraphs.Add(missing);
        }
        else
        {
            var ds = RaterQuality.Analyze(signs, CleaningEngine.PreferenceClasses, replicates, input.Seed);
            var accuracies = ds.Raters.Select(x => x.Accuracy).Order().ToArray();
            paragraphs.Add(string.Create(Ci, $"Dawid-Skene on the pairwise answers (items are (pair, criterion); the class is the oriented preference's sign: image_0 / neutral / image_1): {ds.Raters.Count} raters, {ds.Items.Count:N0} items, {signs.Count:N0} labels; EM {(ds.Converged ? "converged" : "stopped without converging")} after {ds.Iterations} iterations. Accuracy (Σ_k π_k θ_kk, the probability that a rater's label is the item's true class) median {F(Bootstrap.Quantile(accuracies, 0.5))}, lowest {F(accuracies[0])}; {ds.Raters.Count(x => x.Interval.Upper < 0.5)} rater(s) whose whole interval lies below 0.5. Intervals: 95% percentiles of {ds.Replicates} bootstrap replicates, over items for raters and over raters for items (each replicate refits the model)."));
            tables.Add(new ReportTable("rater_quality_dawid_skene", $"Rater quality (Dawid-Skene, pairwise answers binned to the preference's sign): accuracy per rater (pseudonym) with a 95% bootstrap interval over items ({ds.Replicates} replicates), and P(label = class | true class) per class",
                ["rater", "labels", "accuracy", "lower", "upper", "p_image_0_given_image_0", "p_neutral_given_neutral", "p_image_1_given_image_1"],
                ds.Raters.Select(x => (IReadOnlyList<object?>)[names[x.Rater], x.Labels, x.Accuracy, x.Interval.Lower, x.Interval.Upper, x.Diagonal[0], x.Diagonal[1], x.Diagonal[2]]).ToList()));
            tables.Add(new ReportTable("item_difficulty_dawid_skene", $"Item difficulty (Dawid-Skene, pairwise answers): per (pair, criterion) the posterior of its true class, the most likely class, and the difficulty (expected share of its labels that are wrong) with a 95% bootstrap interval over raters ({ds.Replicates} replicates)",
                ["pair", "criterion", "labels", "most_likely", "posterior_image_0", "posterior_neutral", "posterior_image_1", "difficulty", "lower", "upper"],
                ds.Items.Select(i => (IReadOnlyList<object?>)[pairItems[i.Item].Item, pairItems[i.Item].Criterion, i.Labels, i.MostLikely, i.Posterior[0], i.Posterior[1], i.Posterior[2], i.Difficulty, i.Interval.Lower, i.Interval.Upper]).ToList()));
            charts.Add(RaterChart("rater-quality-dawid-skene", "Rater accuracy (Dawid-Skene, pairwise answers)", "Accuracy", [0, 1],
                ds.Raters.Select(x => (names[x.Rater], x.Accuracy, x.Interval)).ToList(),
                string.Create(Ci, $"Accuracy of each of {ds.Raters.Count} raters on the pairwise answers under the Dawid-Skene model with 95% bootstrap intervals over items: median {F(Bootstrap.Quantile(accuracies, 0.5))}, lowest {F(accuracies[0])}, highest {F(accuracies[^1])}.")));

            var bins = answered.Select(r => new OrdinalLabel(PairItem(r), Rater(r.ParticipantId), OrdinalRaterModel.SliderCategory(r.Preference!.Value))).ToList();
            if (bins.Select(l => l.Category).Distinct().Count() < 2)
            {
                paragraphs.Add("Ordinal model of the pairwise sliders: every answer falls in one slider bin, so there is nothing to order.");
            }
            else
            {
                Ordinal(PairwiseSliders, "pairwise sliders (items are (pair, criterion); the oriented preference binned to 5 ordered categories: ≤ −0.5, (−0.5, 0), 0, (0, 0.5), ≥ 0.5)", bins,
                    k => OrdinalRaterModel.SliderCategories[k], item => pairItems[item]);
            }
        }

        // Likert ratings: cleaned as in the Likert section; items are (image, question), categories the values.
        var likertItems = new Dictionary<string, (string Item, string Criterion)>(StringComparer.Ordinal);
        if (input.Ratings.Count == 0)
        {
            paragraphs.Add("Likert ratings: the study has none, so there is no ordinal model of them.");
        }
        else
        {
            var kept = LikertCleaning.Run(input.Ratings).Kept;
            var likertKeys = new Dictionary<(string Image, string Question), string>();
            var ratings = kept.Select(r =>
            {
                if (!likertKeys.TryGetValue((r.Image, r.Question), out var key))
                {
                    key = $"{r.Image}/{r.Question}";
                    likertKeys[(r.Image, r.Question)] = key;
                    likertItems.TryAdd(key, (r.Image, r.Question));
                }

                return new OrdinalLabel(key, Rater(r.Participant), r.Value);
            }).ToList();
            if (TooLittle("Likert ratings", "ratings kept by cleaning", ratings.Select(l => (l.Item, l.Rater)).ToList(), ratings.Select(l => l.Category).Distinct().Count()) is { } why)
            {
                paragraphs.Add(why);
            }
            else
            {
                Ordinal(LikertRatings, "Likert ratings (items are (image, question); the ratings cleaning kept, categories the values)", ratings,
                    k => k.ToString(Ci), item => likertItems[item]);
            }
        }

        if (ordinalRows.Count > 0)
        {
            tables.Add(new ReportTable("rater_quality_ordinal", "Rater quality (ordinal model): per kind of answer and rater (pseudonym) the discrimination a (how strongly the rater's answers follow the items' locations; 0 = noise, below 0 = reversed) and the reliability a|a| / (a² + π²/3), each with a 95% Wald interval",
                ["answers", "rater", "labels", "discrimination", "se", "discrimination_lower", "discrimination_upper", "reliability", "reliability_lower", "reliability_upper"], ordinalRows));
            tables.Add(new ReportTable("item_location_ordinal", "Item location (ordinal model): per kind of answer and item (pair and criterion, or image and question) the location θ on the latent scale (the IRT difficulty: higher expects higher categories) with a 95% Wald interval, and the mean category as labelled",
                ["answers", "item", "criterion", "labels", "mean_category", "location", "se", "lower", "upper"], locationRows));
        }

        if (tables.Count > 0)
        {
            paragraphs.Add("The cleaning rule `rater-reliability` (docs/cleaning.md; not in the default set) can drop every answer of a rater whose reliability under either model (\"model\": \"dawid-skene\" or \"ordinal\") is below a threshold. These tables describe the answers the report analyses, so raters that rule dropped are not in them.");
        }

        return new ReportSection("rater-quality", heading, paragraphs, charts, tables);

        void Ordinal(string kind, string description, List<OrdinalLabel> labels, Func<int, string> categoryName, Func<string, (string Item, string Criterion)> item)
        {
            var fit = RaterQuality.AnalyzeOrdinal(labels);
            var reliabilities = fit.Raters.Select(x => x.Reliability).Order().ToArray();
            var noise = fit.Raters.Count(x => x.DiscriminationInterval.Contains(0));
            var reversed = fit.Raters.Count(x => x.DiscriminationInterval.Upper < 0);
            paragraphs.Add(string.Create(Ci, $"Ordinal rater model of the {description}: {fit.Raters.Count} raters, {fit.Items.Count:N0} items, {labels.Count:N0} labels in {fit.UsedCategories.Count} used categories ({string.Join(", ", fit.UsedCategories.Select(categoryName))}), thresholds {string.Join(", ", fit.Thresholds.Select(F))}; {(fit.Converged ? "converged" : "stopped without converging")} after {fit.Iterations} sweeps (largest gradient entry {fit.MaxGradient:0.##E+0}). Reliability median {F(Bootstrap.Quantile(reliabilities, 0.5))}, lowest {F(reliabilities[0])}; {noise} rater(s) whose discrimination interval covers 0 (indistinguishable from noise), {reversed} whose interval lies below 0 (reversed). Intervals: 95% Wald, from the inverse of the negative Hessian of the log posterior at the fit{(fit.ExactCovariance ? "" : " (many raters: each rater's own Schur-complemented entry, so the intervals are somewhat too narrow)")}."));
            foreach (var x in fit.Raters)
            {
                ordinalRows.Add([kind, names[x.Rater], x.Labels, x.Discrimination, x.StandardError, x.DiscriminationInterval.Lower, x.DiscriminationInterval.Upper, x.Reliability, x.ReliabilityInterval.Lower, x.ReliabilityInterval.Upper]);
            }

            foreach (var i in fit.Items)
            {
                var (it, criterion) = item(i.Item);
                locationRows.Add([kind, it, criterion, i.Labels, i.MeanCategory, i.Location, i.StandardError, i.Interval.Lower, i.Interval.Upper]);
            }

            charts.Add(RaterChart($"rater-quality-ordinal-{(kind == LikertRatings ? "likert" : "pairwise")}", $"Rater reliability (ordinal model, {kind})", "Reliability a|a| / (a² + π²/3)", [-1, 1],
                fit.Raters.Select(x => (names[x.Rater], x.Reliability, x.ReliabilityInterval)).ToList(),
                string.Create(Ci, $"Reliability of each of {fit.Raters.Count} raters on the {kind} under the ordinal rater model with 95% Wald intervals: median {F(Bootstrap.Quantile(reliabilities, 0.5))}, lowest {F(reliabilities[0])}, highest {F(reliabilities[^1])}; {noise} indistinguishable from noise, {reversed} reversed.")));
        }
    }

    // Null when a rater model can be fitted; otherwise a sentence naming what is missing.
    private static string? TooLittle(string what, string rows, List<(string Item, string Rater)> labels, int classes)
    {
        if (labels.Count == 0)
        {
            return $"{what}: the study has no {rows}, so no rater model is fitted.";
        }

        var raters = labels.Select(l => l.Rater).Distinct(StringComparer.Ordinal).Count();
        if (raters < 2)
        {
            return $"{what}: {rows} come from one rater only; a rater model needs at least two raters answering the same items.";
        }

        if (!labels.GroupBy(l => l.Item, StringComparer.Ordinal).Any(g => g.Select(l => l.Rater).Distinct(StringComparer.Ordinal).Skip(1).Any()))
        {
            return $"{what}: no item (pair and criterion, or image and question) was answered by two raters, so raters cannot be compared and no rater model is fitted.";
        }

        return classes < 2 ? $"{what}: every answer is in the same class, so there is nothing to tell raters apart by." : null;
    }

    private static ReportChart RaterChart(string id, string title, string axis, int[] domain, List<(string Rater, double Value, Interval Interval)> raters, string summary)
    {
        var values = new JsonArray([.. raters.Select(x => Obj(("rater", x.Rater), ("value", x.Value), ("lower", x.Interval.Lower), ("upper", x.Interval.Upper)))]);
        var spec = new JsonObject
        {
            ["description"] = title,
            ["data"] = new JsonObject { ["values"] = values },
            ["width"] = 420,
            ["layer"] = new JsonArray(
                new JsonObject { ["mark"] = "rule", ["encoding"] = new JsonObject { ["y"] = new JsonObject { ["field"] = "rater", ["type"] = "nominal", ["title"] = "Rater", ["sort"] = new JsonObject { ["field"] = "value", ["order"] = "descending" } }, ["x"] = new JsonObject { ["field"] = "lower", ["type"] = "quantitative", ["title"] = axis, ["scale"] = new JsonObject { ["domain"] = new JsonArray(domain[0], domain[1]) } }, ["x2"] = new JsonObject { ["field"] = "upper" } } },
                new JsonObject { ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["tooltip"] = true }, ["encoding"] = new JsonObject { ["y"] = new JsonObject { ["field"] = "rater", ["type"] = "nominal", ["sort"] = new JsonObject { ["field"] = "value", ["order"] = "descending" } }, ["x"] = Field("value", "quantitative", axis) } }),
        };
        return new ReportChart(id, title, summary, spec);
    }
}
