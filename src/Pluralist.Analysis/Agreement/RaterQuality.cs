using System.Runtime.CompilerServices;
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

    public static RaterQualityReport Analyze(IReadOnlyList<CategoricalLabel> labels, IReadOnlyList<string> classes, int replicates, int seed, double level = 0.95, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classes);
        replicates = Math.Max(0, replicates);
        var fit = DawidSkene.Fit(labels, classes);
        var k = classes.Count;
        var itemIndex = fit.Items.Select((r, i) => (r, i)).ToDictionary(t => t.r, t => t.i, StringComparer.Ordinal);
        var raterIndex = fit.Raters.Select((r, i) => (r, i)).ToDictionary(t => t.r, t => t.i, StringComparer.Ordinal);
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        var coded = new Coded(labels.Select(l => (itemIndex[l.Item], raterIndex[l.Rater], classIndex[l.Class])).ToArray(), fit.Items.Count, fit.Raters.Count);
        var posterior = new double[fit.Items.Count * k];
        for (var i = 0; i < fit.Items.Count; i++)
        {
            fit.Posterior[i].CopyTo(posterior, i * k);
        }

        var raterDraws = Draws(replicates, fit.Raters.Count);
        var itemDraws = Draws(replicates, fit.Items.Count);
        var tolerance = ReplicateTolerance * labels.Count;
        Parallel.For(0, replicates, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, () => new Replicate(coded, k), (b, _, work) =>
        {
            work.OverItems(coded, posterior, new Random(Seeds.For(seed, b)), tolerance, raterDraws[b]);
            work.OverRaters(coded, posterior, new Random(Seeds.For(seed, replicates + b)), tolerance, itemDraws[b]);
            return work;
        }, _ => { });

        var raters = new List<RaterReliability>();
        var column = new double[replicates];
        for (var j = 0; j < fit.Raters.Count; j++)
        {
            var interval = replicates > 0 ? Bootstrap.PercentileInPlace(Column(raterDraws, j, column), level) : Interval.Undefined;
            raters.Add(new RaterReliability(fit.Raters[j], fit.RaterLabels[j], fit.Accuracy[j], interval, [.. Enumerable.Range(0, k).Select(c => fit.ConfusionAt(j, c, c))]));
        }

        var items = new List<ItemQuality>();
        for (var i = 0; i < fit.Items.Count; i++)
        {
            var post = fit.Posterior[i];
            var best = Enumerable.Range(0, k).MaxBy(c => post[c]);
            var interval = replicates > 0 ? Bootstrap.PercentileInPlace(Column(itemDraws, i, column), level) : Interval.Undefined;
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

    // Entry x of every replicate, in replicate order.
    private static Span<double> Column(double[][] draws, int x, double[] column)
    {
        for (var b = 0; b < draws.Length; b++)
        {
            column[b] = draws[b][x];
        }

        return column;
    }

    private static double[][] Draws(int replicates, int count) =>
        [.. Enumerable.Range(0, replicates).Select(_ => Enumerable.Repeat(double.NaN, count).ToArray())];

    /// <summary>The labels as integers (items and raters numbered as in the full fit), grouped by item and by rater, each in label order.</summary>
    private sealed class Coded
    {
        public Coded((int Item, int Rater, int Class)[] labels, int items, int raters)
        {
            Items = items;
            Raters = raters;
            ItemStart = Offsets(labels, items, l => l.Item);
            RaterStart = Offsets(labels, raters, l => l.Rater);
            ItemRater = new int[labels.Length];
            ItemClass = new int[labels.Length];
            RaterItem = new int[labels.Length];
            RaterClass = new int[labels.Length];
            var atItem = ItemStart[..^1];
            var atRater = RaterStart[..^1];
            foreach (var (i, j, c) in labels)
            {
                (ItemRater[atItem[i]], ItemClass[atItem[i]]) = (j, c);
                atItem[i]++;
                (RaterItem[atRater[j]], RaterClass[atRater[j]]) = (i, c);
                atRater[j]++;
            }
        }

        public int Items { get; }

        public int Raters { get; }

        public int Labels => ItemRater.Length;

        // Item i's labels: ItemRater / ItemClass [ItemStart[i], ItemStart[i + 1]); rater j's: RaterItem / RaterClass [RaterStart[j], RaterStart[j + 1]).
        public int[] ItemStart { get; }

        public int[] ItemRater { get; }

        public int[] ItemClass { get; }

        public int[] RaterStart { get; }

        public int[] RaterItem { get; }

        public int[] RaterClass { get; }

        private static int[] Offsets((int Item, int Rater, int Class)[] labels, int count, Func<(int Item, int Rater, int Class), int> key)
        {
            var start = new int[count + 1];
            foreach (var l in labels)
            {
                start[key(l) + 1]++;
            }

            for (var x = 0; x < count; x++)
            {
                start[x + 1] += start[x];
            }

            return start;
        }
    }

    /// <summary>
    /// One thread's arrays for the replicates. A replicate's sample is laid out as <see cref="DawidSkene.Fit"/> would code the
    /// relabelled sample (items in order of first appearance, each item's labels in sample order), so a refit gives the bits
    /// a refit of the relabelled <see cref="CategoricalLabel"/>s gives.
    /// </summary>
    private sealed class Replicate(Coded coded, int k)
    {
        private readonly int[] _start = new int[Math.Max(coded.Items, 1) + 1];
        private readonly int[] _draws = new int[Math.Max(coded.Items, coded.Raters)];
        private int[] _rater = new int[coded.Labels];
        private int[] _class = new int[coded.Labels];
        private int[] _item = new int[coded.Labels];
        private int[] _groupedRater = new int[coded.Labels];
        private int[] _groupedClass = new int[coded.Labels];
        private readonly int[] _origin = new int[coded.Items];
        private readonly int[] _slot = new int[coded.Items];
        private readonly int[] _count = new int[coded.Items];
        private readonly int[] _firstDraw = new int[coded.Items];
        private readonly int[] _sameAs = new int[coded.Items];
        private readonly double[] _posterior = new double[coded.Items * k];
        private readonly bool[] _present = new bool[coded.Raters];
        private readonly DawidSkeneWorkspace _work = new(k, coded.Raters);

        /// <summary>Draws as many items as there are (each with all its labels, a new item per draw), refits, and writes each present rater's accuracy.</summary>
        // Hot loops of a one-shot report process: compiled optimised at the first call rather than at tier 0 (HotKernelCompilationTests).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OverItems(Coded c, double[] posterior, Random rng, double tolerance, double[] accuracy)
        {
            Array.Clear(_present);
            var total = 0;
            for (var i = 0; i < c.Items; i++)
            {
                _draws[i] = rng.Next(c.Items);
                total += c.ItemStart[_draws[i] + 1] - c.ItemStart[_draws[i]];
            }

            Grow(total);
            var n = 0;
            _start[0] = 0;
            Array.Fill(_firstDraw, -1);
            for (var i = 0; i < c.Items; i++)
            {
                var drawn = _draws[i];

                // An item drawn again is a repeat of its first draw: the same labels and start (the EM reuses its values).
                _sameAs[i] = _firstDraw[drawn];
                if (_firstDraw[drawn] < 0)
                {
                    _firstDraw[drawn] = i;
                }

                for (var a = c.ItemStart[drawn]; a < c.ItemStart[drawn + 1]; a++)
                {
                    _rater[n] = c.ItemRater[a];
                    _class[n] = c.ItemClass[a];
                    _present[c.ItemRater[a]] = true;
                    n++;
                }

                _start[i + 1] = n;
                Array.Copy(posterior, drawn * k, _posterior, i * k, k);
            }

            DawidSkene.FitCoded(k, c.Raters, _start.AsSpan(0, c.Items + 1), _rater.AsSpan(0, n), _class.AsSpan(0, n), _posterior.AsSpan(0, c.Items * k), _work,
                maxIterations: ReplicateIterations, tolerance: tolerance, sameItemAs: _sameAs.AsSpan(0, c.Items));
            for (var j = 0; j < c.Raters; j++)
            {
                if (_present[j])
                {
                    accuracy[j] = Accuracy(j);
                }
            }
        }

        /// <summary>Draws as many raters as there are (each with all their labels, a new rater per draw), refits, and writes each present item's difficulty.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OverRaters(Coded c, double[] posterior, Random rng, double tolerance, double[] difficulty)
        {
            // The sample in draw order: (item, drawn position, class); items numbered by first appearance.
            Array.Fill(_slot, -1);
            Array.Clear(_count);
            var total = 0;
            for (var j = 0; j < c.Raters; j++)
            {
                _draws[j] = rng.Next(c.Raters);
                total += c.RaterStart[_draws[j] + 1] - c.RaterStart[_draws[j]];
            }

            Grow(total);
            var n = 0;
            var items = 0;
            for (var j = 0; j < c.Raters; j++)
            {
                var drawn = _draws[j];
                for (var a = c.RaterStart[drawn]; a < c.RaterStart[drawn + 1]; a++)
                {
                    var item = c.RaterItem[a];
                    if (_slot[item] < 0)
                    {
                        _slot[item] = items;
                        _origin[items] = item;
                        items++;
                    }

                    _count[_slot[item]]++;
                    _item[n] = item;
                    _class[n] = c.RaterClass[a];
                    _rater[n] = j; // parked here, moved below
                    n++;
                }
            }

            if (items == 0)
            {
                return;
            }

            // Group by item (stable): offsets, then place each label; _posterior and _start describe the refit's items.
            _start[0] = 0;
            for (var i = 0; i < items; i++)
            {
                _start[i + 1] = _start[i] + _count[i];
                _count[i] = _start[i];
                Array.Copy(posterior, _origin[i] * k, _posterior, i * k, k);
            }

            var rater = _groupedRater;
            var cls = _groupedClass;
            for (var a = 0; a < n; a++)
            {
                var at = _count[_slot[_item[a]]]++;
                rater[at] = _rater[a];
                cls[at] = _class[a];
            }

            DawidSkene.FitCoded(k, c.Raters, _start.AsSpan(0, items + 1), rater.AsSpan(0, n), cls.AsSpan(0, n), _posterior.AsSpan(0, items * k), _work,
                maxIterations: ReplicateIterations, tolerance: tolerance);
            for (var i = 0; i < items; i++)
            {
                var right = 0.0;
                for (var a = _start[i]; a < _start[i + 1]; a++)
                {
                    right += _posterior[(i * k) + cls[a]];
                }

                difficulty[_origin[i]] = 1 - (right / (_start[i + 1] - _start[i]));
            }
        }

        // A replicate can hold more labels than the data (large items or raters drawn often).
        private void Grow(int labels)
        {
            if (_rater.Length < labels)
            {
                _rater = new int[labels];
                _class = new int[labels];
                _item = new int[labels];
                _groupedRater = new int[labels];
                _groupedClass = new int[labels];
            }
        }

        // Σ_t π_t θ_j[t, t], as DawidSkeneFit.Accuracy sums it.
        private double Accuracy(int j)
        {
            var sum = 0.0;
            for (var t = 0; t < k; t++)
            {
                sum += _work.Priors[t] * _work.Theta[(j * k * k) + (t * k) + t];
            }

            return sum;
        }
    }
}
