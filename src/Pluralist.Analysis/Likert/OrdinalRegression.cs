using MathNet.Numerics.Distributions;

namespace Pluralist.Analysis.Likert;

/// <summary>A fitted proportional-odds model: thresholds α, coefficients β with Wald standard errors, and the likelihood-ratio test of β = 0.</summary>
public sealed record OrdinalFit(
    IReadOnlyList<int> Categories,
    IReadOnlyList<double> Thresholds,
    IReadOnlyList<double> Coefficients,
    IReadOnlyList<double> StandardErrors,
    double LogLikelihood,
    double NullLogLikelihood,
    double LikelihoodRatio,
    int DegreesOfFreedom,
    double LikelihoodRatioP,
    int Iterations,
    bool Converged)
{
    /// <summary>Two-sided Wald p-value of coefficient k: 2(1 − Φ(|β/se|)).</summary>
    public double WaldP(int k) => double.IsFinite(StandardErrors[k]) && StandardErrors[k] > 0 ? 2 * (1 - Normal.CDF(0, 1, Math.Abs(Coefficients[k] / StandardErrors[k]))) : double.NaN;
}

/// <summary>
/// Cumulative-logit (proportional-odds) regression, McCullagh (1980): P(Y ≤ j | x) = σ(α_j − xᵀβ) for the
/// observed categories j = 1..K − 1 (values not observed are left out, so every threshold is identified), so a
/// positive β shifts ratings up. Maximum likelihood by Newton's method with step halving: the gradient is
/// analytic, the Hessian the central difference of the gradient (the models here have a few group terms).
/// </summary>
public static class OrdinalRegression
{
    /// <summary>Fits y (any integers; their order is the scale's) on the rows of x (n × p, p may be 0).</summary>
    public static OrdinalFit Fit(IReadOnlyList<int> y, IReadOnlyList<double[]> x, int maxIterations = 100, double tolerance = 1e-9)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(x);
        if (y.Count != x.Count || y.Count == 0)
        {
            throw new ArgumentException("need as many covariate rows as answers, and at least one answer");
        }

        var categories = y.Distinct().Order().ToArray();
        if (categories.Length < 2)
        {
            throw new ArgumentException("an ordinal regression needs at least two observed categories");
        }

