namespace Pluralist.Analysis.Agreement;

/// <summary>
/// Cohen's kappa between two raters over the same items (Cohen 1960): κ = (p_o - p_e) / (1 - p_e), with p_o the share of
/// items they label alike and p_e = Σ_k p_A(k) p_B(k) the agreement their label frequencies give by chance. NaN without
/// items, and where p_e = 1 (both raters always give the same single label: agreement is not informative).
/// </summary>
public static class CohensKappa
{
    public static double Compute<T>(IReadOnlyList<(T A, T B)> labels)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(labels);
        int n = labels.Count;
        if (n == 0)
        {
            return double.NaN;
        }

        var a = new Dictionary<T, int>();
        var b = new Dictionary<T, int>();
        int same = 0;
        foreach (var (x, y) in labels)
        {
            a[x] = a.GetValueOrDefault(x) + 1;
            b[y] = b.GetValueOrDefault(y) + 1;
            if (EqualityComparer<T>.Default.Equals(x, y))
            {
                same++;
            }
        }

        double po = (double)same / n;
        double pe = a.Sum(kv => (double)kv.Value / n * b.GetValueOrDefault(kv.Key) / n);
        return pe >= 1 ? double.NaN : (po - pe) / (1 - pe);
    }
}
