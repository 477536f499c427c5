using MathNet.Numerics.Distributions;

namespace Pluralist.Analysis.Evaluation;

/// <summary>
/// A trend of a win rate over ordered points (a data-scaling curve): the Cochran-Armitage test of the wins among the
/// non-tied answers against a score x per point, and the binomial logistic regression logit P(win) = a + b x
/// (<see cref="DataScaling.Logistic"/>), whose slope the Cochran-Armitage statistic is the score test of.
/// </summary>
public sealed record DoseTrendTest(
    int Points,
    IReadOnlyList<double> Scores,
    double Statistic,
    double Z,
    double PIncreasing,
    double PTwoSided,
    double Intercept,
    double Slope,
    double SlopeSe,
    double WaldP,
    double LikelihoodRatioP,
    double Dispersion,
    double QuasiP,
    string? Warning);

/// <summary>The Cochran-Armitage trend test over grouped binomial counts.</summary>
public static class DoseTrend
{
    /// <summary>
    /// Points (score x_i, w_i wins of m_i non-tied answers); points without answers must be left out by the caller.
    /// T = Σ x_i (w_i − m_i p̄), Var T = p̄ (1 − p̄) (Σ m_i x_i² − (Σ m_i x_i)² / M), Z = T / √Var T with p̄ = W / M
    /// (Armitage 1955; the score test of the logistic slope). <see cref="DoseTrendTest.PIncreasing"/> is the upper
    /// tail (the win rate grows with x). NaN where the variance is 0 (one distinct score, or every answer a win or every one a loss).
    /// </summary>
    public static DoseTrendTest Test(IReadOnlyList<(double Score, int Wins, int Trials)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        foreach (var p in points)
        {
            if (p.Trials < 0 || p.Wins < 0 || p.Wins > p.Trials || !double.IsFinite(p.Score))
            {
                throw new ArgumentException($"bad point (score {p.Score}, wins {p.Wins}, trials {p.Trials})", nameof(points));
            }
        }

        var k = points.Count;
        double m = points.Sum(p => (double)p.Trials), w = points.Sum(p => (double)p.Wins);
        double pooled = m == 0 ? double.NaN : w / m;
        double t = points.Sum(p => p.Score * (p.Wins - (p.Trials * pooled)));
        double smx = points.Sum(p => p.Trials * p.Score), smxx = points.Sum(p => p.Trials * p.Score * p.Score);
        double variance = pooled * (1 - pooled) * (smxx - (smx * smx / m));
        double z = variance > 1e-12 ? t / Math.Sqrt(variance) : double.NaN;
        double upper = double.IsNaN(z) ? double.NaN : 1 - Normal.CDF(0, 1, z);
        double two = double.IsNaN(z) ? double.NaN : 2 * (1 - Normal.CDF(0, 1, Math.Abs(z)));
        var fit = DataScaling.Logistic([.. points.Select(p => p.Score)], [.. points.Select(p => (double)p.Wins)], [.. points.Select(p => (double)p.Trials)]);
        string? warning = k < 3
            ? $"only {k} point{(k == 1 ? "" : "s")} with answers: a trend over fewer than 3 points says little"
            : null;
        return new DoseTrendTest(k, [.. points.Select(p => p.Score)], t, z, upper, two, fit.Intercept, fit.Slope, fit.SlopeSe, fit.WaldP, fit.LrP, fit.Dispersion, fit.QuasiP, warning);
    }
}
