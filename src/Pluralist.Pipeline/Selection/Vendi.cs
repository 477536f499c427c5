namespace Pluralist.Pipeline.Selection;

/// <summary>
/// The Vendi score (Friedman and Dieng 2023): VS(K) = exp(-sum_i lambda_i log lambda_i) where lambda_i are the
/// eigenvalues of K / n for an n x n similarity matrix K with unit diagonal. It is the "effective number" of distinct
/// items: n identical items score 1, n mutually orthogonal items score n.
/// </summary>
public static class Vendi
{
    /// <summary>Vendi score of the whole matrix (it must be symmetric; eigenvalues below 0 from rounding count as 0).</summary>
    public static double Score(double[,] similarity)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        int n = similarity.GetLength(0);
        if (n == 0 || similarity.GetLength(1) != n)
        {
            throw new ArgumentException("the similarity matrix must be square and non-empty", nameof(similarity));
        }

        var a = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (Math.Abs(similarity[i, j] - similarity[j, i]) > 1e-9 * Math.Max(1, Math.Abs(similarity[i, j])))
                {
                    throw new ArgumentException($"the similarity matrix is not symmetric at [{i}, {j}]", nameof(similarity));
                }

                a[i, j] = similarity[i, j] / n;
            }
        }

        double h = 0;
        foreach (var l in SymmetricEigenvalues(a))
        {
            if (l > 1e-12)
            {
                h -= l * Math.Log(l);
            }
        }

        return Math.Exp(h);
    }

    /// <summary>Vendi score of the sub-matrix on <paramref name="subset"/>.</summary>
    public static double Score(double[,] similarity, IReadOnlyList<int> subset) => Score(Similarity.Sub(similarity, subset));

    /// <summary>
    /// Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (Golub and Van Loan, section 8.5), ascending.
    /// Exact to rounding for the small matrices here (k and N are tens).
    /// </summary>
    public static double[] SymmetricEigenvalues(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, total = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    total += a[i, j] * a[i, j];
                    if (i != j)
                    {
                        off += a[i, j] * a[i, j];
                    }
                }
            }

            if (off <= 1e-30 * Math.Max(total, 1e-300))
            {
                break;
            }

            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    if (a[p, q] == 0)
                    {
                        continue;
                    }

                    // Rotation that zeroes a[p, q]: theta = (a_qq - a_pp) / (2 a_pq), t = sign(theta) / (|theta| + sqrt(theta^2 + 1)).
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }

                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }

                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                }
            }
        }

        var result = new double[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = a[i, i];
        }

        Array.Sort(result);
        return result;
    }
}
