using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pluralist.Core.Cleaning;

/// <summary>One categorical label: a rater put an item in a class.</summary>
public readonly record struct CategoricalLabel(string Item, string Rater, string Class);

/// <summary>
/// A fitted Dawid-Skene model: class priors, one confusion matrix per rater (row = true class, column = label given),
/// each item's posterior over the true classes, each rater's accuracy and each item's difficulty.
/// </summary>
public sealed class DawidSkeneFit
{
    internal DawidSkeneFit(string[] classes, string[] raters, string[] items, double[] priors, double[][] confusion, double[][] posterior, int[] raterLabels, int[] itemLabels, double[] difficulty, double logLikelihood, int iterations, bool converged)
    {
        Classes = classes;
        Raters = raters;
        Items = items;
        Priors = priors;
        Confusion = confusion;
        Posterior = posterior;
        RaterLabels = raterLabels;
        ItemLabels = itemLabels;
        Difficulty = difficulty;
        LogLikelihood = logLikelihood;
        Iterations = iterations;
        Converged = converged;
        var k = classes.Length;
        Accuracy = [.. confusion.Select(c => Enumerable.Range(0, k).Sum(t => priors[t] * c[(t * k) + t]))];
    }

    public IReadOnlyList<string> Classes { get; }

    public IReadOnlyList<string> Raters { get; }

    public IReadOnlyList<string> Items { get; }

    /// <summary>P(true class = k).</summary>
    public IReadOnlyList<double> Priors { get; }

    /// <summary>Per rater, the K × K confusion matrix row-major: [t·K + l] = P(label l | true class t).</summary>
    public IReadOnlyList<double[]> Confusion { get; }

    /// <summary>Per item, P(true class = k | labels).</summary>
    public IReadOnlyList<double[]> Posterior { get; }

    /// <summary>Per rater, the labels they gave.</summary>
    public IReadOnlyList<int> RaterLabels { get; }

    /// <summary>Per item, the labels it received.</summary>
    public IReadOnlyList<int> ItemLabels { get; }

    /// <summary>Per rater, Σ_k π_k θ_kk: the probability that their label on a random item is its true class.</summary>
    public IReadOnlyList<double> Accuracy { get; }

    /// <summary>Per item, 1 − (1/n) Σ over its labels of P(true class = label): the expected share of its labels that are wrong.</summary>
    public IReadOnlyList<double> Difficulty { get; }

    public double LogLikelihood { get; }

    public int Iterations { get; }

    public bool Converged { get; }

    /// <summary>P(label l | true class t) of rater r.</summary>
    public double ConfusionAt(int rater, int trueClass, int label) => Confusion[rater][(trueClass * Classes.Count) + label];
}

