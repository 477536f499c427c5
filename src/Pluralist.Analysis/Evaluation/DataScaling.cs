using MathNet.Numerics.Distributions;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Evaluation;

/// <summary>One criterion of the data-scaling analysis: its training labels and the aligned model's evaluation answers on it.</summary>
public sealed record ScalingPoint(string Criterion, int Labels, WinTieLoss Counts, Interval PromptBootstrap);

/// <summary>
/// The trend of the win rate with the number of training labels across criteria: Spearman's ρ of (labels, win rate)
/// with a permutation p-value, and a binomial logistic regression of the non-tied answers on x = ln(1 + labels).
/// </summary>
public sealed record ScalingTrend(
    int Criteria,
    double SpearmanRho,
    double SpearmanPGreater,
    double SpearmanPTwoSided,
    bool ExactPermutation,
    int PermutationsUsed,
    double Intercept,
    double Slope,
    double SlopeSe,
    double WaldP,
    double LikelihoodRatio,
    double LikelihoodRatioP,
    double Dispersion,
    double QuasiP,
    string? Warning);

/// <summary>The data-scaling analysis: one point per criterion and the trend across them.</summary>
public sealed record ScalingReport(IReadOnlyList<ScalingPoint> Points, ScalingTrend Trend);

/// <summary>
/// LIVS's claim that "criteria with more training annotations gain more", as a test: per criterion, the number of
/// training labels (rows of the training split for that criterion) against the aligned model's evaluation win rate
/// on that criterion (ties excluded; Wilson and prompt-bootstrap intervals). The unit of the trend is the criterion,
/// so with few criteria nothing can be said, whatever the number of answers; the report warns below
/// <see cref="MinCriteria"/>.
/// </summary>
public static class DataScaling
{
    /// <summary>Below this many criteria with evaluation answers the trend is reported with a warning.</summary>
    public const int MinCriteria = 4;

    /// <summary>Up to this many criteria the permutation test enumerates every permutation (8! = 40,320).</summary>
    public const int ExactUpTo = 8;

    /// <summary>
    /// Points for every criterion that has training labels or evaluation answers (labels 0 when the training dataset has
    /// none for it), and the trend over the criteria with at least one non-tied answer.
    /// </summary>
    public static ScalingReport Analyze(IReadOnlyDictionary<string, int> labels, IReadOnlyList<ABJudgement> judgements, BootstrapOptions? bootstrap = null, int permutations = 10000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(judgements);
        bootstrap ??= new BootstrapOptions();
        var byCriterion = judgements.GroupBy(j => j.Criterion, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<ABJudgement>)g.ToList(), StringComparer.Ordinal);
        var points = new List<ScalingPoint>();
        foreach (var c in labels.Keys.Concat(byCriterion.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var answers = byCriterion.GetValueOrDefault(c) ?? [];
            var summary = ABStudy.Summarize(c, answers, bootstrap);
            points.Add(new ScalingPoint(c, labels.GetValueOrDefault(c), summary.Counts, summary.ByPromptBootstrap));
        }

        var used = points.Where(p => p.Counts.Wins + p.Counts.Losses > 0).ToList();
        return new ScalingReport(points, Trend(used.Select(p => (p.Labels, p.Counts.Wins, p.Counts.Losses)).ToList(), permutations, seed));
    }

    /// <summary>The trend over criteria given as (labels, wins, losses); criteria without non-tied answers must be left out by the caller.</summary>
    public static ScalingTrend Trend(IReadOnlyList<(int Labels, int Wins, int Losses)> criteria, int permutations = 10000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        var k = criteria.Count;
        string? warning = null;
        if (k < MinCriteria)
        {
            var smallest = k <= 1 ? 1 : 1.0 / Factorial(k);
            warning = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"only {k} criteria have evaluation answers: too few to say anything about a trend across criteria (at least {MinCriteria} are needed; with {k} the smallest possible one-sided permutation p is {smallest:0.###})");
        }

