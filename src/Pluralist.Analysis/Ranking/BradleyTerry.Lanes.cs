using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Ranking;

/// <remarks>
/// <para><b>Replicates in lanes.</b> A fit's bootstrap replicates all have the same items and pairs and differ only in their
/// resampled counts, so four of them can share one Newton solve: replicate b + l lives in lane l of every
/// <see cref="Vector256{T}"/> (θ, the gradient, the Hessian, the Cholesky factor, the counts). Each lane goes through the
/// operations the one-at-a-time <see cref="Solve"/> does, in the same order (vector additions, multiplications, divisions and
/// square roots are those of doubles, lane by lane, and the JIT contracts none into fused multiply-adds), and takes its own
/// decisions: its own line-search step lengths, its own stop (the step below the tolerance, the predicted step, the step
/// taken, the iteration limit); a lane that has stopped keeps its values while the others go on. The exponentials and
/// logarithms are the scalar <see cref="Math.Exp"/> and <see cref="Math.Log(double)"/> per lane. Where the scalar path adds nothing
/// (a pair without comparisons in that replicate) a lane adds −0.0, which leaves every sum as it is. A replicate whose
/// counts hold no tie is solved without Davidson's ν (dims = k) as on its own; when another lane of its block has ties, its
/// row and column k of the system are those of the identity (zero gradient), which leaves its other unknowns' factor and
/// solution as they are (the substitutions then subtract +0.0, which changes no value). So every lane's θ has the bits of
/// <see cref="Solve"/> on that replicate alone (tests compare over many random fits).</para>
/// </remarks>
public static partial class BradleyTerry
{
    /// <summary>Replicates solved together, one per lane of a <see cref="Vector256{T}"/> of doubles.</summary>
    private const int Lanes = 4;

    /// <summary>The arrays of four replicates' Newton solves, each entry a vector of the four lanes' values.</summary>
    private sealed class LaneWorkspace(int maxDims, int pairs, int clusters)
    {
        public Vector256<double>[] X { get; } = new Vector256<double>[maxDims];

        public Vector256<double>[] Candidate { get; } = new Vector256<double>[maxDims];

        public Vector256<double>[] Grad { get; } = new Vector256<double>[maxDims];

        public Vector256<double>[] Step { get; } = new Vector256<double>[maxDims];

        public Vector256<double>[] Hessian { get; } = new Vector256<double>[maxDims * maxDims];

        public int Stride { get; } = maxDims;

        /// <summary>Per pair p: e^{a−m}, e^{b−m}, e^{c−m} and their sum at [4p .. 4p + 3], as <see cref="Workspace.Exps"/>.</summary>
        public Vector256<double>[] Exps { get; } = new Vector256<double>[pairs * 4];

        public Vector256<double>[] CandidateExps { get; } = new Vector256<double>[pairs * 4];

        /// <summary>Per pair p: wins of I, wins of J, ties at [3p .. 3p + 2], lane l being replicate b + l's.</summary>
        public Vector256<double>[] Counts { get; } = new Vector256<double>[pairs * 3];

        public ReseedableRandom Random { get; } = new(0);

        public ReseedableRandomLanes RandomLanes { get; } = new();

        /// <summary>The four replicates' drawn clusters, draw i of lane l at [4i + l].</summary>
        public int[] Drawn { get; } = new int[clusters * Lanes];
    }

