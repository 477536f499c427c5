namespace Pluralist.Pipeline.Selection;

/// <summary>How <see cref="DiverseSelector"/> picks k of N items.</summary>
public enum SelectionMethod
{
    /// <summary>LIVS greedy max-min: the least similar pair, then the item whose highest similarity to the set is lowest.</summary>
    Greedy = 0,

    /// <summary>Maximal marginal relevance (Carbonell and Goldstein 1998) with the quality as relevance.</summary>
    Mmr = 1,

    /// <summary>Greedy max-min on distances 1 - s scaled by quality^alpha.</summary>
    QualityWeighted = 2,

    /// <summary>A uniform random subset (the baseline of the job report).</summary>
    Random = 3,
}

/// <summary>File and command-line names of <see cref="SelectionMethod"/>: greedy, mmr, quality-weighted, random.</summary>
public static class SelectionMethods
{
    private static readonly (SelectionMethod Method, string Token)[] Table =
        [(SelectionMethod.Greedy, "greedy"), (SelectionMethod.Mmr, "mmr"), (SelectionMethod.QualityWeighted, "quality-weighted"), (SelectionMethod.Random, "random")];

    public static IReadOnlyList<string> All { get; } = Table.Select(t => t.Token).ToArray();

    public static string ToToken(this SelectionMethod method) =>
        Table.FirstOrDefault(t => t.Method == method).Token ?? throw new ArgumentOutOfRangeException(nameof(method), method, null);

    public static bool TryParse(string? token, out SelectionMethod method)
    {
        foreach (var (m, t) in Table)
        {
            if (string.Equals(t, token?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                method = m;
                return true;
            }
        }

        method = default;
        return false;
    }
}

/// <summary>
/// Picks k of N items from a similarity matrix S (N, N), symmetric, larger = more alike (cosine similarity of
/// embeddings). Ties go to the lowest index, so a selection is a pure function of its inputs.
/// </summary>
public static class DiverseSelector
{
    /// <summary>
    /// LIVS greedy selection: start from the pair (i, j), i &lt; j, with the lowest S[i, j]; then repeatedly add the item
    /// whose highest similarity to the chosen set is lowest. Returns indices in the order chosen; k &gt;= N returns all N.
    /// k = 1 returns the first item of the least similar pair.
    /// </summary>
    public static int[] Greedy(double[,] similarity, int k)
    {
        int n = Check(similarity, k);
        if (n == 1)
        {
            return [0];
        }

        var (a, b) = LeastSimilarPair(similarity, n, (i, j) => -similarity[i, j]);
        var chosen = new List<int> { a };
        if (k >= 2)
        {
            chosen.Add(b);
        }

        // maxSim[i] = max over chosen j of S[i, j]; updated incrementally, O(N k).
        var maxSim = new double[n];
        for (int i = 0; i < n; i++)
        {
            maxSim[i] = chosen.Max(j => similarity[i, j]);
        }

        AddGreedily(chosen, Math.Min(k, n), n, maxSim, similarity, i => -maxSim[i]);
        return [.. chosen];
    }

