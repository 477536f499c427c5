using System.Globalization;
using MathNet.Numerics.Distributions;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Cleaning;

namespace Pluralist.Analysis.Agreement;

/// <summary>A rater's reliability under the Dawid-Skene model: accuracy with a bootstrap interval over items, and P(label = class | class) per class.</summary>
public sealed record RaterReliability(string Rater, int Labels, double Accuracy, Interval Interval, IReadOnlyList<double> Diagonal);

/// <summary>An item's class posterior, its most likely class and its difficulty (expected share of wrong labels) with a bootstrap interval over raters.</summary>
public sealed record ItemQuality(string Item, int Labels, IReadOnlyList<double> Posterior, string MostLikely, double Difficulty, Interval Interval);

/// <summary>The Dawid-Skene fit of one kind of answer, with per-rater and per-item bootstrap intervals.</summary>
public sealed record RaterQualityReport(IReadOnlyList<string> Classes, IReadOnlyList<RaterReliability> Raters, IReadOnlyList<ItemQuality> Items, double LogLikelihood, int Iterations, bool Converged, int Replicates);

/// <summary>A rater under the ordinal model: discrimination a_j and reliability a|a| / (a² + π²/3), each with a Wald interval.</summary>
public sealed record OrdinalRater(string Rater, int Labels, double Discrimination, double StandardError, Interval DiscriminationInterval, double Reliability, Interval ReliabilityInterval);

/// <summary>An item under the ordinal model: its location θ_i (the IRT difficulty) with a Wald interval, and its mean category as labelled.</summary>
public sealed record OrdinalItem(string Item, int Labels, double MeanCategory, double Location, double StandardError, Interval Interval);

/// <summary>The ordinal rater model of one kind of answer.</summary>
public sealed record OrdinalQualityReport(IReadOnlyList<int> UsedCategories, IReadOnlyList<double> Thresholds, IReadOnlyList<OrdinalRater> Raters, IReadOnlyList<OrdinalItem> Items,
    double LogLikelihood, int Iterations, bool Converged, double MaxGradient, bool ExactCovariance);

/// <summary>
/// Rater quality with intervals. Dawid-Skene (<see cref="DawidSkene"/>): each rater's accuracy Σ_k π_k θ_kk with a percentile
/// bootstrap over items (a replicate draws as many items as there are, with replacement, each draw keeping all its labels and
/// counted as a new item, and refits), and each item's difficulty with a percentile bootstrap over raters (a replicate draws as
/// many raters as there are, each draw keeping all their labels and counted as a new rater, and refits; an item none of the
/// drawn raters labelled gives no value). Each refit starts from the full fit's item posteriors. A rater or item absent from a replicate gives no value in it. Replicates run in
/// parallel with per-replicate seeds, so results do not depend on the thread count. Ordinal model (<see cref="OrdinalRaterModel"/>):
/// Wald intervals estimate ± z·SE, the reliability's the transform of the discrimination's (the transform is monotone).
/// </summary>
public static class RaterQuality
{
    /// <summary>Iterations of the refits in a bootstrap replicate at most.</summary>
    public const int ReplicateIterations = 200;

    /// <summary>A refit stops when the log-likelihood changes by less than this times the number of labels.</summary>
    public const double ReplicateTolerance = 1e-7;