    /// <summary>
    /// <see cref="Solve"/> for the replicates in the first <paramref name="lanes"/> lanes of <paramref name="work"/>'s counts
    /// (without the log-likelihood, as for a replicate); lane l's θ ends in lane l of work.X[0 .. k).
    /// </summary>
    // Hot loops of a one-shot report process: compiled optimised at the first call rather than at tier 0 (HotKernelCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SolveLanes(int k, (int I, int J)[] pairs, BradleyTerryOptions options, LaneWorkspace work, double[]? start, int lanes)
    {
        var zero = Vector256<double>.Zero;
        var one = Vector256.Create(1.0);
        var counts = work.Counts;
        var anyTie = zero;
        for (var p = 0; p < pairs.Length; p++)
        {
            anyTie |= Vector256.GreaterThan(counts[(p * 3) + 2], zero);
        }

        var live = Vector256.LessThan(Vector256.Create(0.0, 1, 2, 3), Vector256.Create((double)lanes));
        // All ones in the lanes whose replicate is solved with Davidson's ν (its counts hold a tie).
        var dav = options.Ties == TieHandling.Davidson ? anyTie & live : zero;
        var anyDav = dav != zero;
        var dims = k + (anyDav ? 1 : 0);
        var stride = work.Stride;
        var x = work.X;
        if (start is null)
        {
            Array.Clear(x);
        }
        else
        {
            for (var i = 0; i <= k; i++)
            {
                x[i] = Vector256.Create(start[i]);
            }

            x[k] = Vector256.ConditionalSelect(dav, x[k], zero);
        }

        var regularization = options.Regularization;
        var f = ObjectiveLanes(x, k, pairs, counts, regularization, dav, anyDav, work.Exps, live);
        var tolerance = Vector256.Create(options.Tolerance);
        var shareOfTolerance = Vector256.Create(PredictedStepShare * options.Tolerance);
        var maxIterations = Vector256.Create((double)options.MaxIterations);
        var nan = Vector256.Create(double.NaN);
        var half = Vector256.Create(0.5);
        var two = Vector256.Create(2.0);
        var slack = Vector256.Create(1e-12);
        var shortest = Vector256.Create(1e-10);
        var iterations = zero;
        var previous = nan; // per lane, the last step's largest entry when it was taken whole
        var active = live & Vector256.LessThan(iterations, maxIterations);
        var grad = work.Grad;
        var h = work.Hessian;
        var step = work.Step;
        var candidate = work.Candidate;
        while (active != zero)
        {
            DerivativesLanes(x, dims, k, pairs, counts, regularization, dav, anyDav, work.Exps, grad, h, stride);
            if (anyDav && dav != live)
            {
                // Lanes without ties solve for θ alone: their row and column k are the identity's, their gradient there zero.
                var rowK = k * stride;
                grad[k] = Vector256.ConditionalSelect(dav, grad[k], zero);
                for (var m = 0; m < k; m++)
                {
                    h[rowK + m] = Vector256.ConditionalSelect(dav, h[rowK + m], zero);
                    h[(m * stride) + k] = Vector256.ConditionalSelect(dav, h[(m * stride) + k], zero);
                }

                h[rowK + k] = Vector256.ConditionalSelect(dav, h[rowK + k], one);
            }

            CholeskySolveLanes(h, stride, grad, step, dims, active);
            var largest = nan; // as Enumerable.Max: NaNs skipped
            for (var i = 0; i < dims; i++)
            {
                var a = Vector256.Abs(step[i]);
                var take = Vector256.IsNaN(largest) | Vector256.GreaterThan(a, largest);
                if (i == k)
                {
                    take &= dav; // k is an unknown of the Davidson lanes only
                }

                largest = Vector256.ConditionalSelect(take, a, largest);
            }

            // The step below the tolerance, or quadratic convergence predicting the next one well below it: taken whole, and
            // the lane stops (a replicate keeps no log-likelihood, so no objective there).
            var small = active & Vector256.LessThan(largest, tolerance);
            var stop = small;
            if (options.StopOnPredictedStep)
            {
                stop |= Vector256.AndNot(active, small) & Vector256.LessThan(largest, previous)
                    & Vector256.LessThan(largest * largest * largest, shareOfTolerance * previous * previous);
            }

            if (stop != zero)
            {
                for (var i = 0; i < dims; i++)
                {
                    x[i] = Vector256.ConditionalSelect(stop, x[i] + step[i], x[i]);
                }

                active = Vector256.AndNot(active, stop);
                if (active == zero)
                {
                    break;
                }
            }

            // Backtracking line search, each lane with its own step length, until each lane's objective does not fall.
            var t = one;
            var searching = active;
            var fc = f;
            do
            {
                for (var i = 0; i < dims; i++)
                {
                    candidate[i] = Vector256.ConditionalSelect(searching, x[i] + (t * step[i]), candidate[i]);
                }

                fc = Vector256.ConditionalSelect(searching, ObjectiveLanes(candidate, k, pairs, counts, regularization, dav, anyDav, work.CandidateExps, searching), fc);
                t = Vector256.ConditionalSelect(searching, t / two, t);
                searching &= Vector256.LessThan(fc, f - slack) & Vector256.GreaterThan(t, shortest);
            }
            while (searching != zero);

            var moved = largest * t * two;
            previous = Vector256.ConditionalSelect(active, Vector256.ConditionalSelect(Vector256.Equals(t, half), largest, nan), previous);
            for (var i = 0; i < dims; i++)
            {
                x[i] = Vector256.ConditionalSelect(active, candidate[i], x[i]);
            }

            var exps = work.Exps;
            var candidateExps = work.CandidateExps;
            for (var e = 0; e < exps.Length; e++)
            {
                exps[e] = Vector256.ConditionalSelect(active, candidateExps[e], exps[e]);
            }

            f = Vector256.ConditionalSelect(active, fc, f);
            iterations += Vector256.ConditionalSelect(active, one, zero);
            active = Vector256.AndNot(active, Vector256.LessThan(moved, tolerance)) & Vector256.LessThan(iterations, maxIterations);
        }
    }

