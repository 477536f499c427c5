using System.Numerics.Tensors;

namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>Softmax along dim: exp(x - max) / sum exp(x - max).</summary>
    public static Tensor Softmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: false);

    /// <summary>Log-softmax along dim: x - max - log sum exp(x - max).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: true);

    private static Tensor SoftmaxCore(Tensor x, int dim, bool log)
    {
        using var op = Profiler.Op(log ? "log softmax" : "softmax");
        ArgumentNullException.ThrowIfNull(x);
        int ax = ShapeUtil.Axis(dim, x.Rank);
        if (ax != x.Rank - 1)
        {
            return Transpose(SoftmaxCore(Transpose(x, ax, -1), -1, log), ax, -1);
        }

        int n = x.Shape[^1], rows = x.Numel / Math.Max(n, 1);
        var y = TensorScope.Output(x.Numel);
        Parallelism.For(rows, n * 8L, r => SoftmaxRow(y.AsSpan(r * n, n), x.Data.AsSpan(r * n, n), log));
        return Autograd.Record(new Tensor(y, x.Shape), [x], g =>
        {
            var gx = TensorPool.Rent(x.Numel);
            Parallelism.For(rows, n * 8L, r =>
            {
                var yr = y.AsSpan(r * n, n);
                var gr = g.AsSpan(r * n, n);
                var dst = gx.AsSpan(r * n, n);
                if (log)
                {
                    // dx = g - softmax * sum(g)
                    float s = TensorPrimitives.Sum(gr);
                    for (int i = 0; i < n; i++)
                    {
                        dst[i] = gr[i] - (MathF.Exp(yr[i]) * s);
                    }
                }
                else
                {
                    // dx = y (g - sum(g y))
                    float s = TensorPrimitives.Dot(gr, yr);
                    TensorPrimitives.Subtract(gr, s, dst);
                    TensorPrimitives.Multiply(dst, yr, dst);
                }
            });
            x.AccumulateGrad(gx, owned: true);
        });
    }

    internal static void SoftmaxRow(Span<float> y, ReadOnlySpan<float> x, bool log)
    {
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max))
        {
            y.Fill(float.NaN);
            return;
        }

        TensorPrimitives.Subtract(x, max, y);
        if (log)
        {
            float lse = 0;
            foreach (var v in y)
            {
                lse += MathF.Exp(v);
            }

            TensorPrimitives.Subtract(y, MathF.Log(lse), y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            float s = TensorPrimitives.Sum(y);
            TensorPrimitives.Multiply(y, 1f / s, y);
        }
    }

    /// <summary>
    /// Scaled dot-product attention (Vaswani et al. 2017): softmax(q k^T * scale + mask) v with
    /// q (..., Lq, D), k (..., Lk, D), v (..., Lk, Dv) -> (..., Lq, Dv). <paramref name="mask"/> is boolean-like
    /// (non-zero = may attend) and broadcasts to (..., Lq, Lk); <paramref name="isCausal"/> adds the lower-triangular mask.
    /// Self-attention passes the same source for q, k, v; cross-attention takes k, v from the context.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool isCausal = false, float? scale = null)
    {
        using var op = Profiler.Op("attention");
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        int lq = q.Shape[^2], lk = k.Shape[^2];
        float sc = scale ?? 1f / MathF.Sqrt(q.Shape[^1]);
        if (FusedAttention.Applies(q, k, v, mask))
        {
            int d = q.Shape[^1], dv = v.Shape[^1], heads = q.Numel / (lq * d);
            var batch = q.Shape[..^2];
            var outShape = (int[])q.Shape.Clone();
            outShape[^1] = dv;
            var m = mask is null ? null : FusedAttention.BroadcastMask(mask, batch, lq, lk);
            return FusedAttention.Run(q, k, v, heads, lq, lk, d, dv, FusedAttention.Layout.Contiguous(lq, d), FusedAttention.Layout.Contiguous(lk, d),
                FusedAttention.Layout.Contiguous(lk, dv), FusedAttention.Layout.Contiguous(lq, dv), outShape, m, isCausal, sc);
        }

        var scores = Mul(Matmul(q, Transpose(k, -2, -1)), sc); // (..., Lq, Lk)
        if (mask is not null || isCausal)
        {
            var add = new float[lq * lk];
            float[]? mk = null;
            int[] mShape = [lq, lk];
            if (mask is not null)
            {
                mShape = ShapeUtil.Broadcast(mask.Shape, [lq, lk]);
                mk = mask.Data;
                add = new float[ShapeUtil.Numel(mShape)];
                mk = Expand(mk, mask.Shape, mShape);
            }

            for (int i = 0; i < add.Length; i++)
            {
                int row = i / lk % lq, col = i % lk;
                bool allowed = (mk is null || mk[i] != 0) && (!isCausal || col <= row);
                add[i] = allowed ? 0f : float.NegativeInfinity;
            }

            scores = Add(scores, new Tensor(add, mShape));
        }

        return Matmul(Softmax(scores, -1), v);
    }

    /// <summary>
    /// Multi-head attention on projections that keep their heads side by side (PyTorch's <c>nn.MultiheadAttention</c>
    /// core): q (B, Lq, H d), k (B, Lk, H d), v (B, Lk, H dv) -> (B, Lq, H dv), head h being columns h d .. h d + d - 1.
    /// Equal to splitting into (B, H, L, d) heads, <see cref="ScaledDotProductAttention"/>, and merging back, without the
    /// four permuted copies. <paramref name="keyMask"/> (B, Lk), non-zero = may attend, masks padded keys.
    /// </summary>
    public static Tensor MultiHeadAttention(Tensor q, Tensor k, Tensor v, int heads, Tensor? keyMask = null, bool isCausal = false, float? scale = null)
    {
        using var op = Profiler.Op("multi-head attention");
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3 || heads < 1)
        {
            Throw.Argument("multi-head attention needs (B, L, H d) q, k, v and at least one head");
        }

        int b = q.Shape[0], lq = q.Shape[1], lk = k.Shape[1];
        if (k.Shape[0] != b || v.Shape[0] != b || v.Shape[1] != lk || k.Shape[2] != q.Shape[2] || q.Shape[2] % heads != 0 || v.Shape[2] % heads != 0)
        {
            Throw.Argument($"multi-head attention: q [{string.Join(", ", q.Shape)}], k [{string.Join(", ", k.Shape)}], v [{string.Join(", ", v.Shape)}] with {heads} heads do not fit");
        }

        if (keyMask is not null && (keyMask.Numel != b * lk))
        {
            Throw.Argument($"key mask must be (B, Lk) = ({b}, {lk})");
        }

        int d = q.Shape[2] / heads, dv = v.Shape[2] / heads;
        float sc = scale ?? 1f / MathF.Sqrt(d);
        FusedAttention.MaskLayout? m = null;
        if (keyMask is not null)
        {
            var bases = new long[b * heads];
            for (int h = 0; h < bases.Length; h++)
            {
                bases[h] = (long)(h / heads) * lk;
            }

            m = new FusedAttention.MaskLayout(keyMask.Data, bases, 0, 1);
        }

        return FusedAttention.Run(q, k, v, b * heads, lq, lk, d, dv, FusedAttention.Layout.Interleaved(heads, lq, d), FusedAttention.Layout.Interleaved(heads, lk, d),
            FusedAttention.Layout.Interleaved(heads, lk, dv), FusedAttention.Layout.Interleaved(heads, lq, dv), [b, lq, heads * dv], m, isCausal, sc);
    }
}
