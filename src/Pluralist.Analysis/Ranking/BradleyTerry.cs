using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Ranking;

/// <summary>Who won a pairwise comparison.</summary>
public enum PairWinner
{
    Item0,
    Item1,
    Tie,
}

/// <summary>
/// One pairwise comparison of two items (images, or models). Cluster, when set, is the unit the
/// bootstrap resamples (for example the participant); otherwise comparisons are resampled one by one.
/// </summary>
public readonly record struct PairComparison(string Item0, string Item1, PairWinner Winner, string? Cluster = null)
{
    /// <summary>From a slider preference oriented to the canonical order: negative prefers image_0, positive image_1, 0 is a tie.</summary>
    public static PairComparison FromPreference(string item0, string item1, double preference, string? cluster = null) =>
        new(item0, item1, preference < 0 ? PairWinner.Item0 : preference > 0 ? PairWinner.Item1 : PairWinner.Tie, cluster);
}

/// <summary>How ties enter the likelihood.</summary>
public enum TieHandling
{
    /// <summary>
    /// Davidson (1970): P(i ≻ j) = π_i / D, P(tie) = ν √(π_i π_j) / D, D = π_i + π_j + ν √(π_i π_j);
    /// ν is estimated (and taken as 0 when the data hold no ties).
    /// </summary>
    Davidson,

    /// <summary>A tie counts as half a win for each side: ½ log P(i ≻ j) + ½ log P(j ≻ i) under plain Bradley-Terry.</summary>
    Half,
}

/// <summary>Options of <see cref="BradleyTerry.Fit(IReadOnlyList{PairComparison}, BradleyTerryOptions?)"/>.</summary>
public sealed record BradleyTerryOptions
{
    public TieHandling Ties { get; init; } = TieHandling.Davidson;

    /// <summary>λ of the ridge penalty −λ/2 Σ θ² (a N(0, 1/λ) prior on log-strengths); it keeps scores finite for unbeaten items and centres them (Σ θ = 0).</summary>
    public double Regularization { get; init; } = 0.1;

    public int MaxIterations { get; init; } = 100;

    public double Tolerance { get; init; } = 1e-10;

    /// <summary>Bootstrap replicates for the intervals; 0 skips them.</summary>
    public int BootstrapReplicates { get; init; } = 1000;

    public int Seed { get; init; } = 1;

    public double Level { get; init; } = 0.95;

    /// <summary>
    /// Starts each bootstrap replicate's Newton solve from the full-data estimate (θ and log ν) instead of zero: a
    /// replicate's optimum lies near it, so fewer iterations reach the same tolerance. The optimum is unique (the
    /// penalised log-likelihood is strictly concave), so only the last digits differ from cold starts.
    /// </summary>
    public bool WarmStartBootstrap { get; init; } = true;

    /// <summary>
    /// Stops a Newton solve once quadratic convergence predicts the next step below a hundredth of the tolerance
    /// (see <see cref="BradleyTerry"/>), instead of taking that confirming step: the estimate then differs from the
    /// fully converged one by about the predicted step. Off, every solve runs until a step is below the tolerance.
    /// </summary>
    internal bool StopOnPredictedStep { get; init; } = true;

    /// <summary>
    /// Solves the bootstrap replicates four at a time, each in one lane of a <see cref="System.Runtime.Intrinsics.Vector256{T}"/>
    /// (<see cref="BradleyTerry"/>, "Replicates in lanes"), with every lane's value the bits of the one-at-a-time path. Off
    /// (tests), every replicate is solved on its own.
    /// </summary>
    internal bool LaneReplicates { get; init; } = true;
}

/// <summary>One item's log-strength θ (centred), with its bootstrap percentile interval.</summary>
public sealed record BradleyTerryScore(string Item, double Theta, Interval Interval, int Comparisons, double Wins, int Ties);

/// <summary>A fitted model; TieParameter is Davidson's ν (NaN with ties as half).</summary>
public sealed record BradleyTerryFit(IReadOnlyList<BradleyTerryScore> Scores, double TieParameter, double PenalizedLogLikelihood, int Iterations, TieHandling Ties);

