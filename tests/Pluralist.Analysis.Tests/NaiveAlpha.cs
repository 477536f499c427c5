using Pluralist.Analysis.Agreement;

namespace Pluralist.Analysis.Tests;

/// <summary>Krippendorff's alpha straight from the definition: every ordered pair of values within each unit.</summary>
internal static class NaiveAlpha
{
    public static double Compute(IReadOnlyList<Rating> ratings, MeasurementLevel level)
    {
        var units = ratings.GroupBy(r => r.Item).Select(g => g.Select(r => r.Value).ToArray()).Where(v => v.Length >= 2).ToList();
        var all = units.SelectMany(v => v).ToArray();
        var n = (double)all.Length;
        var counts = all.GroupBy(v => v).ToDictionary(g => g.Key, g => (double)g.Count());
        double Delta(double c, double k)
        {
            if (c == k)
            {
                return 0;
            }

            switch (level)
            {
                case MeasurementLevel.Nominal:
                    return 1;
                case MeasurementLevel.Interval:
                    return (c - k) * (c - k);
                case MeasurementLevel.Ratio:
                    return Math.Pow((c - k) / (c + k), 2);
                default:
                    var lo = Math.Min(c, k);
                    var hi = Math.Max(c, k);
                    var s = counts.Where(kv => kv.Key >= lo && kv.Key <= hi).Sum(kv => kv.Value) - ((counts[c] + counts[k]) / 2);
                    return s * s;
            }
        }

        double observed = 0;
        foreach (var v in units)
        {
            double sum = 0;
            for (var i = 0; i < v.Length; i++)
            {
                for (var j = 0; j < v.Length; j++)
                {
                    if (i != j)
                    {
                        sum += Delta(v[i], v[j]);
                    }
                }
            }

            observed += sum / (v.Length - 1);
        }

        double expected = 0;
        foreach (var c in all)
        {
            foreach (var k in all)
            {
                expected += Delta(c, k);
            }
        }

        return 1 - ((observed / n) / (expected / (n * (n - 1))));
    }
}