    /// <summary>
    /// <see cref="Objective"/> in the lanes of <paramref name="mask"/> (the others' results are not defined and their
    /// exponentials not written); a lane's pair without comparisons adds nothing (the scalar path adds ±0 there, no change).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<double> ObjectiveLanes(Vector256<double>[] x, int k, (int I, int J)[] pairs, Vector256<double>[] counts, double regularization, Vector256<double> dav, bool anyDav, Vector256<double>[] exps, Vector256<double> mask)
    {
        var zero = Vector256<double>.Zero;
        var halfLambda = Vector256.Create(regularization / 2);
        var two = Vector256.Create(2.0);
        var half = Vector256.Create(0.5);
        var negativeInfinity = Vector256.Create(double.NegativeInfinity);
        var f = zero;
        for (var i = 0; i < k; i++)
        {
            f -= halfLambda * x[i] * x[i];
        }

        var davidsonLanes = anyDav ? (int)dav.ExtractMostSignificantBits() : 0;
        var maskBits = (int)mask.ExtractMostSignificantBits();
        // Per lane: a − m, b − m, c − m, m and log D of the pair in hand.
        Span<double> scratch = stackalloc double[5 * Lanes];
        ref var s0 = ref MemoryMarshal.GetReference(scratch);
        for (var p = 0; p < pairs.Length; p++)
        {
            var (i, j) = pairs[p];
            var c0 = counts[p * 3];
            var c1 = counts[(p * 3) + 1];
            var c2 = counts[(p * 3) + 2];
            var need = maskBits & ~(int)Vector256.Equals(c0 + c1 + c2, zero).ExtractMostSignificantBits();
            if (need == 0)
            {
                continue;
            }

            var a = x[i];
            var b = x[j];
            var c = anyDav ? Vector256.ConditionalSelect(dav, x[k] + ((a + b) / two), negativeInfinity) : negativeInfinity;
            var max = Vector256.Max(a, Vector256.Max(b, c));
            (a - max).StoreUnsafe(ref s0);
            (b - max).StoreUnsafe(ref s0, Lanes);
            (c - max).StoreUnsafe(ref s0, 2 * Lanes);
            max.StoreUnsafe(ref s0, 3 * Lanes);
            zero.StoreUnsafe(ref s0, 4 * Lanes);
            ref var e0 = ref Unsafe.As<Vector256<double>, double>(ref exps[(p * 4) + 3]);
            e0 = ref Unsafe.Subtract(ref e0, 3 * Lanes);
            var bits = need;
            while (bits != 0)
            {
                var l = BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                // One of the three is the maximum, whose e^0 is exactly 1: no call for it (the same bits as calling).
                var da = Unsafe.Add(ref s0, l);
                var db = Unsafe.Add(ref s0, Lanes + l);
                var ea = da == 0 ? 1 : Math.Exp(da);
                var eb = db == 0 ? 1 : Math.Exp(db);
                var ec = 0.0;
                if ((davidsonLanes & (1 << l)) != 0)
                {
                    var dc = Unsafe.Add(ref s0, (2 * Lanes) + l);
                    ec = dc == 0 ? 1 : Math.Exp(dc);
                }

                var d = ea + eb + ec;
                Unsafe.Add(ref e0, l) = ea;
                Unsafe.Add(ref e0, Lanes + l) = eb;
                Unsafe.Add(ref e0, (2 * Lanes) + l) = ec;
                Unsafe.Add(ref e0, (3 * Lanes) + l) = d;
                Unsafe.Add(ref s0, (4 * Lanes) + l) = Unsafe.Add(ref s0, (3 * Lanes) + l) + Math.Log(d);
            }

            var logDv = Vector256.LoadUnsafe(ref s0, 4 * Lanes);
            f += (c0 * (a - logDv)) + (c1 * (b - logDv));
            var asHalves = c2 * ((half * a) + (half * b) - logDv);
            f += anyDav ? Vector256.ConditionalSelect(dav, c2 * (c - logDv), asHalves) : asHalves;
        }

        return f;
    }