/// <summary>
/// Bradley-Terry scores (Bradley and Terry 1952) with ties (Davidson 1970, or as half wins),
/// fitted by Newton's method on the ridge-penalised log-likelihood, which is concave in
/// (θ, log ν): each comparison contributes Σ_k y_k z_k − log Σ_k e^{z_k} with z = (θ_i, θ_j,
/// log ν + (θ_i + θ_j)/2) and y the observed outcome. Dense Newton: meant for the items of a
/// prompt, the images of a study (hundreds) or a few models.
/// </summary>
public static partial class BradleyTerry
{
    /// <summary>Share of the tolerance the predicted next Newton step must stay below for a solve to stop early.</summary>
    private const double PredictedStepShare = 0.01;

    public static BradleyTerryFit Fit(IReadOnlyList<PairComparison> comparisons, BradleyTerryOptions? options = null) =>
        Fit(comparisons, options, parallel: true);

    /// <summary>
    /// Many fits (per prompt, per group and criterion) at once, in parallel across the fits with each fit's bootstrap
    /// on one thread: a bootstrap of a prompt's few images is a few milliseconds of work, and splitting each across
    /// threads spent more on waking and spinning pool threads than on the fits. Results are those of <see cref="Fit(IReadOnlyList{PairComparison}, BradleyTerryOptions?)"/> in input order
    /// (every replicate has its own seed and slot, so the thread that runs it does not matter).
    /// </summary>
    public static IReadOnlyList<BradleyTerryFit> FitMany(IReadOnlyList<IReadOnlyList<PairComparison>> fits, BradleyTerryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fits);
        var result = new BradleyTerryFit[fits.Count];
        Parallel.For(0, fits.Count, i => result[i] = Fit(fits[i], options, parallel: false));
        return result;
    }

    private static BradleyTerryFit Fit(IReadOnlyList<PairComparison> comparisons, BradleyTerryOptions? options, bool parallel) =>
        Fit(comparisons, options, parallel, keepReplicates: false, out _);

    /// <summary>The bootstrap replicates' θ of <see cref="Fit(IReadOnlyList{PairComparison}, BradleyTerryOptions?)"/>, unsorted: item i's (in order of first appearance) replicate b at [i·B + b].</summary>
    internal static double[] ReplicateThetas(IReadOnlyList<PairComparison> comparisons, BradleyTerryOptions options, bool parallel = false)
    {
        Fit(comparisons, options, parallel, keepReplicates: true, out var thetas);
        return thetas ?? [];
    }

    private static BradleyTerryFit Fit(IReadOnlyList<PairComparison> comparisons, BradleyTerryOptions? options, bool parallel, bool keepReplicates, out double[]? replicateThetas)
    {
        replicateThetas = null;
        ArgumentNullException.ThrowIfNull(comparisons);
        options ??= new BradleyTerryOptions();
        if (options.Regularization <= 0)
        {
            throw new ArgumentException("the regularisation must be positive", nameof(options));
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in comparisons)
        {
            if (string.Equals(c.Item0, c.Item1, StringComparison.Ordinal))
            {
                throw new ArgumentException($"item '{c.Item0}' is compared with itself", nameof(comparisons));
            }

            index.TryAdd(c.Item0, index.Count);
            index.TryAdd(c.Item1, index.Count);
        }

        var items = index.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        var coded = comparisons.Select(c => (I: index[c.Item0], J: index[c.Item1], c.Winner)).ToArray();

        // Outcomes aggregated per unordered pair (i < j): wins of i, wins of j, ties; each comparison's pair and slot.
        var pairIndex = new Dictionary<(int, int), int>();
        var slots = new (int Pair, int Slot)[coded.Length];
        for (var k = 0; k < coded.Length; k++)
        {
            var (i, j, w) = coded[k];
            var key = i < j ? (i, j) : (j, i);
            if (!pairIndex.TryGetValue(key, out var p))
            {
                p = pairIndex.Count;
                pairIndex[key] = p;
            }

            slots[k] = (p, w == PairWinner.Tie ? 2 : (w == PairWinner.Item0) == (i < j) ? 0 : 1);
        }

        var pairs = new (int I, int J)[pairIndex.Count];
        foreach (var (key, p) in pairIndex)
        {
            pairs[p] = key;
        }

        var counts = new double[pairs.Length * 3];
        foreach (var (p, slot) in slots)
        {
            counts[(p * 3) + slot]++;
        }

        var theta = new double[items.Length];
        var full = new Workspace(items.Length + 1, pairs.Length);
        var (nu, ll, iterations) = Solve(items.Length, pairs, counts, options, full, theta, start: null, logLikelihood: true);
        // The full-data point (θ, log ν) the replicates start from when warm-starting.
        double[]? start = options.WarmStartBootstrap ? (double[])full.X.Clone() : null;

        var intervals = new Interval[items.Length];
        Array.Fill(intervals, Interval.Undefined);
        if (options.BootstrapReplicates > 0 && coded.Length > 0)
        {
            // Item i's replicates in samples[i * B .. i * B + B), B replicates (each item's column contiguous, sorted in place).
            var replicates = options.BootstrapReplicates;
            var samples = BootstrapSamples(comparisons, slots, items.Length, pairs, options, start, parallel);
            if (keepReplicates)
            {
                replicateThetas = (double[])samples.Clone();
            }

            for (var i = 0; i < items.Length; i++)
            {
                intervals[i] = ReplicatePercentile(samples.AsSpan(i * replicates, replicates), options.Level);
            }
        }

        var scores = new BradleyTerryScore[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            int n = 0, ties = 0;
            double wins = 0;
            foreach (var (a, b, w) in coded)
            {
                if (a != i && b != i)
                {
                    continue;
                }

                n++;
                if (w == PairWinner.Tie)
                {
                    ties++;
                }
                else if ((w == PairWinner.Item0) == (a == i))
                {
                    wins++;
                }
            }

            scores[i] = new BradleyTerryScore(items[i], theta[i], intervals[i], n, wins, ties);
        }

        return new BradleyTerryFit(scores.OrderByDescending(s => s.Theta).ToList(), nu, ll, iterations, options.Ties);
    }

    /// <summary>
    /// The cluster-bootstrap replicates' θ: item i's replicate b at [i·B + b] for B = options.BootstrapReplicates. Replicate b
    /// draws the clusters with <c>new Random(Seeds.For(seed, b))</c> (as <see cref="ReseedableRandom"/>) and solves from
    /// <paramref name="start"/>; with <see cref="BradleyTerryOptions.LaneReplicates"/> four replicates share one solve in the
    /// lanes of vectors (the same bits as one at a time; the last block may be short).
    /// </summary>
    private static double[] BootstrapSamples(IReadOnlyList<PairComparison> comparisons, (int Pair, int Slot)[] slots, int k, (int I, int J)[] pairs, BradleyTerryOptions options, double[]? start, bool parallel)
    {
        // Each cluster as its (pair, slot) cells with counts, so a replicate only adds a few numbers per drawn cluster:
        // cluster c's are cellAt / cellCount [clusterStart[c], clusterStart[c + 1]).
        var (clusterStart, cellAt, cellCount) = ClusterCells(comparisons, slots);
        var clusters = clusterStart.Length - 1;
        var replicates = options.BootstrapReplicates;
        var samples = new double[replicates * k];
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        Workspace Replicate(int b, Workspace work)
        {
            var rng = work.Random;
            rng.Reseed(Seeds.For(options.Seed, b));
            var resampled = work.Counts;
            Array.Clear(resampled);
            for (var i = 0; i < clusters; i++)
            {
                var drawn = rng.Next(clusters);
                for (var e = clusterStart[drawn]; e < clusterStart[drawn + 1]; e++)
                {
                    resampled[cellAt[e]] += cellCount[e];
                }
            }

            Solve(k, pairs, resampled, options, work, work.Theta, start, logLikelihood: false);
            for (var i = 0; i < k; i++)
            {
                samples[(i * replicates) + b] = work.Theta[i];
            }

            return work;
        }

        // Replicates b .. b + lanes − 1 (lanes ≤ 4), one per lane: lane l's counts are those Replicate(b + l) draws.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        LaneWorkspace ReplicateLanes(int block, LaneWorkspace work)
        {
            var b = block * Lanes;
            var lanes = Math.Min(Lanes, replicates - b);
            var resampled = MemoryMarshal.Cast<Vector256<double>, double>(work.Counts.AsSpan());
            resampled.Clear();
            if (ReseedableRandomLanes.IsSupported)
            {
                // The four replicates' draws at once: draw i of lane l at drawn[4i + l].
                var drawn = work.Drawn;
                work.RandomLanes.Reseed(Vector128.Create(
                    Seeds.For(options.Seed, b), Seeds.For(options.Seed, b + 1), Seeds.For(options.Seed, b + 2), Seeds.For(options.Seed, b + 3)));
                work.RandomLanes.Next(clusters, clusters, drawn);
                // Cell indices are below 3·pairs (ClusterCells), so lane l's count of cell e is in range.
                ref var counts0 = ref MemoryMarshal.GetReference(resampled);
                for (var l = 0; l < lanes; l++)
                {
                    for (var i = 0; i < clusters; i++)
                    {
                        var c = drawn[(i * Lanes) + l];
                        var end = clusterStart[c + 1];
                        for (var e = clusterStart[c]; e < end; e++)
                        {
                            Unsafe.Add(ref counts0, (cellAt[e] * Lanes) + l) += cellCount[e];
                        }
                    }
                }
            }
            else
            {
                var rng = work.Random;
                for (var l = 0; l < lanes; l++)
                {
                    rng.Reseed(Seeds.For(options.Seed, b + l));
                    for (var i = 0; i < clusters; i++)
                    {
                        var drawn = rng.Next(clusters);
                        for (var e = clusterStart[drawn]; e < clusterStart[drawn + 1]; e++)
                        {
                            resampled[(cellAt[e] * Lanes) + l] += cellCount[e];
                        }
                    }
                }
            }

            SolveLanes(k, pairs, options, work, start, lanes);
            var x = MemoryMarshal.Cast<Vector256<double>, double>(work.X.AsSpan());
            for (var i = 0; i < k; i++)
            {
                for (var l = 0; l < lanes; l++)
                {
                    samples[(i * replicates) + b + l] = x[(i * Lanes) + l];
                }
            }

            return work;
        }

        if (options.LaneReplicates && Vector256.IsHardwareAccelerated)
        {
            var blocks = (replicates + Lanes - 1) / Lanes;
            if (parallel)
            {
                Parallel.For(0, blocks, () => new LaneWorkspace(k + 1, pairs.Length, clusters), (q, _, work) => ReplicateLanes(q, work), _ => { });
            }
            else
            {
                var work = new LaneWorkspace(k + 1, pairs.Length, clusters);
                for (var q = 0; q < blocks; q++)
                {
                    ReplicateLanes(q, work);
                }
            }
        }
        else if (parallel)
        {
            Parallel.For(0, replicates, () => new Workspace(k + 1, pairs.Length), (b, _, work) => Replicate(b, work), _ => { });
        }
        else
        {
            var work = new Workspace(k + 1, pairs.Length);
            for (var b = 0; b < replicates; b++)
            {
                Replicate(b, work);
            }
        }

        return samples;
    }

    /// <summary>
    /// The comparisons' clusters (a comparison without one is its own) in order of first appearance, each as its (pair,
    /// slot) cells, index 3·pair + slot, in order of first appearance within the cluster, with the number of its
    /// comparisons in each: cluster c's cells are cellAt / cellCount [start[c], start[c + 1]). What grouping the
    /// comparisons by cluster and then by cell gives (a test compares), with a few arrays instead of a lookup per cluster.
    /// </summary>
    internal static (int[] Start, int[] CellAt, double[] CellCount) ClusterCells(IReadOnlyList<PairComparison> comparisons, (int Pair, int Slot)[] slots)
    {
        var n = comparisons.Count;
        var clusterIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var clusterOf = new int[n];
        for (var k = 0; k < n; k++)
        {
            var key = comparisons[k].Cluster ?? $"\u0001{k}";
            if (!clusterIndex.TryGetValue(key, out var c))
            {
                c = clusterIndex.Count;
                clusterIndex.Add(key, c);
            }

            clusterOf[k] = c;
        }

        // The comparisons of each cluster, in input order.
        var clusters = clusterIndex.Count;
        var memberStart = new int[clusters + 1];
        foreach (var c in clusterOf)
        {
            memberStart[c + 1]++;
        }

        for (var c = 0; c < clusters; c++)
        {
            memberStart[c + 1] += memberStart[c];
        }

        var fill = (int[])memberStart.Clone();
        var members = new int[n];
        for (var k = 0; k < n; k++)
        {
            members[fill[clusterOf[k]]++] = k;
        }

        var start = new int[clusters + 1];
        var cellAt = new List<int>(n);
        var cellCount = new List<double>(n);
        for (var c = 0; c < clusters; c++)
        {
            var first = cellAt.Count;
            for (var m = memberStart[c]; m < memberStart[c + 1]; m++)
            {
                var (pair, slot) = slots[members[m]];
                var cell = (pair * 3) + slot;
                var at = first;
                while (at < cellAt.Count && cellAt[at] != cell)
                {
                    at++;
                }

                if (at == cellAt.Count)
                {
                    cellAt.Add(cell);
                    cellCount.Add(1);
                }
                else
                {
                    cellCount[at]++;
                }
            }

            start[c + 1] = cellAt.Count;
        }

        return (start, [.. cellAt], [.. cellCount]);
    }

    /// <summary>Separate fits per scope (for example per prompt), in scope order.</summary>
    public static IReadOnlyList<(string Scope, BradleyTerryFit Fit)> FitPerScope<T>(IEnumerable<T> rows, Func<T, string> scope, Func<T, PairComparison> comparison, BradleyTerryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var scopes = rows.GroupBy(scope, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, Comparisons: (IReadOnlyList<PairComparison>)g.Select(comparison).ToList()))
            .ToList();
        var fits = FitMany([.. scopes.Select(s => s.Comparisons)], options);
        return [.. scopes.Select((s, i) => (s.Key, fits[i]))];
    }

    /// <summary>
    /// Arrays one Newton solve works in, reused across the solves of one thread (a bootstrap runs thousands of small
    /// solves, whose cost was mostly allocation and repeated exponentials). Exps holds, per pair, e^{a−m}, e^{b−m},
    /// e^{c−m} and their sum at the point the objective was last evaluated, so the derivatives there reuse them.
    /// </summary>
    private sealed class Workspace(int maxDims, int pairs)
    {
        public double[] X { get; set; } = new double[maxDims];

        public double[] Candidate { get; set; } = new double[maxDims];

        public double[] Grad { get; } = new double[maxDims];

        public double[] Step { get; } = new double[maxDims];

        public double[] Hessian { get; } = new double[maxDims * maxDims];

        public int Stride { get; } = maxDims;

        public double[] Exps { get; set; } = new double[pairs * 4];

        public double[] CandidateExps { get; set; } = new double[pairs * 4];

        public double[] Counts { get; } = new double[pairs * 3];

        /// <summary>A replicate's θ, before it is copied to its slots.</summary>
        public double[] Theta { get; } = new double[maxDims - 1];

        public ReseedableRandom Random { get; } = new(0);
    }

    /// <summary>Newton's method on the outcomes aggregated per pair: counts[3p..3p+2] = wins of pairs[p].I, wins of pairs[p].J, ties.</summary>
    /// <remarks>
    /// <paramref name="start"/> (θ, then log ν) is where Newton starts; null starts at zero. A start without ties' log ν
    /// (the data it came from had none) leaves log ν at zero; with one where these counts hold no ties, log ν is unused.
    /// </remarks>
    // Hot loops of a one-shot report process: compiled optimised at the first call rather than at tier 0 (HotKernelCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Nu, double LogLikelihood, int Iterations) Solve(int k, (int I, int J)[] pairs, double[] counts, BradleyTerryOptions options, Workspace work, Span<double> theta, double[]? start, bool logLikelihood)
    {
        var anyTie = false;
        for (var p = 0; p < pairs.Length; p++)
        {
            anyTie |= counts[(p * 3) + 2] > 0;
        }

        var davidson = options.Ties == TieHandling.Davidson && anyTie;
        var dims = k + (davidson ? 1 : 0);
        var x = work.X;
        if (start is null)
        {
            Array.Clear(x);
        }
        else
        {
            Array.Copy(start, x, k + 1);
            if (!davidson)
            {
                x[k] = 0;
            }
        }

        var f = Objective(x, k, pairs, counts, options, davidson, work.Exps);
        var iterations = 0;
        var previous = double.NaN; // the last step's largest entry, when it was taken whole
        for (; iterations < options.MaxIterations; iterations++)
        {
            Derivatives(x, dims, k, pairs, counts, options.Regularization, davidson, work.Exps, work.Grad, work.Hessian, work.Stride);
            var step = work.Step;
            CholeskySolve(work.Hessian, work.Stride, work.Grad, step, dims);
            var largest = double.NaN; // as Enumerable.Max: NaNs skipped
            for (var i = 0; i < dims; i++)
            {
                var a = Math.Abs(step[i]);
                if (double.IsNaN(largest) || a > largest)
                {
                    largest = a;
                }
            }

            if (largest < options.Tolerance)
            {
                // The Newton step itself is below the tolerance: take it whole and stop, without the line search's
                // evaluation of the objective there (x + 1·step, the point a first accepted try gives); the objective
                // is evaluated once more only where the caller keeps it (the full-data fit, not a replicate).
                for (var i = 0; i < dims; i++)
                {
                    x[i] += step[i];
                }

                if (logLikelihood)
                {
                    f = Objective(x, k, pairs, counts, options, davidson, work.Exps);
                }

                iterations++;
                break;
            }

            if (options.StopOnPredictedStep && largest < previous && largest * largest * largest < PredictedStepShare * options.Tolerance * previous * previous)
            {
                // Newton converges quadratically near the optimum: a step s after a whole step s' leaves about
                // C s² with C ≈ s / s'², i.e. s³ / s'², well below the tolerance here. Take this step whole and stop
                // instead of paying for one more step (derivatives, Cholesky, line search) that only confirms it.
                for (var i = 0; i < dims; i++)
                {
                    x[i] += step[i];
                }

                f = logLikelihood ? Objective(x, k, pairs, counts, options, davidson, work.Exps) : double.NaN;
                iterations++;
                break;
            }

            var t = 1.0;
            var candidate = work.Candidate;
            double fc;
            do
            {
                for (var i = 0; i < dims; i++)
                {
                    candidate[i] = x[i] + (t * step[i]);
                }

                fc = Objective(candidate, k, pairs, counts, options, davidson, work.CandidateExps);
                t /= 2;
            }
            while (fc < f - 1e-12 && t > 1e-10);

            var moved = largest * t * 2;
            previous = t == 0.5 ? largest : double.NaN;
            (work.X, work.Candidate) = (candidate, x);
            (work.Exps, work.CandidateExps) = (work.CandidateExps, work.Exps);
            x = candidate;
            f = fc;
            if (moved < options.Tolerance)
            {
                iterations++;
                break;
            }
        }

        var nu = davidson ? Math.Exp(x[k]) : options.Ties == TieHandling.Davidson ? 0 : double.NaN;
        x.AsSpan(0, k).CopyTo(theta);
        return (nu, f, iterations);
    }

    /// <summary>
    /// Solves A x = b for a symmetric positive definite A (its leading n × n block, overwritten by its Cholesky factor
    /// L, A = L Lᵀ) by forward and back substitution into <paramref name="x"/>; a non-positive pivot (A not definite) throws.
    /// </summary>
    /// <remarks>
    /// Case study IV runs this about three million times on 7 × 7 systems, where the array bounds checks of the inner loops
    /// (a few multiply-adds each) were a good part of the cost: the sizes are checked once, then the loops read through
    /// references. The same operations in the same order as indexing the arrays (a test keeps that version and compares).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void CholeskySolve(double[] a, int stride, double[] b, double[] x, int n)
    {
        if (n < 0 || n > stride || (n > 0 && ((long)(n - 1) * stride) + n > a.Length) || b.Length < n || x.Length < n)
        {
            throw new ArgumentException($"a {n} x {n} system with stride {stride} does not fit arrays of {a.Length}, {b.Length} and {x.Length}");
        }

        ref var a0 = ref MemoryMarshal.GetArrayDataReference(a);
        for (var j = 0; j < n; j++)
        {
            ref var rowJ = ref Unsafe.Add(ref a0, j * stride);
            var d = Unsafe.Add(ref rowJ, j);
            for (var m = 0; m < j; m++)
            {
                d -= Unsafe.Add(ref rowJ, m) * Unsafe.Add(ref rowJ, m);
            }

            if (!(d > 0))
            {
                throw new ArgumentException("the Newton system is not positive definite");
            }

            var pivot = Math.Sqrt(d);
            Unsafe.Add(ref rowJ, j) = pivot;
            for (var i = j + 1; i < n; i++)
            {
                ref var rowI = ref Unsafe.Add(ref a0, i * stride);
                var v = Unsafe.Add(ref rowI, j);
                for (var m = 0; m < j; m++)
                {
                    v -= Unsafe.Add(ref rowI, m) * Unsafe.Add(ref rowJ, m);
                }

                Unsafe.Add(ref rowI, j) = v / pivot;
            }
        }

        Array.Copy(b, x, n);
        ref var x0 = ref MemoryMarshal.GetArrayDataReference(x);
        for (var i = 0; i < n; i++)
        {
            ref var rowI = ref Unsafe.Add(ref a0, i * stride);
            var xi = Unsafe.Add(ref x0, i);
            for (var m = 0; m < i; m++)
            {
                xi -= Unsafe.Add(ref rowI, m) * Unsafe.Add(ref x0, m);
            }

            Unsafe.Add(ref x0, i) = xi / Unsafe.Add(ref rowI, i);
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var xi = Unsafe.Add(ref x0, i);
            for (var m = i + 1; m < n; m++)
            {
                xi -= Unsafe.Add(ref a0, (m * stride) + i) * Unsafe.Add(ref x0, m);
            }

            Unsafe.Add(ref x0, i) = xi / Unsafe.Add(ref a0, (i * stride) + i);
        }
    }

    /// <summary>Penalised log-likelihood: Σ_pairs Σ_slots count · (y·z − log Σ e^z) − λ/2 Σ θ².</summary>
    /// <remarks>Stores e^{a−m}, e^{b−m}, e^{c−m} and their sum per pair in <paramref name="exps"/> for <see cref="Derivatives"/> at the same point.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Objective(double[] x, int k, (int I, int J)[] pairs, double[] counts, BradleyTerryOptions options, bool davidson, double[] exps)
    {
        double f = 0;
        for (var i = 0; i < k; i++)
        {
            f -= options.Regularization / 2 * x[i] * x[i];
        }

        for (var p = 0; p < pairs.Length; p++)
        {
            var (i, j) = pairs[p];
            var c0 = counts[p * 3];
            var c1 = counts[(p * 3) + 1];
            var c2 = counts[(p * 3) + 2];
            var a = x[i];
            var b = x[j];
            var c = davidson ? x[k] + ((a + b) / 2) : double.NegativeInfinity;
            var max = Math.Max(a, Math.Max(b, c));
            // One of the three is the maximum, whose e^0 is exactly 1: no call for it (the same bits as calling).
            var da = a - max;
            var db = b - max;
            var ea = da == 0 ? 1 : Math.Exp(da);
            var eb = db == 0 ? 1 : Math.Exp(db);
            var ec = 0.0;
            if (davidson)
            {
                var dc = c - max;
                ec = dc == 0 ? 1 : Math.Exp(dc);
            }

            var d = ea + eb + ec;
            exps[p * 4] = ea;
            exps[(p * 4) + 1] = eb;
            exps[(p * 4) + 2] = ec;
            exps[(p * 4) + 3] = d;
            var logD = max + Math.Log(d);
            f += c0 * (a - logD) + (c1 * (b - logD));
            f += davidson ? c2 * (c - logD) : c2 * ((0.5 * a) + (0.5 * b) - logD);
        }

        return f;
    }

    /// <summary>
    /// Gradient of the penalised log-likelihood and the negated Hessian (positive definite) at <paramref name="x"/>, into
    /// the leading <paramref name="size"/> entries of <paramref name="grad"/> and <paramref name="h"/> (row-major with
    /// stride <paramref name="stride"/>); <paramref name="exps"/> are the exponentials <see cref="Objective"/> stored at the same point.
    /// </summary>
    /// <remarks>
    /// Each pair contributes through z = (θ_i, θ_j, log ν + (θ_i + θ_j)/2) with outcome probabilities p and outcome weights
    /// y: gradient Σ_z (y_z − n p_z) ∂z/∂x, negated Hessian n (Σ_z p_z ∂z ∂zᵀ − m mᵀ) with m = Σ_z p_z ∂z. The entries are
    /// written out for this z: m = (p_0 + p_2/2, p_1 + p_2/2, p_2) and Σ_z p_z ∂z ∂zᵀ = [[p_0 + p_2/4, p_2/4, p_2/2],
    /// [p_2/4, p_1 + p_2/4, p_2/2], [p_2/2, p_2/2, p_2]], in the order a loop over z and the coordinates adds them (its
    /// terms with a zero weight add nothing, and the weights 1, 1/2, 1/4 scale exactly), so the values are those of that
    /// loop to the bit (a test keeps the loop and compares).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Derivatives(double[] x, int size, int k, (int I, int J)[] pairs, double[] counts, double regularization, bool davidson, double[] exps, double[] grad, double[] h, int stride)
    {
        Array.Clear(grad, 0, size);
        for (var r = 0; r < size; r++)
        {
            Array.Clear(h, r * stride, size);
        }

        for (var i = 0; i < k; i++)
        {
            grad[i] -= regularization * x[i];
            h[(i * stride) + i] += regularization;
        }

        if (davidson)
        {
            h[(k * stride) + k] += 1e-9; // keeps the system definite when every pair's tie share is extreme
        }

        for (var p = 0; p < pairs.Length; p++)
        {
            var (i, j) = pairs[p];
            var c0 = counts[p * 3];
            var c1 = counts[(p * 3) + 1];
            var c2 = counts[(p * 3) + 2];
            var n = c0 + c1 + c2;
            if (n == 0)
            {
                continue;
            }

            var d = exps[(p * 4) + 3];
            var p0 = exps[p * 4] / d;
            var p1 = exps[(p * 4) + 1] / d;
            var p2 = exps[(p * 4) + 2] / d;

            // Outcome weights: with Davidson ties a tie is its own outcome; as half wins it adds half to each side.
            var y0 = c0 + (davidson ? 0 : c2 / 2);
            var y1 = c1 + (davidson ? 0 : c2 / 2);
            var y2 = davidson ? c2 : 0;
            var r0 = y0 - (n * p0);
            var r1 = y1 - (n * p1);
            var r2 = y2 - (n * p2);
            grad[i] += r0;
            grad[i] += r2 * 0.5;
            grad[j] += r1;
            grad[j] += r2 * 0.5;
            var g0 = p0 + (p2 * 0.5);
            var g1 = p1 + (p2 * 0.5);
            var quarter = p2 * 0.5 * 0.5;
            var hii = n * (p0 + quarter - (g0 * g0));
            var hij = n * (quarter - (g0 * g1));
            var hjj = n * (p1 + quarter - (g1 * g1));
            h[(i * stride) + i] += hii;
            h[(i * stride) + j] += hij;
            h[(j * stride) + i] += hij;
            h[(j * stride) + j] += hjj;
            if (davidson)
            {
                var g2 = p2;
                var half = p2 * 0.5;
                grad[k] += r2;
                var hik = n * (half - (g0 * g2));
                var hjk = n * (half - (g1 * g2));
                h[(i * stride) + k] += hik;
                h[(k * stride) + i] += hik;
                h[(j * stride) + k] += hjk;
                h[(k * stride) + j] += hjk;
                h[(k * stride) + k] += n * (p2 - (g2 * g2));
            }
        }
    }
}
