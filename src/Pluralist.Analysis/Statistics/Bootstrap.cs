namespace Pluralist.Analysis.Statistics;

/// <summary>Options of the bootstrap intervals.</summary>
public sealed record BootstrapOptions(int Replicates = 2000, int Seed = 1, double Level = 0.95);

/// <summary>Percentile bootstrap helpers (Efron and Tibshirani 1993, ch. 13).</summary>
public static class Bootstrap
{
    /// <summary>
    /// Cluster bootstrap of a ratio Σ num / Σ den: each replicate draws as many clusters as there
    /// are, with replacement, and keeps each drawn cluster whole (all of a prompt's, or a
    /// participant's, answers), which respects the dependence within a cluster. Replicates whose
    /// denominator is 0 are dropped. Percentile interval.
    /// </summary>
    public static Interval ClusteredRatio(IReadOnlyList<(double Numerator, double Denominator)> clusters, BootstrapOptions options)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentNullException.ThrowIfNull(options);
        if (clusters.Count == 0 || options.Replicates <= 0)
        {
            return Interval.Undefined;
        }

        var stats = new List<double>(options.Replicates);
        var c = clusters.Count;
        for (var b = 0; b < options.Replicates; b++)
        {
            var rng = new Random(Seeds.For(options.Seed, b));
            double num = 0, den = 0;
            for (var i = 0; i < c; i++)
            {
                var (n, d) = clusters[rng.Next(c)];
                num += n;
                den += d;
            }

            if (den > 0)
            {
                stats.Add(num / den);
            }
        }

        return Percentile(stats, options.Level);
    }

    /// <summary>The (1 − level)/2 and (1 + level)/2 quantiles (linear interpolation between order statistics); NaN values are dropped.</summary>
    public static Interval Percentile(IEnumerable<double> replicates, double level)
    {
        ArgumentNullException.ThrowIfNull(replicates);
        var sorted = replicates.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return Interval.Undefined;
        }

        return new Interval(Quantile(sorted, (1 - level) / 2), Quantile(sorted, (1 + level) / 2));
    }

    /// <summary>
    /// <see cref="Percentile(IEnumerable{double}, double)"/> of <paramref name="replicates"/> without allocating: NaNs are
    /// dropped and the rest sorted in place (so the span's contents are reordered). The same interval: equal values
    /// are interchangeable, so the sort's instability does not change an order statistic.
    /// </summary>
    public static Interval PercentileInPlace(Span<double> replicates, double level)
    {
        var n = 0;
        for (var i = 0; i < replicates.Length; i++)
        {
            if (!double.IsNaN(replicates[i]))
            {
                replicates[n++] = replicates[i];
            }
        }

        if (n == 0)
        {
            return Interval.Undefined;
        }

        var sorted = replicates[..n];
        sorted.Sort();
        return new Interval(Quantile(sorted, (1 - level) / 2), Quantile(sorted, (1 + level) / 2));
    }

    /// <summary>Quantile of sorted data, type 7 of Hyndman and Fan (1996).</summary>
    public static double Quantile(double[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return Quantile((ReadOnlySpan<double>)sorted, q);
    }

    /// <summary>Quantile of sorted data, type 7 of Hyndman and Fan (1996).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        var h = (sorted.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }
}