        var rank = categories.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i);
        var cls = y.Select(v => rank[v]).ToArray(); // 0..K−1
        var k = categories.Length;
        var p = x[0].Length;
        if (x.Any(row => row.Length != p))
        {
            throw new ArgumentException("every covariate row needs the same length");
        }

        // Start: thresholds at the logits of the cumulative shares, β = 0 (the null model's optimum).
        var theta = new double[k - 1 + p];
        var counts = new double[k];
        foreach (var c in cls)
        {
            counts[c]++;
        }

        double cumulative = 0;
        for (var j = 0; j < k - 1; j++)
        {
            cumulative += counts[j];
            var share = cumulative / cls.Length;
            theta[j] = Math.Log(share / (1 - share));
        }

        var nullLl = counts.Where(c => c > 0).Sum(c => c * Math.Log(c / cls.Length));
        var ll = LogLikelihood(theta, cls, x, k);
        var iterations = 0;
        var converged = false;
        for (; iterations < maxIterations; iterations++)
        {
            var grad = Gradient(theta, cls, x, k);
            var negHessian = NegHessian(theta, cls, x, k);
            var step = Solve(negHessian, grad);
            if (step is null)
            {
                break;
            }

            var t = 1.0;
            double[] candidate;
            double llc;
            do
            {
                candidate = theta.Select((v, i) => v + (t * step[i])).ToArray();
                llc = LogLikelihood(candidate, cls, x, k);
                t /= 2;
            }
            while (!(llc >= ll - 1e-12) && t > 1e-12);

            if (!(llc >= ll - 1e-12))
            {
                break;
            }

            var moved = step.Max(Math.Abs) * t * 2;
            theta = candidate;
            ll = llc;
            if (moved < tolerance)
            {
                converged = true;
                iterations++;
                break;
            }
        }

        var se = new double[p];
        Array.Fill(se, double.NaN);
        var covariance = Invert(NegHessian(theta, cls, x, k));
        if (covariance is not null)
        {
            for (var i = 0; i < p; i++)
            {
                var v = covariance[k - 1 + i, k - 1 + i];
                se[i] = v > 0 ? Math.Sqrt(v) : double.NaN;
            }
        }

        var lr = Math.Max(0, 2 * (ll - nullLl));
        var lrP = p == 0 ? double.NaN : 1 - ChiSquared.CDF(p, lr);
        return new OrdinalFit(categories, theta[..(k - 1)], theta[(k - 1)..], se, ll, nullLl, lr, p, lrP, iterations, converged);
    }

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>P(Y = c) = σ(α_c − η) − σ(α_{c−1} − η) with α_{−1} = −∞, α_{K−1} = +∞; NaN when the thresholds are out of order.</summary>
    private static double LogLikelihood(double[] theta, int[] cls, IReadOnlyList<double[]> x, int k)
    {
        for (var j = 1; j < k - 1; j++)
        {
            if (!(theta[j] > theta[j - 1]))
            {
                return double.NegativeInfinity;
            }
        }

        double ll = 0;
        for (var n = 0; n < cls.Length; n++)
        {
            var eta = Eta(theta, x[n], k);
            var c = cls[n];
            var upper = c == k - 1 ? 1 : Sigmoid(theta[c] - eta);
            var lower = c == 0 ? 0 : Sigmoid(theta[c - 1] - eta);
            ll += Math.Log(upper - lower);
        }

        return ll;
    }

    private static double Eta(double[] theta, double[] row, int k)
    {
        double eta = 0;
        for (var i = 0; i < row.Length; i++)
        {
            eta += row[i] * theta[k - 1 + i];
        }

        return eta;
    }

    /// <summary>∂/∂α_c log P = f(a)/P, ∂/∂α_{c−1} log P = −f(b)/P, ∂/∂β log P = −x (f(a) − f(b))/P, f = σ(1 − σ).</summary>
    private static double[] Gradient(double[] theta, int[] cls, IReadOnlyList<double[]> x, int k)
    {
        var g = new double[theta.Length];
        for (var n = 0; n < cls.Length; n++)
        {
            var eta = Eta(theta, x[n], k);
            var c = cls[n];
            double fu = 0, fl = 0, upper = 1, lower = 0;
            if (c < k - 1)
            {
                upper = Sigmoid(theta[c] - eta);
                fu = upper * (1 - upper);
            }

            if (c > 0)
            {
                lower = Sigmoid(theta[c - 1] - eta);
                fl = lower * (1 - lower);
            }

            var prob = upper - lower;
            if (c < k - 1)
            {
                g[c] += fu / prob;
            }

            if (c > 0)
            {
                g[c - 1] -= fl / prob;
            }

            for (var i = 0; i < x[n].Length; i++)
            {
                g[k - 1 + i] -= x[n][i] * (fu - fl) / prob;
            }
        }

        return g;
    }

    private static double[,] NegHessian(double[] theta, int[] cls, IReadOnlyList<double[]> x, int k)
    {
        var m = theta.Length;
        var h = new double[m, m];
        const double eps = 1e-5;
        for (var j = 0; j < m; j++)
        {
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[j] += eps;
            minus[j] -= eps;
            var gp = Gradient(plus, cls, x, k);
            var gm = Gradient(minus, cls, x, k);
            for (var i = 0; i < m; i++)
            {
                h[i, j] = -(gp[i] - gm[i]) / (2 * eps);
            }
        }

        for (var i = 0; i < m; i++)
        {
            for (var j = i + 1; j < m; j++)
            {
                var s = (h[i, j] + h[j, i]) / 2;
                h[i, j] = s;
                h[j, i] = s;
            }
        }

        return h;
    }

    private static double[]? Solve(double[,] a, double[] b)
    {
        var inverse = Invert(a);
        if (inverse is null)
        {
            return null;
        }

        var n = b.Length;
        var x = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                x[i] += inverse[i, j] * b[j];
            }
        }

        return x;
    }

    /// <summary>Gauss-Jordan inverse with partial pivoting; null when singular.</summary>
    private static double[,]? Invert(double[,] a)
    {
        var n = a.GetLength(0);
        var m = new double[n, 2 * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                m[i, j] = a[i, j];
            }

            m[i, n + i] = 1;
        }

        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col]))
                {
                    pivot = r;
                }
            }

            if (!(Math.Abs(m[pivot, col]) > 1e-12))
            {
                return null;
            }

            for (var j = 0; j < 2 * n; j++)
            {
                (m[col, j], m[pivot, j]) = (m[pivot, j], m[col, j]);
            }

            var d = m[col, col];
            for (var j = 0; j < 2 * n; j++)
            {
                m[col, j] /= d;
            }

            for (var r = 0; r < n; r++)
            {
                if (r == col || m[r, col] == 0)
                {
                    continue;
                }

                var f = m[r, col];
                for (var j = 0; j < 2 * n; j++)
                {
                    m[r, j] -= f * m[col, j];
                }
            }
        }

        var inv = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                inv[i, j] = m[i, n + j];
            }
        }

        return inv;
    }
}
