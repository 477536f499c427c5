using System.Runtime.Intrinsics;

namespace Pluralist.Tensors;

/// <summary>
/// Fused element-wise optimiser updates in Vector256 lanes, with the same operations in the same order as the scalar
/// formulas (no fused multiply-adds), so every element comes out bit for bit as the scalar loop would give it. Work is
/// cut into fixed chunks of 16,384 elements, in parallel when large.
/// </summary>
internal static class OptimKernels
{
    private const int Chunk = 16384;

    /// <summary>
    /// One Adam / AdamW step on one parameter: [d *= decay (decoupled)] or [g += wd d (L2)]; m = b1 m + (1 - b1) g;
    /// v = b2 v + (1 - b2) g g; denom = (float)(sqrt(v) / bc2Sqrt) + eps (the division in double); d -= stepSize m / denom.
    /// </summary>
    public static void Adam(float[] d, float[] grad, float[] m, float[] v, float beta1, float beta2, float eps, float stepSize, double bc2Sqrt, bool decoupled, float decay, float weightDecay)
    {
        int chunks = (d.Length + Chunk - 1) / Chunk;
        Parallelism.For(chunks, Chunk * 4L, c =>
        {
            int i = c * Chunk, end = Math.Min(d.Length, i + Chunk);
            var vb1 = Vector256.Create(beta1);
            var vb2 = Vector256.Create(beta2);
            var v1b1 = Vector256.Create(1 - beta1);
            var v1b2 = Vector256.Create(1 - beta2);
            var veps = Vector256.Create(eps);
            var vstep = Vector256.Create(stepSize);
            var vdecay = Vector256.Create(decay);
            var vwd = Vector256.Create(weightDecay);
            var vbc = Vector256.Create(bc2Sqrt);
            bool l2 = !decoupled && weightDecay != 0;
            for (; i + 8 <= end; i += 8)
            {
                var g = Vector256.Create(grad.AsSpan(i));
                var p = Vector256.Create(d.AsSpan(i));
                if (decoupled)
                {
                    p *= vdecay;
                }
                else if (l2)
                {
                    g += vwd * p;
                }

                var mv = (vb1 * Vector256.Create(m.AsSpan(i))) + (v1b1 * g);
                var vv = (vb2 * Vector256.Create(v.AsSpan(i))) + (v1b2 * g * g);
                var (lo, hi) = Vector256.Widen(Vector256.Sqrt(vv));
                var denom = Vector256.Narrow(lo / vbc, hi / vbc) + veps;
                p -= vstep * mv / denom;
                mv.CopyTo(m.AsSpan(i));
                vv.CopyTo(v.AsSpan(i));
                p.CopyTo(d.AsSpan(i));
            }

            for (; i < end; i++)
            {
                float g = grad[i];
                if (decoupled)
                {
                    d[i] *= decay;
                }
                else if (l2)
                {
                    g += weightDecay * d[i];
                }

                m[i] = (beta1 * m[i]) + ((1 - beta1) * g);
                v[i] = (beta2 * v[i]) + ((1 - beta2) * g * g);
                float denom = (float)(MathF.Sqrt(v[i]) / bc2Sqrt) + eps;
                d[i] -= stepSize * m[i] / denom;
            }
        });
    }

    /// <summary>s = decay s + (1 - decay) p.</summary>
    public static void Ema(float[] s, float[] p, float decay)
    {
        int chunks = (s.Length + Chunk - 1) / Chunk;
        Parallelism.For(chunks, Chunk * 2L, c =>
        {
            int i = c * Chunk, end = Math.Min(s.Length, i + Chunk);
            var vd = Vector256.Create(decay);
            var v1d = Vector256.Create(1 - decay);
            for (; i + 8 <= end; i += 8)
            {
                ((vd * Vector256.Create(s.AsSpan(i))) + (v1d * Vector256.Create(p.AsSpan(i)))).CopyTo(s.AsSpan(i));
            }

            for (; i < end; i++)
            {
                s[i] = (decay * s[i]) + ((1 - decay) * p[i]);
            }
        });
    }

    /// <summary>Sum of squares in double: float squares widened and added in four double lanes, the lanes then in order.</summary>
    public static double SumOfSquares(float[] g)
    {
        var a0 = Vector256<double>.Zero;
        var a1 = Vector256<double>.Zero;
        int i = 0;
        for (; i + 8 <= g.Length; i += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Create(g.AsSpan(i)));
            a0 += lo * lo;
            a1 += hi * hi;
        }

        double s = Vector256.Sum(a0 + a1);
        for (; i < g.Length; i++)
        {
            s += (double)g[i] * g[i];
        }

        return s;
    }
}