    /// <summary>
    /// <see cref="Derivatives"/> in every lane (with Davidson's ν in the lanes of <paramref name="dav"/>; when none has it,
    /// <paramref name="size"/> is k); a lane's pair without comparisons adds −0.0 (no change) where the scalar path skips it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DerivativesLanes(Vector256<double>[] x, int size, int k, (int I, int J)[] pairs, Vector256<double>[] counts, double regularization, Vector256<double> dav, bool anyDav, Vector256<double>[] exps, Vector256<double>[] grad, Vector256<double>[] h, int stride)
    {
        var zero = Vector256<double>.Zero;
        var noChange = Vector256.Create(-0.0);
        var half = Vector256.Create(0.5);
        var two = Vector256.Create(2.0);
        var lambda = Vector256.Create(regularization);
        Array.Clear(grad, 0, size);
        for (var r = 0; r < size; r++)
        {
            Array.Clear(h, r * stride, size);
        }

        for (var i = 0; i < k; i++)
        {
            grad[i] -= lambda * x[i];
            h[(i * stride) + i] += lambda;
        }

        if (anyDav)
        {
            h[(k * stride) + k] += Vector256.Create(1e-9);
        }

        for (var p = 0; p < pairs.Length; p++)
        {
            var (i, j) = pairs[p];
            var c0 = counts[p * 3];
            var c1 = counts[(p * 3) + 1];
            var c2 = counts[(p * 3) + 2];
            var n = c0 + c1 + c2;
            var some = ~Vector256.Equals(n, zero);
            if (some == zero)
            {
                continue;
            }

            var d = exps[(p * 4) + 3];
            var p0 = exps[p * 4] / d;
            var p1 = exps[(p * 4) + 1] / d;
            var p2 = exps[(p * 4) + 2] / d;
            var halfTies = Vector256.ConditionalSelect(dav, zero, c2 / two);
            var y0 = c0 + halfTies;
            var y1 = c1 + halfTies;
            var y2 = Vector256.ConditionalSelect(dav, c2, zero);
            var r0 = y0 - (n * p0);
            var r1 = y1 - (n * p1);
            var r2 = y2 - (n * p2);
            var r2Half = Vector256.ConditionalSelect(some, r2 * half, noChange);
            grad[i] += Vector256.ConditionalSelect(some, r0, noChange);
            grad[i] += r2Half;
            grad[j] += Vector256.ConditionalSelect(some, r1, noChange);
            grad[j] += r2Half;
            var g0 = p0 + (p2 * half);
            var g1 = p1 + (p2 * half);
            var quarter = p2 * half * half;
            var hii = Vector256.ConditionalSelect(some, n * (p0 + quarter - (g0 * g0)), noChange);
            var hij = Vector256.ConditionalSelect(some, n * (quarter - (g0 * g1)), noChange);
            var hjj = Vector256.ConditionalSelect(some, n * (p1 + quarter - (g1 * g1)), noChange);
            h[(i * stride) + i] += hii;
            h[(i * stride) + j] += hij;
            h[(j * stride) + i] += hij;
            h[(j * stride) + j] += hjj;
            if (anyDav)
            {
                var g2 = p2;
                var halfP2 = p2 * half;
                grad[k] += Vector256.ConditionalSelect(some, r2, noChange);
                var hik = Vector256.ConditionalSelect(some, n * (halfP2 - (g0 * g2)), noChange);
                var hjk = Vector256.ConditionalSelect(some, n * (halfP2 - (g1 * g2)), noChange);
                h[(i * stride) + k] += hik;
                h[(k * stride) + i] += hik;
                h[(j * stride) + k] += hjk;
                h[(k * stride) + j] += hjk;
                h[(k * stride) + k] += Vector256.ConditionalSelect(some, n * (p2 - (g2 * g2)), noChange);
            }
        }
    }

