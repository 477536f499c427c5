namespace Pluralist.Pipeline.Selection;

/// <summary>Similarity matrices from embeddings.</summary>
public static class Similarity
{
    /// <summary>
    /// Cosine similarity S[i, j] = e_i . e_j / (|e_i| |e_j|), accumulated in double; a zero vector has similarity 0 to
    /// everything except itself (1).
    /// </summary>
    public static double[,] Cosine(IReadOnlyList<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        int n = embeddings.Count;
        var norms = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (embeddings[i].Length != embeddings[0].Length)
            {
                throw new ArgumentException($"embedding {i} has {embeddings[i].Length} values, embedding 0 has {embeddings[0].Length}", nameof(embeddings));
            }

            norms[i] = Math.Sqrt(Dot(embeddings[i], embeddings[i]));
        }

        var s = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            s[i, i] = 1;
            for (int j = i + 1; j < n; j++)
            {
                double v = norms[i] == 0 || norms[j] == 0 ? 0 : Dot(embeddings[i], embeddings[j]) / (norms[i] * norms[j]);
                s[i, j] = s[j, i] = Math.Clamp(v, -1, 1);
            }
        }

        return s;
    }

    /// <summary>The sub-matrix of rows and columns <paramref name="subset"/>, in that order.</summary>
    public static double[,] Sub(double[,] s, IReadOnlyList<int> subset)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(subset);
        var r = new double[subset.Count, subset.Count];
        for (int i = 0; i < subset.Count; i++)
        {
            for (int j = 0; j < subset.Count; j++)
            {
                r[i, j] = s[subset[i], subset[j]];
            }
        }

        return r;
    }

    private static double Dot(float[] a, float[] b)
    {
        double d = 0;
        for (int i = 0; i < a.Length; i++)
        {
            d += (double)a[i] * b[i];
        }

        return d;
    }
}