    /// <summary>
    /// Maximal marginal relevance: the first item is the most relevant; each next one maximises
    /// lambda * relevance[i] - (1 - lambda) * max_{j in chosen} S[i, j]. lambda = 0 is pure diversity, 1 pure relevance.
    /// </summary>
    public static int[] Mmr(double[,] similarity, IReadOnlyList<double> relevance, int k, double lambda = 0.5)
    {
        ArgumentNullException.ThrowIfNull(relevance);
        int n = Check(similarity, k);
        if (relevance.Count != n)
        {
            throw new ArgumentException($"relevance has {relevance.Count} values for {n} items", nameof(relevance));
        }

        if (lambda is < 0 or > 1 || double.IsNaN(lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be in [0, 1]");
        }

        int first = 0;
        for (int i = 1; i < n; i++)
        {
            if (relevance[i] > relevance[first])
            {
                first = i;
            }
        }

        var chosen = new List<int> { first };
        var maxSim = new double[n];
        for (int i = 0; i < n; i++)
        {
            maxSim[i] = similarity[i, first];
        }

        AddGreedily(chosen, Math.Min(k, n), n, maxSim, similarity, i => lambda * relevance[i] - (1 - lambda) * maxSim[i]);
        return [.. chosen];
    }

    /// <summary>
    /// Quality-weighted max-min: with distance d = 1 - S and weights w = quality^alpha (quality &gt;= 0), start from the
    /// pair maximising w_i w_j d(i, j), then add the item maximising w_i min_{j in chosen} d(i, j).
    /// alpha = 0 gives the same choice as <see cref="Greedy"/>.
    /// </summary>
    public static int[] QualityWeighted(double[,] similarity, IReadOnlyList<double> quality, int k, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(quality);
        int n = Check(similarity, k);
        if (quality.Count != n)
        {
            throw new ArgumentException($"quality has {quality.Count} values for {n} items", nameof(quality));
        }

        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (!(quality[i] >= 0) || double.IsInfinity(quality[i]))
            {
                throw new ArgumentException($"quality[{i}] = {quality[i]} must be a finite number >= 0", nameof(quality));
            }

            w[i] = Math.Pow(quality[i], alpha);
        }

        if (n == 1)
        {
            return [0];
        }

        var (a, b) = LeastSimilarPair(similarity, n, (i, j) => w[i] * w[j] * (1 - similarity[i, j]));
        var chosen = new List<int> { a };
        if (k >= 2)
        {
            chosen.Add(b);
        }

        var maxSim = new double[n];
        for (int i = 0; i < n; i++)
        {
            maxSim[i] = chosen.Max(j => similarity[i, j]);
        }

        AddGreedily(chosen, Math.Min(k, n), n, maxSim, similarity, i => w[i] * (1 - maxSim[i]));
        return [.. chosen];
    }

    /// <summary>A uniform random k-subset (partial Fisher-Yates), seeded.</summary>
    public static int[] Random(int n, int k, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var idx = Enumerable.Range(0, n).ToArray();
        int m = Math.Min(k, n);
        for (int i = 0; i < m; i++)
        {
            int j = random.Next(i, n);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }

        return idx[..m];
    }

    /// <summary>Runs <paramref name="method"/>; quality (for MMR and the weighted method) defaults to all ones.</summary>
    public static int[] Select(SelectionMethod method, double[,] similarity, int k, IReadOnlyList<double>? quality = null, double parameter = double.NaN, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        int n = similarity.GetLength(0);
        quality ??= Enumerable.Repeat(1.0, n).ToArray();
        return method switch
        {
            SelectionMethod.Greedy => Greedy(similarity, k),
            SelectionMethod.Mmr => Mmr(similarity, quality, k, double.IsNaN(parameter) ? 0.5 : parameter),
            SelectionMethod.QualityWeighted => QualityWeighted(similarity, quality, k, double.IsNaN(parameter) ? 1 : parameter),
            SelectionMethod.Random => Random(n, k, random ?? new Random(0)),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
        };
    }

    private static void AddGreedily(List<int> chosen, int k, int n, double[] maxSim, double[,] s, Func<int, double> score)
    {
        var inSet = new bool[n];
        foreach (var c in chosen)
        {
            inSet[c] = true;
        }

        while (chosen.Count < k)
        {
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                if (inSet[i])
                {
                    continue;
                }

                double v = score(i);
                if (best < 0 || v > bestScore)
                {
                    best = i;
                    bestScore = v;
                }
            }

            chosen.Add(best);
            inSet[best] = true;
            for (int i = 0; i < n; i++)
            {
                maxSim[i] = Math.Max(maxSim[i], s[i, best]);
            }
        }
    }

    private static (int, int) LeastSimilarPair(double[,] s, int n, Func<int, int, double> score)
    {
        int a = 0, b = 1;
        double best = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double v = score(i, j);
                if (v > best)
                {
                    best = v;
                    (a, b) = (i, j);
                }
            }
        }

        return (a, b);
    }

    private static int Check(double[,] s, int k)
    {
        ArgumentNullException.ThrowIfNull(s);
        int n = s.GetLength(0);
        if (n == 0 || s.GetLength(1) != n)
        {
            throw new ArgumentException($"the similarity matrix must be square and non-empty, got {n} x {s.GetLength(1)}", nameof(s));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (!double.IsFinite(s[i, j]))
                {
                    throw new ArgumentException($"similarity[{i}, {j}] = {s[i, j]} is not finite", nameof(s));
                }
            }
        }

        return n;
    }
}