        var x = criteria.Select(c => Math.Log(1 + c.Labels)).ToArray();
        var rate = criteria.Select(c => (double)c.Wins / (c.Wins + c.Losses)).ToArray();
        var (rho, pGreater, pTwo, exact, b) = SpearmanTest(x, rate, permutations, seed);
        var fit = Logistic(x, criteria.Select(c => (double)c.Wins).ToArray(), criteria.Select(c => (double)(c.Wins + c.Losses)).ToArray());
        return new ScalingTrend(k, rho, pGreater, pTwo, exact, b, fit.Intercept, fit.Slope, fit.SlopeSe, fit.WaldP, fit.Lr, fit.LrP, fit.Dispersion, fit.QuasiP, warning);
    }

    /// <summary>Average ranks (1-based; ties share the mean of their ranks).</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]])
            {
                j++;
            }

            for (var t = i; t <= j; t++)
            {
                ranks[order[t]] = ((i + j) / 2.0) + 1;
            }

            i = j + 1;
        }

        return ranks;
    }

    /// <summary>Spearman's ρ: Pearson's correlation of the average ranks; NaN when either variable is constant.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y));

    /// <summary>
    /// ρ with permutation p-values that shuffle the labels' ranks across criteria: every permutation when there are at
    /// most <see cref="ExactUpTo"/> criteria (p = #{ρ* ≥ ρ}/k!, the identity included), otherwise B random permutations
    /// (p = (1 + #{ρ* ≥ ρ})/(1 + B)). Two-sided with |ρ*| ≥ |ρ|.
    /// </summary>
    public static (double Rho, double PGreater, double PTwoSided, bool Exact, int Permutations) SpearmanTest(IReadOnlyList<double> x, IReadOnlyList<double> y, int permutations, int seed)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var k = x.Count;
        var rx = Ranks(x);
        var ry = Ranks(y);
        var rho = Pearson(rx, ry);
        if (k < 2 || double.IsNaN(rho))
        {
            return (rho, double.NaN, double.NaN, false, 0);
        }

        const double eps = 1e-12;
        var perm = new double[k];
        if (k <= ExactUpTo)
        {
            long greater = 0, two = 0, total = 0;
            var index = Enumerable.Range(0, k).ToArray();
            do
            {
                for (var i = 0; i < k; i++)
                {
                    perm[i] = rx[index[i]];
                }

                var r = Pearson(perm, ry);
                total++;
                greater += r >= rho - eps ? 1 : 0;
                two += Math.Abs(r) >= Math.Abs(rho) - eps ? 1 : 0;
            }
            while (NextPermutation(index));
            return (rho, (double)greater / total, (double)two / total, true, (int)total);
        }

        if (permutations <= 0)
        {
            return (rho, double.NaN, double.NaN, false, 0);
        }

        int g = 0, t2 = 0;
        for (var p = 0; p < permutations; p++)
        {
            var rng = new Random(Seeds.For(seed, p));
            Array.Copy(rx, perm, k);
            for (var i = k - 1; i > 0; i--)
            {
                var j = rng.Next(i + 1);
                (perm[i], perm[j]) = (perm[j], perm[i]);
            }

            var r = Pearson(perm, ry);
            g += r >= rho - eps ? 1 : 0;
            t2 += Math.Abs(r) >= Math.Abs(rho) - eps ? 1 : 0;
        }

        return (rho, (1.0 + g) / (1.0 + permutations), (1.0 + t2) / (1.0 + permutations), false, permutations);
    }

    /// <summary>
    /// Binomial logistic regression logit P(win) = a + b x over grouped counts (w_i wins of m_i non-tied answers),
    /// fitted by Newton's method with step halving: the slope with its Wald test, the likelihood-ratio test against the
    /// intercept-only model, the Pearson dispersion φ = Σ (w − m p)²/(m p (1 − p)) / (k − 2) and a quasi-binomial p
    /// (t with k − 2 degrees of freedom, standard error times √max(1, φ)), which allows for criteria varying more than
    /// the binomial allows. NaN where undefined (fewer than two distinct x, or a separated fit).
    /// </summary>
    public static (double Intercept, double Slope, double SlopeSe, double WaldP, double Lr, double LrP, double Dispersion, double QuasiP) Logistic(double[] x, double[] wins, double[] trials)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(wins);
        ArgumentNullException.ThrowIfNull(trials);
        var nan = (double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var k = x.Length;
        if (k < 2 || x.Distinct().Count() < 2)
        {
            return nan;
        }

        double LogLik(double a, double b)
        {
            var ll = 0.0;
            for (var i = 0; i < k; i++)
            {
                var eta = a + (b * x[i]);
                // w log p + (m − w) log(1 − p) = w η − m log(1 + e^η)
                ll += (wins[i] * eta) - (trials[i] * Softplus(eta));
            }

            return ll;
        }

        var total = trials.Sum();
        var pooled = wins.Sum() / total;
        if (pooled is <= 0 or >= 1)
        {
            return nan;
        }

        double a0 = Math.Log(pooled / (1 - pooled)), b0 = 0;
        var ll0 = LogLik(a0, 0);
        var current = ll0;
        double haa = 0, hab = 0, hbb = 0;
        var converged = false;
        for (var iter = 0; iter < 100; iter++)
        {
            double ga = 0, gb = 0;
            haa = hab = hbb = 0;
            for (var i = 0; i < k; i++)
            {
                var p = Sigmoid(a0 + (b0 * x[i]));
                var r = wins[i] - (trials[i] * p);
                var v = trials[i] * p * (1 - p);
                ga += r;
                gb += r * x[i];
                haa += v;
                hab += v * x[i];
                hbb += v * x[i] * x[i];
            }

            var det = (haa * hbb) - (hab * hab);
            if (!(det > 0))
            {
                return nan;
            }

            var da = ((hbb * ga) - (hab * gb)) / det;
            var db = ((haa * gb) - (hab * ga)) / det;
            var step = 1.0;
            double na = a0, nb = b0, next = current;
            for (var h = 0; h < 30; h++)
            {
                na = a0 + (step * da);
                nb = b0 + (step * db);
                next = LogLik(na, nb);
                if (next >= current - 1e-12)
                {
                    break;
                }

                step /= 2;
            }

            var change = Math.Abs(na - a0) + Math.Abs(nb - b0);
            (a0, b0, current) = (na, nb, next);
            if (change < 1e-10)
            {
                converged = true;
                break;
            }
        }

        if (!converged || Math.Abs(b0) > 50)
        {
            return nan;
        }

        // Information at the optimum (recomputed there).
        haa = hab = hbb = 0;
        var pearson = 0.0;
        for (var i = 0; i < k; i++)
        {
            var p = Sigmoid(a0 + (b0 * x[i]));
            var v = trials[i] * p * (1 - p);
            haa += v;
            hab += v * x[i];
            hbb += v * x[i] * x[i];
            pearson += (wins[i] - (trials[i] * p)) * (wins[i] - (trials[i] * p)) / v;
        }

        var se = Math.Sqrt(haa / ((haa * hbb) - (hab * hab)));
        var z = b0 / se;
        var wald = 2 * (1 - Normal.CDF(0, 1, Math.Abs(z)));
        var lr = Math.Max(0, 2 * (current - ll0));
        var lrP = 1 - ChiSquared.CDF(1, lr);
        var dispersion = k > 2 ? pearson / (k - 2) : double.NaN;
        var quasi = k > 2 ? 2 * (1 - StudentT.CDF(0, 1, k - 2, Math.Abs(b0 / (se * Math.Sqrt(Math.Max(1, dispersion)))))) : double.NaN;
        return (a0, b0, se, wald, lr, lrP, dispersion, quasi);
    }

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    private static double Softplus(double z) => z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));

    private static double Pearson(double[] a, double[] b)
    {
        var n = a.Length;
        if (n < 2)
        {
            return double.NaN;
        }

        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < n; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    private static double Factorial(int k)
    {
        var f = 1.0;
        for (var i = 2; i <= k; i++)
        {
            f *= i;
        }

        return f;
    }

    // Lexicographic next permutation (Narayana Pandita); false after the last.
    private static bool NextPermutation(int[] a)
    {
        var i = a.Length - 2;
        while (i >= 0 && a[i] >= a[i + 1])
        {
            i--;
        }

        if (i < 0)
        {
            return false;
        }

        var j = a.Length - 1;
        while (a[j] <= a[i])
        {
            j--;
        }

        (a[i], a[j]) = (a[j], a[i]);
        Array.Reverse(a, i + 1, a.Length - i - 1);
        return true;
    }
}
