namespace Pluralist.Analysis.Statistics;

/// <summary>Permutation p-values.</summary>
public static class PermutationTest
{
    /// <summary>
    /// One-sided p-value in the direction of the observed deviation from the permutation median
    /// (as for GAI in DIVE): above the median p = (1 + #{t ≥ observed}) / (1 + B), below it
    /// p = (1 + #{t ≤ observed}) / (1 + B), with B the number of permutation statistics
    /// (Phipson and Smyth 2010 add one so that p is never 0). NaN when observed is NaN or B = 0.
    /// </summary>
    public static (double Median, double P) DirectionalP(double observed, IReadOnlyList<double> permuted)
    {
        ArgumentNullException.ThrowIfNull(permuted);
        if (permuted.Count == 0)
        {
            return (double.NaN, double.NaN);
        }

        var sorted = permuted.Order().ToArray();
        var b = sorted.Length;
        var median = b % 2 == 1 ? sorted[b / 2] : (sorted[(b / 2) - 1] + sorted[b / 2]) / 2;
        if (double.IsNaN(observed))
        {
            return (median, double.NaN);
        }

        var extreme = observed >= median ? sorted.Count(t => t >= observed) : sorted.Count(t => t <= observed);
        return (median, (1.0 + extreme) / (1.0 + b));
    }
}
