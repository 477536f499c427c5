using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pluralist.Tensors;

/// <summary>
/// Group and layer normalisation kernels. Forward keeps only the mean and 1/std of each row (not the normalised
/// tensor); backward reads x again. Per row of m elements, with xc = x - mean and rstd = 1 / sqrt(var + eps):
/// y = xc rstd gamma + beta; s1 = sum dy gamma, s3 = sum dy gamma xc;
/// dx = rstd gamma dy - rstd s1 / m - xc rstd^3 s3 / m; dgamma = sum over rows of dy xc rstd, dbeta = sum of dy.
/// Sums: Vector256 lanes per run (a channel's pixels for group norm, the row for layer norm), runs combined in double.
/// Rows run in parallel; every reduction across rows (dgamma, dbeta) is done in a fixed order, so results do not
/// depend on the thread count.
/// </summary>
internal static class NormKernels
{
    private const int RowBlock = 32;

    /// <summary>x (B, C, S) in G groups: y, and per row (b, g) the mean and rstd.</summary>
    public static void GroupForward(float[] x, float[] y, float[] mean, float[] rstd, int bsz, int c, int groups, int s, float[]? gamma, float[]? beta, float eps)
    {
        int cpg = c / groups, m = cpg * s;
        Parallelism.For(bsz * groups, m * 3L, r =>
        {
            int c0 = r % groups * cpg, at = r * m;
            double sum = 0;
            for (int q = 0; q < cpg; q++)
            {
                sum += Sum(x.AsSpan(at + (q * s), s));
            }

            float mu = (float)(sum / m);
            double sq = 0;
            for (int q = 0; q < cpg; q++)
            {
                sq += SumSqDev(x.AsSpan(at + (q * s), s), mu);
            }

            float rs = (float)(1.0 / Math.Sqrt((sq / m) + eps));
            mean[r] = mu;
            rstd[r] = rs;
            for (int q = 0; q < cpg; q++)
            {
                int ch = c0 + q;
                float a = gamma is null ? rs : rs * gamma[ch];
                float bb = beta is null ? 0f : beta[ch];
                AffineDev(x.AsSpan(at + (q * s), s), mu, a, bb, y.AsSpan(at + (q * s), s));
            }
        });
    }

    /// <summary>Group norm backward: dx (written), and dgamma / dbeta (C) when asked for.</summary>
    public static void GroupBackward(float[] dy, float[] x, float[] mean, float[] rstd, int bsz, int c, int groups, int s, float[]? gamma, float[] dx, float[]? dgamma, float[]? dbeta)
    {
        int cpg = c / groups, m = cpg * s, rows = bsz * groups;
        // per (row, channel of the group): sum dy and sum dy xc, for dgamma and dbeta
        var s1c = new float[rows * cpg];
        var s3c = new float[rows * cpg];
        Parallelism.For(rows, m * 4L, r =>
        {
            int c0 = r % groups * cpg, at = r * m;
            float mu = mean[r], rs = rstd[r];
            double s1 = 0, s3 = 0;
            for (int q = 0; q < cpg; q++)
            {
                var (a, b) = DotDev(dy.AsSpan(at + (q * s), s), x.AsSpan(at + (q * s), s), mu);
                s1c[(r * cpg) + q] = a;
                s3c[(r * cpg) + q] = b;
                float gm = gamma is null ? 1f : gamma[c0 + q];
                s1 += gm * (double)a;
                s3 += gm * (double)b;
            }

            float cc = (float)(-rs * s1 / m);
            float bb = (float)(-(double)rs * rs * rs * s3 / m);
            for (int q = 0; q < cpg; q++)
            {
                float aa = gamma is null ? rs : rs * gamma[c0 + q];
                Combine(dy.AsSpan(at + (q * s), s), x.AsSpan(at + (q * s), s), mu, aa, bb, cc, dx.AsSpan(at + (q * s), s));
            }
        });

        if (dgamma is null && dbeta is null)
        {
            return;
        }

        for (int ch = 0; ch < c; ch++)
        {
            int g = ch / cpg, q = ch % cpg;
            double sg = 0, sb = 0;
            for (int b = 0; b < bsz; b++)
            {
                int r = (b * groups) + g;
                sg += (double)s3c[(r * cpg) + q] * rstd[r];
                sb += s1c[(r * cpg) + q];
            }

            if (dgamma is not null)
            {
                dgamma[ch] = (float)sg;
            }

            if (dbeta is not null)
            {
                dbeta[ch] = (float)sb;
            }
        }
    }

