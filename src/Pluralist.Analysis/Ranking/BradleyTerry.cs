using MathNet.Numerics.LinearAlgebra;
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

/// <summary>Options of <see cref="BradleyTerry.Fit"/>.</summary>
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
public static class BradleyTerry
{
    public static BradleyTerryFit Fit(IReadOnlyList<PairComparison> comparisons, BradleyTerryOptions? options = null)
    {
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
        var (theta, nu, ll, iterations) = Solve(items.Length, coded, options);

        var intervals = new Interval[items.Length];
        Array.Fill(intervals, Interval.Undefined);
        if (options.BootstrapReplicates > 0 && coded.Length > 0)
        {
            var clusters = comparisons.Select((c, k) => (Key: c.Cluster ?? $"\u0001{k}", Index: k))
                .GroupBy(t => t.Key, StringComparer.Ordinal)
                .Select(g => g.Select(t => t.Index).ToArray())
                .ToArray();
            var samples = new double[options.BootstrapReplicates][];
            Parallel.For(0, options.BootstrapReplicates, b =>
            {
                var rng = new Random(Seeds.For(options.Seed, b));
                var resampled = new List<(int, int, PairWinner)>(coded.Length);
                for (var i = 0; i < clusters.Length; i++)
                {
                    foreach (var k in clusters[rng.Next(clusters.Length)])
                    {
                        resampled.Add(coded[k]);
                    }
                }

                samples[b] = Solve(items.Length, resampled.ToArray(), options).Theta;
            });
            for (var i = 0; i < items.Length; i++)
            {
                intervals[i] = Bootstrap.Percentile(samples.Select(s => s[i]), options.Level);
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

    /// <summary>Separate fits per scope (for example per prompt), in scope order.</summary>
    public static IReadOnlyList<(string Scope, BradleyTerryFit Fit)> FitPerScope<T>(IEnumerable<T> rows, Func<T, string> scope, Func<T, PairComparison> comparison, BradleyTerryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.GroupBy(scope, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, Fit(g.Select(comparison).ToList(), options)))
            .ToList();
    }

    private static (double[] Theta, double Nu, double LogLikelihood, int Iterations) Solve(int k, (int I, int J, PairWinner W)[] comparisons, BradleyTerryOptions options)
    {
        // Aggregate per ordered pair: wins of I, wins of J, ties.
        var pairs = new Dictionary<(int, int), double[]>();
        var anyTie = false;
        foreach (var (i, j, w) in comparisons)
        {
            var key = i < j ? (i, j) : (j, i);
            if (!pairs.TryGetValue(key, out var counts))
            {
                counts = new double[3];
                pairs[key] = counts;
            }

            var slot = w == PairWinner.Tie ? 2 : (w == PairWinner.Item0) == (i < j) ? 0 : 1;
            counts[slot]++;
            anyTie |= w == PairWinner.Tie;
        }

        var davidson = options.Ties == TieHandling.Davidson && anyTie;
        var p = k + (davidson ? 1 : 0);
        var x = new double[p];
        var f = Objective(x, k, pairs, options, davidson);
        var iterations = 0;
        for (; iterations < options.MaxIterations; iterations++)
        {
            var (grad, hess) = Derivatives(x, k, pairs, options, davidson);
            var step = Matrix<double>.Build.DenseOfArray(hess).Cholesky().Solve(Vector<double>.Build.DenseOfArray(grad));
            var t = 1.0;
            double[] candidate;
            double fc;
            do
            {
                candidate = x.Select((v, i) => v + (t * step[i])).ToArray();
                fc = Objective(candidate, k, pairs, options, davidson);
                t /= 2;
            }
            while (fc < f - 1e-12 && t > 1e-10);

            var moved = step.AbsoluteMaximum() * t * 2;
            x = candidate;
            f = fc;
            if (moved < options.Tolerance)
            {
                iterations++;
                break;
            }
        }

        var nu = davidson ? Math.Exp(x[k]) : options.Ties == TieHandling.Davidson ? 0 : double.NaN;
        return (x[..k], nu, f, iterations);
    }

    /// <summary>Penalised log-likelihood: Σ_pairs Σ_slots count · (y·z − log Σ e^z) − λ/2 Σ θ².</summary>
    private static double Objective(double[] x, int k, Dictionary<(int, int), double[]> pairs, BradleyTerryOptions options, bool davidson)
    {
        double f = 0;
        for (var i = 0; i < k; i++)
        {
            f -= options.Regularization / 2 * x[i] * x[i];
        }

        foreach (var ((i, j), counts) in pairs)
        {
            var a = x[i];
            var b = x[j];
            var c = davidson ? x[k] + ((a + b) / 2) : double.NegativeInfinity;
            var max = Math.Max(a, Math.Max(b, c));
            var logD = max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max) + (davidson ? Math.Exp(c - max) : 0));
            f += counts[0] * (a - logD) + (counts[1] * (b - logD));
            f += davidson ? counts[2] * (c - logD) : counts[2] * ((0.5 * a) + (0.5 * b) - logD);
        }

        return f;
    }