    /// <summary>
    /// <see cref="CholeskySolve"/> in every lane; a non-positive pivot in a lane of <paramref name="active"/> throws as
    /// there (the other lanes' values are not used).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CholeskySolveLanes(Vector256<double>[] a, int stride, Vector256<double>[] b, Vector256<double>[] x, int n, Vector256<double> active)
    {
        if (n < 0 || n > stride || (n > 0 && ((long)(n - 1) * stride) + n > a.Length) || b.Length < n || x.Length < n)
        {
            throw new ArgumentException($"a {n} x {n} system with stride {stride} does not fit arrays of {a.Length}, {b.Length} and {x.Length}");
        }

        var zero = Vector256<double>.Zero;
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(a);
        for (var j = 0; j < n; j++)
        {
            ref var rowJ = ref Unsafe.Add(ref a0, j * stride);
            var d = Unsafe.Add(ref rowJ, j);
            for (var m = 0; m < j; m++)
            {
                d -= Unsafe.Add(ref rowJ, m) * Unsafe.Add(ref rowJ, m);
            }

            if (Vector256.AndNot(active, Vector256.GreaterThan(d, zero)) != zero)
            {
                throw new ArgumentException("the Newton system is not positive definite");
            }

            var pivot = Vector256.Sqrt(d);
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

    /// <summary>
    /// <see cref="Bootstrap.PercentileInPlace"/> of one item's replicates, with a sort compiled optimised at its first call: in
    /// the report the library's generic sort of doubles ran at tier 0 through case study IV (21,600 columns of 200 values), the
    /// background compiler being busy with earlier sections' methods. Without NaNs and zeros, doubles that compare equal have
    /// the same bits, so any correct sort gives the same sorted values and so the same interval; a column holding a zero (−0.0
    /// and +0.0 compare equal, and their order would be the sort's) is left to the library's sort.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Interval ReplicatePercentile(Span<double> replicates, double level)
    {
        var n = 0;
        var zero = false;
        for (var i = 0; i < replicates.Length; i++)
        {
            var v = replicates[i];
            if (!double.IsNaN(v))
            {
                replicates[n++] = v;
                zero |= v == 0;
            }
        }

        var kept = replicates[..n];
        if (n == 0 || zero)
        {
            return Bootstrap.PercentileInPlace(kept, level);
        }

        SortWithoutZerosOrNaNs(kept, 2 * (BitOperations.Log2((uint)n) + 1));
        return new Interval(Bootstrap.Quantile(kept, (1 - level) / 2), Bootstrap.Quantile(kept, (1 + level) / 2));
    }

    /// <summary>Ascending sort of values without NaNs: quicksort with a median-of-three pivot, insertion sort below 17 values; past <paramref name="depth"/> partitions, the library's sort.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SortWithoutZerosOrNaNs(Span<double> a, int depth)
    {
        while (a.Length > 16)
        {
            if (depth-- == 0)
            {
                a.Sort();
                return;
            }

            var hi = a.Length - 1;
            var mid = hi >> 1;
            if (a[mid] < a[0])
            {
                (a[0], a[mid]) = (a[mid], a[0]);
            }

            if (a[hi] < a[0])
            {
                (a[0], a[hi]) = (a[hi], a[0]);
            }

            if (a[hi] < a[mid])
            {
                (a[mid], a[hi]) = (a[hi], a[mid]);
            }

            // a[0] <= pivot <= a[hi]; the pivot parked at hi - 1 stops the left scan, a[0] the right one.
            var pivot = a[mid];
            (a[mid], a[hi - 1]) = (a[hi - 1], a[mid]);
            var left = 0;
            var right = hi - 1;
            while (true)
            {
                while (a[++left] < pivot)
                {
                }

                while (pivot < a[--right])
                {
                }

                if (left >= right)
                {
                    break;
                }

                (a[left], a[right]) = (a[right], a[left]);
            }

            (a[left], a[hi - 1]) = (a[hi - 1], a[left]);
            // a[..left] <= pivot = a[left] <= a[(left + 1)..]: sort the smaller side by recursion, loop on the larger.
            if (left < a.Length - left - 1)
            {
                SortWithoutZerosOrNaNs(a[..left], depth);
                a = a[(left + 1)..];
            }
            else
            {
                SortWithoutZerosOrNaNs(a[(left + 1)..], depth);
                a = a[..left];
            }
        }

        for (var i = 1; i < a.Length; i++)
        {
            var v = a[i];
            var j = i - 1;
            while (j >= 0 && v < a[j])
            {
                a[j + 1] = a[j];
                j--;
            }

            a[j + 1] = v;
        }
    }
}