    /// <summary>x (rows, D) normalised over D: y, and per row the mean and rstd.</summary>
    public static void LayerForward(float[] x, float[] y, float[] mean, float[] rstd, int rows, int d, float[]? gamma, float[]? beta, float eps)
    {
        Parallelism.For(rows, d * 3L, r =>
        {
            var xr = x.AsSpan(r * d, d);
            float mu = (float)((double)Sum(xr) / d);
            float rs = (float)(1.0 / Math.Sqrt(((double)SumSqDev(xr, mu) / d) + eps));
            mean[r] = mu;
            rstd[r] = rs;
            var yr = y.AsSpan(r * d, d);
            int j = 0;
            var vm = Vector256.Create(mu);
            var vr = Vector256.Create(rs);
            for (; j + 8 <= d; j += 8)
            {
                var v = (Vector256.Create(xr[j..]) - vm) * vr;
                if (gamma is not null)
                {
                    v *= Vector256.Create(gamma.AsSpan(j));
                }

                if (beta is not null)
                {
                    v += Vector256.Create(beta.AsSpan(j));
                }

                v.CopyTo(yr[j..]);
            }

            for (; j < d; j++)
            {
                float v = (xr[j] - mu) * rs;
                if (gamma is not null)
                {
                    v *= gamma[j];
                }

                if (beta is not null)
                {
                    v += beta[j];
                }

                yr[j] = v;
            }
        });
    }