    /// <summary>Gradient of the penalised log-likelihood and the negated Hessian (positive definite).</summary>
    private static (double[] Grad, double[,] NegHessian) Derivatives(double[] x, int k, Dictionary<(int, int), double[]> pairs, BradleyTerryOptions options, bool davidson)
    {
        var p = x.Length;
        var grad = new double[p];
        var h = new double[p, p];
        for (var i = 0; i < k; i++)
        {
            grad[i] -= options.Regularization * x[i];
            h[i, i] += options.Regularization;
        }

        if (davidson)
        {
            h[k, k] += 1e-9; // keeps the system definite when every pair's tie share is extreme
        }

        Span<int> idx = stackalloc int[3];
        Span<double> w = stackalloc double[9]; // w[z * 3 + coordinate], coordinates (θ_i, θ_j, log ν)
        Span<double> prob = stackalloc double[3];
        Span<double> y = stackalloc double[3];
        Span<double> g = stackalloc double[3];
        foreach (var ((i, j), counts) in pairs)
        {
            var n = counts[0] + counts[1] + counts[2];
            var a = x[i];
            var b = x[j];
            var c = davidson ? x[k] + ((a + b) / 2) : double.NegativeInfinity;
            var max = Math.Max(a, Math.Max(b, c));
            var ea = Math.Exp(a - max);
            var eb = Math.Exp(b - max);
            var ec = davidson ? Math.Exp(c - max) : 0;
            var d = ea + eb + ec;
            prob[0] = ea / d;
            prob[1] = eb / d;
            prob[2] = ec / d;
            w.Clear();
            w[0] = 1;                 // z_0 = θ_i
            w[4] = 1;                 // z_1 = θ_j
            w[6] = 0.5;               // z_2 = log ν + (θ_i + θ_j)/2
            w[7] = 0.5;
            w[8] = davidson ? 1 : 0;
            // Sufficient outcome weights: Σ_k y_k z_k.
            y[0] = counts[0] + (davidson ? 0 : counts[2] / 2);
            y[1] = counts[1] + (davidson ? 0 : counts[2] / 2);
            y[2] = davidson ? counts[2] : 0;
            idx[0] = i;
            idx[1] = j;
            idx[2] = davidson ? k : -1;
            var dims = davidson ? 3 : 2;

            // Gradient: Σ_z (y_z − n p_z) w_z.  Hessian of n·logD: n (Σ_z p_z w_z w_zᵀ − m mᵀ), m = Σ_z p_z w_z.
            g.Clear();
            for (var z = 0; z < 3; z++)
            {
                for (var q = 0; q < dims; q++)
                {
                    grad[idx[q]] += (y[z] - (n * prob[z])) * w[(z * 3) + q];
                    g[q] += prob[z] * w[(z * 3) + q];
                }
            }

            for (var q = 0; q < dims; q++)
            {
                for (var r = 0; r < dims; r++)
                {
                    double s = 0;
                    for (var z = 0; z < 3; z++)
                    {
                        s += prob[z] * w[(z * 3) + q] * w[(z * 3) + r];
                    }

                    h[idx[q], idx[r]] += n * (s - (g[q] * g[r]));
                }
            }
        }

        return (grad, h);
    }
}
