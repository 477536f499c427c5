namespace Pluralist.Analysis.Statistics;

/// <summary>Adjustments for many tests at once.</summary>
public static class MultipleTesting
{
    /// <summary>
    /// Benjamini-Hochberg (1995) adjusted p-values: with p_(1) ≤ … ≤ p_(m),
    /// q_(i) = min_{j ≥ i} min(1, m p_(j) / j). NaN p-values are left out of m and stay NaN.
    /// </summary>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        var q = Enumerable.Repeat(double.NaN, pValues.Count).ToArray();
        var order = Enumerable.Range(0, pValues.Count).Where(i => !double.IsNaN(pValues[i])).OrderBy(i => pValues[i]).ToArray();
        var m = order.Length;
        var running = 1.0;
        for (var rank = m; rank >= 1; rank--)
        {
            var i = order[rank - 1];
            running = Math.Min(running, Math.Min(1, pValues[i] * m / rank));
            q[i] = running;
        }

        return q;
    }
}
