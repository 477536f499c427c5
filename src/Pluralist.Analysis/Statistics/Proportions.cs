using MathNet.Numerics.Distributions;

namespace Pluralist.Analysis.Statistics;

/// <summary>A two-sided interval [Lower, Upper].</summary>
public readonly record struct Interval(double Lower, double Upper)
{
    public static Interval Undefined { get; } = new(double.NaN, double.NaN);

    public bool Contains(double x) => x >= Lower && x <= Upper;
}

/// <summary>Intervals and tests for proportions.</summary>
public static class Proportions
{
    /// <summary>
    /// Wilson score interval (Wilson 1927) for k successes in n trials:
    /// (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n), z the 1 − (1 − level)/2 normal quantile.
    /// Undefined (NaN) when n = 0.
    /// </summary>
    public static Interval Wilson(int successes, int trials, double level = 0.95)
    {
        if (trials < 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), $"need 0 <= successes <= trials; got {successes} of {trials}");
        }

        if (trials == 0)
        {
            return Interval.Undefined;
        }

        var z = Normal.InvCDF(0, 1, 1 - ((1 - level) / 2));
        double n = trials;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var centre = (p + (z2 / (2 * n))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / denominator;
        return new Interval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Two-sided exact sign test of wins against losses (ties dropped): with n = w + l and
    /// X ~ Binomial(n, ½), p = min(1, 2 P(X ≤ min(w, l))). 1 when n = 0.
    /// </summary>
    public static double SignTest(int wins, int losses)
    {
        var n = wins + losses;
        if (n == 0)
        {
            return 1;
        }

        return Math.Min(1, 2 * Binomial.CDF(0.5, n, Math.Min(wins, losses)));
    }

    /// <summary>
    /// Two-proportion z test with the pooled variance: z = (p₁ − p₂) / √(p̄(1 − p̄)(1/n₁ + 1/n₂)),
    /// two-sided p = 2(1 − Φ(|z|)). Assumes independent observations. NaN when undefined.
    /// </summary>
    public static (double Z, double P) TwoProportionZ(int k1, int n1, int k2, int n2)
    {
        if (n1 == 0 || n2 == 0)
        {
            return (double.NaN, double.NaN);
        }

        var pooled = (double)(k1 + k2) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / n1) + (1.0 / n2)));
        if (se == 0)
        {
            return (0, 1);
        }

        var z = (((double)k1 / n1) - ((double)k2 / n2)) / se;
        return (z, 2 * (1 - Normal.CDF(0, 1, Math.Abs(z))));
    }
}