/// <summary>
/// Dawid and Skene (1979): a latent-class model of raters. Each item has an unknown true class with prior π; each rater
/// labels it according to their own confusion matrix θ_j (P(label l | class k)), independently given the class. EM:
/// the E-step gives each item's posterior T_ik ∝ π_k Π_{labels (j, l) of i} θ_j[k, l] (in log space); the M-step sets
/// π_k = Σ_i T_ik / I and θ_j[k, l] = (Σ_{i labelled l by j} T_ik + s) / (Σ_{i labelled by j} T_ik + K s), with a small
/// additive smoothing s (default 0.01) that keeps a rater who never used a class from getting a zero. Start: each item's
/// share of votes per class (majority voting, soft), so the classes keep their meaning (no label switching). Stops when
/// the log-likelihood changes by less than the tolerance. <c>start</c> can give some items' starting posterior instead (a
/// bootstrap refit starts from the full fit's posteriors and converges in a few iterations).
/// </summary>
public static class DawidSkene
{
    public static DawidSkeneFit Fit(IEnumerable<CategoricalLabel> labels, IReadOnlyList<string>? classOrder = null, double smoothing = 0.01, int maxIterations = 500, double tolerance = 1e-9, IReadOnlyDictionary<string, double[]>? start = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var list = labels.ToList();
        var classes = (classOrder ?? list.Select(l => l.Class).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()).ToArray();
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        var raterIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var obs = new List<(int Item, int Rater, int Class)>(list.Count);
        foreach (var l in list)
        {
            if (!classIndex.TryGetValue(l.Class, out var c))
            {
                throw new ArgumentException($"label '{l.Class}' of item '{l.Item}' is not one of the classes {string.Join(", ", classes)}", nameof(labels));
            }

            if (!itemIndex.TryGetValue(l.Item, out var i))
            {
                i = itemIndex.Count;
                itemIndex[l.Item] = i;
            }

            if (!raterIndex.TryGetValue(l.Rater, out var j))
            {
                j = raterIndex.Count;
                raterIndex[l.Rater] = j;
            }

            obs.Add((i, j, c));
        }

        var k = classes.Length;
        var items = itemIndex.Count;
        var raters = raterIndex.Count;
        var byItem = obs.GroupBy(o => o.Item).OrderBy(g => g.Key).Select(g => g.Select(o => (o.Rater, o.Class)).ToArray()).ToArray();
        if (items == 0 || k == 0)
        {
            throw new ArgumentException("Dawid-Skene needs at least one label", nameof(labels));
        }

        // Start from the vote shares (or the given posterior).
        var itemNames = itemIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        var t = new double[items][];
        for (var i = 0; i < items; i++)
        {
            if (start is not null && start.TryGetValue(itemNames[i], out var given) && given.Length == k)
            {
                t[i] = (double[])given.Clone();
                continue;
            }

            t[i] = new double[k];
            foreach (var (_, c) in byItem[i])
            {
                t[i][c] += 1.0 / byItem[i].Length;
            }
        }

        var labelStart = new int[items + 1];
        var labelRater = new int[obs.Count];
        var labelClass = new int[obs.Count];
        var posterior = new double[items * k];
        for (var i = 0; i < items; i++)
        {
            labelStart[i + 1] = labelStart[i] + byItem[i].Length;
            for (var a = 0; a < byItem[i].Length; a++)
            {
                (labelRater[labelStart[i] + a], labelClass[labelStart[i] + a]) = byItem[i][a];
            }

            t[i].CopyTo(posterior, i * k);
        }

        var work = new DawidSkeneWorkspace(k, raters);
        var (logLik, iterations, converged) = FitCoded(k, raters, labelStart, labelRater, labelClass, posterior, work, smoothing, maxIterations, tolerance);
        var priors = work.Priors[..k];
        var theta = new double[raters][];
        for (var j = 0; j < raters; j++)
        {
            theta[j] = work.Theta[(j * k * k)..((j + 1) * k * k)];
        }

        for (var i = 0; i < items; i++)
        {
            t[i] = posterior[(i * k)..((i + 1) * k)];
        }

        var raterLabels = new int[raters];
        var itemLabels = new int[items];
        var difficulty = new double[items];
        for (var i = 0; i < items; i++)
        {
            itemLabels[i] = byItem[i].Length;
            var right = 0.0;
            foreach (var (j, l) in byItem[i])
            {
                raterLabels[j]++;
                right += t[i][l];
            }

            difficulty[i] = 1 - (right / byItem[i].Length);
        }

        return new DawidSkeneFit(classes, [.. raterIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key)], itemNames,
            priors, theta, t, raterLabels, itemLabels, difficulty, logLik, iterations, converged);
    }

    /// <summary>
    /// EM on labels coded as integers and grouped by item (item i's labels are the entries <paramref name="labelStart"/>[i] to
    /// <paramref name="labelStart"/>[i + 1] − 1 of <paramref name="labelRater"/> and <paramref name="labelClass"/>), in flat
    /// arrays: what <see cref="Fit"/> runs after coding its labels, and what a bootstrap replicate runs without building
    /// strings. <paramref name="posterior"/> (items × K, row-major) holds each item's starting posterior and receives the
    /// fitted one; the priors and the confusion matrices (rater-major, [j·K² + t·K + l]) are left in <paramref name="work"/>.
    /// The arithmetic is that of the model's description, in item order and each item's label order, so the same labels in
    /// the same order give the same bits. Three classes run a path with the class loops written out (the same additions in the
    /// same order); <paramref name="anyClassCount"/> runs the loops instead (a test compares the two). <paramref name="sameItemAs"/>
    /// (empty, or one entry per item) can name, for an item, an earlier first occurrence with the same labels in the same order
    /// and the same starting posterior (a bootstrap draw of an item drawn before; negative otherwise): the three-class path then
    /// takes that item's values in each E-step instead of computing them again (the same bits); it is checked once per fit.
    /// </summary>
    public static (double LogLikelihood, int Iterations, bool Converged) FitCoded(int classes, int raters, ReadOnlySpan<int> labelStart, ReadOnlySpan<int> labelRater, ReadOnlySpan<int> labelClass,
        Span<double> posterior, DawidSkeneWorkspace work, double smoothing = 0.01, int maxIterations = 500, double tolerance = 1e-9, bool anyClassCount = false,
        ReadOnlySpan<int> sameItemAs = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var k = classes;
        var items = labelStart.Length - 1;
        if (items <= 0 || k <= 0)
        {
            throw new ArgumentException("Dawid-Skene needs at least one label", nameof(labelStart));
        }

        if (posterior.Length < items * k)
        {
            throw new ArgumentException($"the posterior holds {posterior.Length} values; {items} items of {k} classes need {items * k}", nameof(posterior));
        }

        if (!sameItemAs.IsEmpty)
        {
            CheckRepeats(k, labelStart, labelRater, labelClass, posterior, sameItemAs);
        }

        work.Ensure(k, raters);
        return k == 3 && !anyClassCount
            ? FitThree(raters, labelStart, labelRater, labelClass, posterior, work, smoothing, maxIterations, tolerance, sameItemAs)
            : FitLoop(k, raters, labelStart, labelRater, labelClass, posterior, work, smoothing, maxIterations, tolerance);
    }

    // sameItemAs[i] names an earlier item with the same labels in the same order and the same starting posterior (or is
    // negative); anything else would give wrong posteriors silently, so it is checked once per fit.
    private static void CheckRepeats(int k, ReadOnlySpan<int> labelStart, ReadOnlySpan<int> labelRater, ReadOnlySpan<int> labelClass, ReadOnlySpan<double> posterior, ReadOnlySpan<int> sameItemAs)
    {
        var items = labelStart.Length - 1;
        if (sameItemAs.Length != items)
        {
            throw new ArgumentException($"sameItemAs has {sameItemAs.Length} entries for {items} items", nameof(sameItemAs));
        }

        for (var i = 0; i < items; i++)
        {
            var first = sameItemAs[i];
            if (first < 0)
            {
                continue;
            }

            var n = labelStart[i + 1] - labelStart[i];
            if (first >= i || sameItemAs[first] >= 0 || labelStart[first + 1] - labelStart[first] != n
                || !labelRater.Slice(labelStart[i], n).SequenceEqual(labelRater.Slice(labelStart[first], n))
                || !labelClass.Slice(labelStart[i], n).SequenceEqual(labelClass.Slice(labelStart[first], n))
                || !posterior.Slice(i * k, k).SequenceEqual(posterior.Slice(first * k, k)))
            {
                throw new ArgumentException($"item {i} is given as a repeat of item {first}, which is not an earlier first occurrence with the same labels and starting posterior", nameof(sameItemAs));
            }
        }
    }

    // FitCoded with loops over the classes, for any number of them.
    // Hot loops of a one-shot report process: compiled optimised at the first call rather than at tier 0 (HotKernelCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double LogLikelihood, int Iterations, bool Converged) FitLoop(int k, int raters, ReadOnlySpan<int> labelStart, ReadOnlySpan<int> labelRater, ReadOnlySpan<int> labelClass,
        Span<double> posterior, DawidSkeneWorkspace work, double smoothing, int maxIterations, double tolerance)
    {
        var kk = k * k;
        var items = labelStart.Length - 1;
        var priors = work.Priors.AsSpan(0, k);
        var theta = work.Theta.AsSpan(0, raters * kk);
        var logTheta = work.LogTheta.AsSpan(0, raters * kk);
        var logPriors = work.LogPriors.AsSpan(0, k);
        var logp = work.LogP.AsSpan(0, k);
        var e = work.Exp.AsSpan(0, k);
        var logLik = double.NegativeInfinity;
        var iterations = 0;
        var converged = false;
        while (iterations < maxIterations)
        {
            iterations++;

            // M-step.
            priors.Clear();
            theta.Clear();
            for (var i = 0; i < items; i++)
            {
                var t = posterior.Slice(i * k, k);
                for (var c = 0; c < k; c++)
                {
                    priors[c] += t[c];
                }

                for (var a = labelStart[i]; a < labelStart[i + 1]; a++)
                {
                    var cell = theta.Slice((labelRater[a] * kk) + labelClass[a]);
                    for (var c = 0; c < k; c++)
                    {
                        cell[c * k] += t[c];
                    }
                }
            }

            for (var c = 0; c < k; c++)
            {
                priors[c] = Math.Max(priors[c] / items, 1e-12);
            }

            for (var r = 0; r < raters * k; r++)
            {
                var row = theta.Slice(r * k, k);
                var sum = 0.0;
                for (var l = 0; l < k; l++)
                {
                    sum += row[l];
                }

                for (var l = 0; l < k; l++)
                {
                    row[l] = (row[l] + smoothing) / (sum + (k * smoothing));
                }
            }

            // E-step (logs taken once per iteration).
            for (var c = 0; c < k; c++)
            {
                logPriors[c] = Math.Log(priors[c]);
            }

            for (var x = 0; x < raters * kk; x++)
            {
                logTheta[x] = Math.Log(theta[x]);
            }

            var next = 0.0;
            for (var i = 0; i < items; i++)
            {
                logPriors.CopyTo(logp);
                for (var a = labelStart[i]; a < labelStart[i + 1]; a++)
                {
                    var cell = logTheta.Slice((labelRater[a] * kk) + labelClass[a]);
                    for (var c = 0; c < k; c++)
                    {
                        logp[c] += cell[c * k];
                    }
                }

                var max = logp[0];
                for (var c = 1; c < k; c++)
                {
                    if (logp[c] > max)
                    {
                        max = logp[c];
                    }
                }

                var z = 0.0;
                for (var c = 0; c < k; c++)
                {
                    e[c] = Math.Exp(logp[c] - max);
                    z += e[c];
                }

                var t = posterior.Slice(i * k, k);
                for (var c = 0; c < k; c++)
                {
                    t[c] = e[c] / z;
                }

                next += max + Math.Log(z);
            }

            var change = Math.Abs(next - logLik);
            logLik = next;
            if (change < tolerance)
            {
                converged = true;
                break;
            }
        }

        return (logLik, iterations, converged);
    }

    // FitCoded for three classes (the sign of a slider answer), with the class loops written out: the same additions in the
    // same order, so the same bits as the loop over classes (DawidSkeneTests compares the two). The confusion matrices are held
    // transposed and padded for the loops over labels: rater j's label l is the vector [(3j + l)·4, +4) over the true classes
    // (the fourth lane unused), so a label's three additions (one per true class) are one vector addition; each lane adds the
    // same values in the same order as the scalar loop did, which IEEE arithmetic makes the same bits lane by lane.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double LogLikelihood, int Iterations, bool Converged) FitThree(int raters, ReadOnlySpan<int> labelStart, ReadOnlySpan<int> labelRater, ReadOnlySpan<int> labelClass,
        Span<double> posterior, DawidSkeneWorkspace work, double smoothing, int maxIterations, double tolerance, ReadOnlySpan<int> sameItemAs)
    {
        const int k = 3;
        var items = labelStart.Length - 1;
        var labels = labelStart[items];
        var priors = work.Priors;
        work.EnsureThree(raters, labels, items);
        var term = work.ItemTerm.AsSpan(0, items);
        var repeats = !sameItemAs.IsEmpty;
        var theta = work.ThetaByLabel.AsSpan(0, raters * 12);
        var logTheta = work.LogThetaByLabel.AsSpan(0, raters * 12);
        var cells = work.Cells.AsSpan(0, labels);
        // The loops below read through references, so the offsets are checked here: item i's labels must lie in
        // [labelStart[0], labelStart[items]), each rater and class in range.
        for (var i = 0; i < items; i++)
        {
            if (labelStart[i] < 0 || labelStart[i + 1] < labelStart[i])
            {
                throw new ArgumentException($"item {i}'s labels start at {labelStart[i]} and end at {labelStart[i + 1]}: the starts must be non-negative and non-decreasing", nameof(labelStart));
            }
        }

        if (labelRater.Length < labels || labelClass.Length < labels)
        {
            throw new ArgumentException($"{labels} labels need as many raters and classes; there are {labelRater.Length} and {labelClass.Length}", nameof(labelRater));
        }

        for (var a = labelStart[0]; a < labels; a++)
        {
            if ((uint)labelRater[a] >= (uint)raters || (uint)labelClass[a] >= k)
            {
                throw new ArgumentException($"label {a} has rater {labelRater[a]} and class {labelClass[a]}; there are {raters} raters and {k} classes", nameof(labelRater));
            }

            cells[a] = ((labelRater[a] * 3) + labelClass[a]) * 4;
        }

        ref var thetaAt = ref MemoryMarshal.GetReference(theta);
        ref var logThetaAt = ref MemoryMarshal.GetReference(logTheta);
        ref var cellAt = ref MemoryMarshal.GetReference(cells); // every cells[a] is checked by the loop above
        var logLik = double.NegativeInfinity;
        var iterations = 0;
        var converged = false;
        while (iterations < maxIterations)
        {
            iterations++;

            // M-step.
            double p0 = 0, p1 = 0, p2 = 0;
            theta.Clear();
            for (var i = 0; i < items; i++)
            {
                var t0 = posterior[i * 3];
                var t1 = posterior[(i * 3) + 1];
                var t2 = posterior[(i * 3) + 2];
                p0 += t0;
                p1 += t1;
                p2 += t2;
                var t = Vector256.Create(t0, t1, t2, 0.0);
                for (var a = labelStart[i]; a < labelStart[i + 1]; a++)
                {
                    ref var cell = ref Unsafe.Add(ref thetaAt, Unsafe.Add(ref cellAt, a));
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref cell) + t, ref cell);
                }
            }

            priors[0] = Math.Max(p0 / items, 1e-12);
            priors[1] = Math.Max(p1 / items, 1e-12);
            priors[2] = Math.Max(p2 / items, 1e-12);

            // Row (rater j, true class t) of the confusion matrix is lane t of rater j's three label vectors.
            var s = Vector256.Create(smoothing);
            var ks = Vector256.Create(k * smoothing);
            for (var j = 0; j < raters; j++)
            {
                ref var row = ref Unsafe.Add(ref thetaAt, j * 12);
                var v0 = Vector256.LoadUnsafe(ref row);
                var v1 = Vector256.LoadUnsafe(ref row, 4);
                var v2 = Vector256.LoadUnsafe(ref row, 8);
                var denominator = Vector256<double>.Zero + v0 + v1 + v2 + ks;
                Vector256.StoreUnsafe((v0 + s) / denominator, ref row);
                Vector256.StoreUnsafe((v1 + s) / denominator, ref row, 4);
                Vector256.StoreUnsafe((v2 + s) / denominator, ref row, 8);
            }

            // E-step (logs taken once per iteration; the unused fourth lanes stay 0).
            var lp0 = Math.Log(priors[0]);
            var lp1 = Math.Log(priors[1]);
            var lp2 = Math.Log(priors[2]);
            for (var x = 0; x < raters * 12; x += 4)
            {
                logTheta[x] = Math.Log(theta[x]);
                logTheta[x + 1] = Math.Log(theta[x + 1]);
                logTheta[x + 2] = Math.Log(theta[x + 2]);
            }

            var start = Vector256.Create(lp0, lp1, lp2, 0.0);
            var next = 0.0;
            for (var i = 0; i < items; i++)
            {
                // A repeat of an earlier item (the same labels and start, hence the same values at every step) takes its
                // posterior and log-likelihood term; the sum still adds the term in item order.
                if (repeats && sameItemAs[i] >= 0)
                {
                    var first = sameItemAs[i];
                    posterior[i * 3] = posterior[first * 3];
                    posterior[(i * 3) + 1] = posterior[(first * 3) + 1];
                    posterior[(i * 3) + 2] = posterior[(first * 3) + 2];
                    next += term[first];
                    continue;
                }

                var l = start;
                for (var a = labelStart[i]; a < labelStart[i + 1]; a++)
                {
                    l += Vector256.LoadUnsafe(ref Unsafe.Add(ref logThetaAt, Unsafe.Add(ref cellAt, a)));
                }

                var (l0, l1, l2) = (l.GetElement(0), l.GetElement(1), l.GetElement(2));
                var max = l0;
                if (l1 > max)
                {
                    max = l1;
                }

                if (l2 > max)
                {
                    max = l2;
                }

                // exp(0) = 1 exactly: the largest class's term needs no exponential (the same bits).
                var e0 = l0 == max ? 1.0 : Math.Exp(l0 - max);
                var e1 = l1 == max ? 1.0 : Math.Exp(l1 - max);
                var e2 = l2 == max ? 1.0 : Math.Exp(l2 - max);
                var z = 0.0 + e0 + e1 + e2;
                posterior[i * 3] = e0 / z;
                posterior[(i * 3) + 1] = e1 / z;
                posterior[(i * 3) + 2] = e2 / z;
                term[i] = max + Math.Log(z);
                next += term[i];
            }

            var change = Math.Abs(next - logLik);
            logLik = next;
            if (change < tolerance)
            {
                converged = true;
                break;
            }
        }

        // The confusion matrices in the workspace's layout, [j·9 + t·3 + l].
        var confusion = work.Theta.AsSpan(0, raters * 9);
        for (var j = 0; j < raters; j++)
        {
            for (var t = 0; t < 3; t++)
            {
                for (var l = 0; l < 3; l++)
                {
                    confusion[(j * 9) + (t * 3) + l] = theta[(((j * 3) + l) * 4) + t];
                }
            }
        }

        return (logLik, iterations, converged);
    }
}