    public static RaterQualityReport Analyze(IReadOnlyList<CategoricalLabel> labels, IReadOnlyList<string> classes, int replicates, int seed, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classes);
        replicates = Math.Max(0, replicates);
        var fit = DawidSkene.Fit(labels, classes);
        var k = classes.Count;
        var byItem = labels.GroupBy(l => l.Item, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();
        var byRater = labels.GroupBy(l => l.Rater, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();
        var raterIndex = fit.Raters.Select((r, i) => (r, i)).ToDictionary(t => t.r, t => t.i, StringComparer.Ordinal);
        var itemIndex = fit.Items.Select((r, i) => (r, i)).ToDictionary(t => t.r, t => t.i, StringComparer.Ordinal);
        var posterior = fit.Items.Select((item, i) => (item, i)).ToDictionary(t => t.item, t => fit.Posterior[t.i], StringComparer.Ordinal);
        var raterDraws = Draws(replicates, fit.Raters.Count);
        var itemDraws = Draws(replicates, fit.Items.Count);
        Parallel.For(0, replicates, b =>
        {
            // Over items: rater accuracy.
            var rng = new Random(Seeds.For(seed, b));
            var sample = new List<CategoricalLabel>(labels.Count);
            var start = new Dictionary<string, double[]>(StringComparer.Ordinal);
            for (var i = 0; i < byItem.Length; i++)
            {
                var id = i.ToString(CultureInfo.InvariantCulture);
                var drawn = byItem[rng.Next(byItem.Length)];
                start[id] = posterior[drawn[0].Item];
                sample.AddRange(drawn.Select(l => l with { Item = id }));
            }

            var f = DawidSkene.Fit(sample, classes, maxIterations: ReplicateIterations, tolerance: ReplicateTolerance * labels.Count, start: start);
            for (var j = 0; j < f.Raters.Count; j++)
            {
                raterDraws[b][raterIndex[f.Raters[j]]] = f.Accuracy[j];
            }

            // Over raters: item difficulty (an item labelled by several draws of one rater counts each draw).
            rng = new Random(Seeds.For(seed, replicates + b));
            sample.Clear();
            for (var j = 0; j < byRater.Length; j++)
            {
                var id = j.ToString(CultureInfo.InvariantCulture);
                sample.AddRange(byRater[rng.Next(byRater.Length)].Select(l => l with { Rater = id }));
            }

            f = DawidSkene.Fit(sample, classes, maxIterations: ReplicateIterations, tolerance: ReplicateTolerance * labels.Count, start: posterior);
            for (var i = 0; i < f.Items.Count; i++)
            {
                itemDraws[b][itemIndex[f.Items[i]]] = f.Difficulty[i];
            }
        });

        var raters = new List<RaterReliability>();
        for (var j = 0; j < fit.Raters.Count; j++)
        {
            var interval = replicates > 0 ? Bootstrap.Percentile(raterDraws.Select(d => d[j]), level) : Interval.Undefined;
            raters.Add(new RaterReliability(fit.Raters[j], fit.RaterLabels[j], fit.Accuracy[j], interval, [.. Enumerable.Range(0, k).Select(c => fit.ConfusionAt(j, c, c))]));
        }

        var items = new List<ItemQuality>();
        for (var i = 0; i < fit.Items.Count; i++)
        {
            var post = fit.Posterior[i];
            var best = Enumerable.Range(0, k).MaxBy(c => post[c]);
            var interval = replicates > 0 ? Bootstrap.Percentile(itemDraws.Select(d => d[i]), level) : Interval.Undefined;
            items.Add(new ItemQuality(fit.Items[i], fit.ItemLabels[i], post, classes[best], fit.Difficulty[i], interval));
        }

        return new RaterQualityReport(classes, raters, items, fit.LogLikelihood, fit.Iterations, fit.Converged, replicates);
    }

    /// <summary>The ordinal rater model (<see cref="OrdinalRaterModel"/>) with Wald intervals at <paramref name="level"/>.</summary>
    public static OrdinalQualityReport AnalyzeOrdinal(IReadOnlyList<OrdinalLabel> labels, double level = 0.95, int maxIterations = 2000)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var fit = OrdinalRaterModel.Fit(labels, maxIterations);
        var z = Normal.InvCDF(0, 1, 1 - ((1 - level) / 2));
        var raters = new List<OrdinalRater>();
        for (var j = 0; j < fit.Raters.Count; j++)
        {
            var (a, se) = (fit.Discrimination[j], fit.DiscriminationSe[j]);
            var ci = double.IsFinite(se) ? new Interval(a - (z * se), a + (z * se)) : Interval.Undefined;
            raters.Add(new OrdinalRater(fit.Raters[j], fit.RaterLabels[j], a, se, ci, OrdinalRaterModel.Reliability(a),
                new Interval(OrdinalRaterModel.Reliability(ci.Lower), OrdinalRaterModel.Reliability(ci.Upper))));
        }

        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var l in labels)
        {
            sums[l.Item] = sums.GetValueOrDefault(l.Item) + l.Category;
        }

        var items = new List<OrdinalItem>();
        for (var i = 0; i < fit.Items.Count; i++)
        {
            var (t, se) = (fit.Location[i], fit.LocationSe[i]);
            items.Add(new OrdinalItem(fit.Items[i], fit.ItemLabels[i], sums[fit.Items[i]] / fit.ItemLabels[i], t, se, new Interval(t - (z * se), t + (z * se))));
        }

        return new OrdinalQualityReport(fit.UsedCategories, fit.Thresholds, raters, items, fit.LogLikelihood, fit.Iterations, fit.Converged, fit.MaxGradient, fit.ExactCovariance);
    }

    private static double[][] Draws(int replicates, int count) =>
        [.. Enumerable.Range(0, replicates).Select(_ => Enumerable.Repeat(double.NaN, count).ToArray())];
}