    /// <summary>Layer norm backward: dx (written), dgamma / dbeta (D) when asked for (blocks of 32 rows, added in order).</summary>
    public static void LayerBackward(float[] dy, float[] x, float[] mean, float[] rstd, int rows, int d, float[]? gamma, float[] dx, float[]? dgamma, float[]? dbeta)
    {
        int blocks = (rows + RowBlock - 1) / RowBlock;
        bool affine = dgamma is not null || dbeta is not null;
        var partG = affine ? new float[blocks * d] : null;
        var partB = affine ? new float[blocks * d] : null;
        Parallelism.For(blocks, (long)RowBlock * d * 6, blk =>
        {
            var pg = affine ? partG.AsSpan(blk * d, d) : default;
            var pb = affine ? partB.AsSpan(blk * d, d) : default;
            int r1 = Math.Min(rows, (blk + 1) * RowBlock);
            for (int r = blk * RowBlock; r < r1; r++)
            {
                var dyr = dy.AsSpan(r * d, d);
                var xr = x.AsSpan(r * d, d);
                var dxr = dx.AsSpan(r * d, d);
                float mu = mean[r], rs = rstd[r];
                var vm = Vector256.Create(mu);
                var vr = Vector256.Create(rs);
                // s1 = sum dy gamma, s3 = sum dy gamma xc; dgamma += dy xc rstd, dbeta += dy
                var a1 = Vector256<float>.Zero;
                var a3 = Vector256<float>.Zero;
                float t1 = 0, t3 = 0;
                int j = 0;
                for (; j + 8 <= d; j += 8)
                {
                    var gy = Vector256.Create(dyr[j..]);
                    var xc = Vector256.Create(xr[j..]) - vm;
                    if (affine)
                    {
                        (Vector256.Create(pg[j..]) + (gy * xc * vr)).CopyTo(pg[j..]);
                        (Vector256.Create(pb[j..]) + gy).CopyTo(pb[j..]);
                    }

                    if (gamma is not null)
                    {
                        gy *= Vector256.Create(gamma.AsSpan(j));
                    }

                    a1 += gy;
                    a3 += gy * xc;
                }

                for (; j < d; j++)
                {
                    float gy = dyr[j], xc = xr[j] - mu;
                    if (affine)
                    {
                        pg[j] += gy * xc * rs;
                        pb[j] += gy;
                    }

                    gy *= gamma is null ? 1f : gamma[j];
                    t1 += gy;
                    t3 += gy * xc;
                }

                double s1 = (double)Vector256.Sum(a1) + t1, s3 = (double)Vector256.Sum(a3) + t3;
                float cc = (float)(-rs * s1 / d);
                float bb = (float)(-(double)rs * rs * rs * s3 / d);
                var vb = Vector256.Create(bb);
                var vc = Vector256.Create(cc);
                j = 0;
                for (; j + 8 <= d; j += 8)
                {
                    var a = gamma is null ? vr : vr * Vector256.Create(gamma.AsSpan(j));
                    ((a * Vector256.Create(dyr[j..])) + (vb * (Vector256.Create(xr[j..]) - vm)) + vc).CopyTo(dxr[j..]);
                }

                for (; j < d; j++)
                {
                    float a = gamma is null ? rs : rs * gamma[j];
                    dxr[j] = (a * dyr[j]) + (bb * (xr[j] - mu)) + cc;
                }
            }
        });

        if (!affine)
        {
            return;
        }

        for (int j = 0; j < d; j++)
        {
            double sg = 0, sb = 0;
            for (int blk = 0; blk < blocks; blk++)
            {
                sg += partG![(blk * d) + j];
                sb += partB![(blk * d) + j];
            }

            if (dgamma is not null)
            {
                dgamma[j] = (float)sg;
            }

            if (dbeta is not null)
            {
                dbeta[j] = (float)sb;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(ReadOnlySpan<float> x)
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= x.Length; i += 16)
        {
            a0 += Vector256.Create(x[i..]);
            a1 += Vector256.Create(x[(i + 8)..]);
        }

        for (; i + 8 <= x.Length; i += 8)
        {
            a0 += Vector256.Create(x[i..]);
        }

        float t = 0;
        for (; i < x.Length; i++)
        {
            t += x[i];
        }

        return Vector256.Sum(a0 + a1) + t;
    }

    // sum (x - mean)^2
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumSqDev(ReadOnlySpan<float> x, float mean)
    {
        var vm = Vector256.Create(mean);
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= x.Length; i += 16)
        {
            var d0 = Vector256.Create(x[i..]) - vm;
            var d1 = Vector256.Create(x[(i + 8)..]) - vm;
            a0 += d0 * d0;
            a1 += d1 * d1;
        }

        for (; i + 8 <= x.Length; i += 8)
        {
            var d0 = Vector256.Create(x[i..]) - vm;
            a0 += d0 * d0;
        }

        float t = 0;
        for (; i < x.Length; i++)
        {
            float d0 = x[i] - mean;
            t += d0 * d0;
        }

        return Vector256.Sum(a0 + a1) + t;
    }

    // (sum dy, sum dy (x - mean))
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float S1, float S3) DotDev(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean)
    {
        var vm = Vector256.Create(mean);
        var a1 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            var g = Vector256.Create(dy[i..]);
            a1 += g;
            a3 += g * (Vector256.Create(x[i..]) - vm);
        }

        float t1 = 0, t3 = 0;
        for (; i < x.Length; i++)
        {
            t1 += dy[i];
            t3 += dy[i] * (x[i] - mean);
        }

        return (Vector256.Sum(a1) + t1, Vector256.Sum(a3) + t3);
    }

    // y = (x - mean) a + b
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AffineDev(ReadOnlySpan<float> x, float mean, float a, float b, Span<float> y)
    {
        var vm = Vector256.Create(mean);
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            (((Vector256.Create(x[i..]) - vm) * va) + vb).CopyTo(y[i..]);
        }

        for (; i < x.Length; i++)
        {
            y[i] = ((x[i] - mean) * a) + b;
        }
    }

    // dx = a dy + b (x - mean) + c
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Combine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean, float a, float b, float c, Span<float> dx)
    {
        var vm = Vector256.Create(mean);
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        var vc = Vector256.Create(c);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            ((va * Vector256.Create(dy[i..])) + (vb * (Vector256.Create(x[i..]) - vm)) + vc).CopyTo(dx[i..]);
        }

        for (; i < x.Length; i++)
        {
            dx[i] = (a * dy[i]) + (b * (x[i] - mean)) + c;
        }
    }
}