/// <summary>The arrays <see cref="DawidSkene.FitCoded"/> works in (priors, confusion matrices, their logs), reused across fits of one thread.</summary>
public sealed class DawidSkeneWorkspace
{
    public DawidSkeneWorkspace(int classes, int raters) => Ensure(classes, raters);

    /// <summary>P(true class = k) of the last fit.</summary>
    public double[] Priors { get; private set; } = [];

    /// <summary>The last fit's confusion matrices, rater-major: [j·K² + t·K + l] = P(label l | true class t) of rater j.</summary>
    public double[] Theta { get; private set; } = [];

    internal double[] LogTheta { get; private set; } = [];

    internal double[] LogPriors { get; private set; } = [];

    internal double[] LogP { get; private set; } = [];

    internal double[] Exp { get; private set; } = [];

    // The three-class path's confusion matrices and logs by rater and label, four lanes a label (the fourth unused), and each
    // label's offset in them.
    internal double[] ThetaByLabel { get; private set; } = [];

    internal double[] LogThetaByLabel { get; private set; } = [];

    internal int[] Cells { get; private set; } = [];

    internal double[] ItemTerm { get; private set; } = [];

    /// <summary>Grows the arrays to hold <paramref name="classes"/> classes and <paramref name="raters"/> raters.</summary>
    public void Ensure(int classes, int raters)
    {
        if (Priors.Length < classes)
        {
            Priors = new double[classes];
            LogPriors = new double[classes];
            LogP = new double[classes];
            Exp = new double[classes];
        }

        if (Theta.Length < classes * classes * raters)
        {
            Theta = new double[classes * classes * raters];
            LogTheta = new double[classes * classes * raters];
        }
    }

    internal void EnsureThree(int raters, int labels, int items)
    {
        if (ItemTerm.Length < items)
        {
            ItemTerm = new double[items];
        }

        if (ThetaByLabel.Length < raters * 12)
        {
            ThetaByLabel = new double[raters * 12];
            LogThetaByLabel = new double[raters * 12];
        }

        if (Cells.Length < labels)
        {
            Cells = new int[labels];
        }
    }
}
