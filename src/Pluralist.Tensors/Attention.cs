using System.Buffers;
using System.Numerics.Tensors;

namespace Pluralist.Tensors;

/// <summary>
/// Fused scaled dot-product attention for unmasked (or causal) attention with matching batch dimensions: per batch
/// item ("head"), in parallel over heads, S = scale Q K^T and its row softmax P live in one head-sized buffer, O = P V.
/// Only P is kept for the backward pass (one (Lq, Lk) matrix per head, the same as the scores the composed operations
/// would keep, without their scaled copy and transpose). Backward per head: dV = P^T dO, dP = dO V^T,
/// dS = P (dP - rowsum(dP P)), dQ = scale dS K, dK = scale dS^T Q. Each head is reduced by one worker in a fixed
/// order, so results do not depend on the thread count.
/// </summary>
internal static unsafe class FusedAttention
{
    public static bool Applies(Tensor q, Tensor k, Tensor v)
    {
        if (q.Rank < 3 || k.Rank != q.Rank || v.Rank != q.Rank || k.Shape[^1] != q.Shape[^1] || v.Shape[^2] != k.Shape[^2])
        {
            return false;
        }

        if (q.Numel == 0 || k.Numel == 0 || v.Numel == 0)
        {
            return false;
        }

        for (int i = 0; i < q.Rank - 2; i++)
        {
            if (q.Shape[i] != k.Shape[i] || q.Shape[i] != v.Shape[i])
            {
                return false;
            }
        }

        return true;
    }

    public static Tensor Run(Tensor q, Tensor k, Tensor v, bool isCausal, float scale)
    {
        int lq = q.Shape[^2], lk = k.Shape[^2], d = q.Shape[^1], dv = v.Shape[^1];
        int heads = q.Numel / (lq * d);
        var outShape = (int[])q.Shape.Clone();
        outShape[^1] = dv;
        var y = new float[heads * lq * dv];
        bool keep = Autograd.IsEnabled && (q.RequiresGrad || k.RequiresGrad || v.RequiresGrad);
        var probs = keep ? new float[(long)heads * lq * lk] : null;
        long work = (long)lq * lk * (d + dv + 8);
        float[] qd = q.Data, kd = k.Data, vd = v.Data;
        Parallelism.For(heads, work, h =>
        {
            var pBuf = probs ?? ArrayPool<float>.Shared.Rent(lq * lk);
            int pOff = probs is null ? 0 : h * lq * lk;
            try
            {
                fixed (float* pq = qd, pk = kd, pv = vd, pp = pBuf, py = y)
                {
                    float* p = pp + pOff;
                    // S (lq, lk) = Q (lq, d) K^T; K stored (lk, d) is K^T with row stride 1, column stride d
                    Gemm.Multiply(pq + ((long)h * lq * d), d, 1, pk + ((long)h * lk * d), 1, d, p, lk, lq, lk, d, false);
                    for (int i = 0; i < lq; i++)
                    {
                        var row = new Span<float>(p + ((long)i * lk), lk);
                        int valid = isCausal ? Math.Min(lk, i + 1) : lk;
                        var live = row[..valid];
                        TensorPrimitives.Multiply(live, scale, live);
                        float max = TensorPrimitives.Max(live);
                        TensorPrimitives.Subtract(live, max, live);
                        TensorPrimitives.Exp(live, live);
                        TensorPrimitives.Divide(live, TensorPrimitives.Sum(live), live);
                        row[valid..].Clear();
                    }

                    Gemm.Multiply(p, lk, 1, pv + ((long)h * lk * dv), dv, 1, py + ((long)h * lq * dv), dv, lq, dv, lk, false);
                }
            }
            finally
            {
                if (probs is null)
                {
                    ArrayPool<float>.Shared.Return(pBuf);
                }
            }
        });

        return Autograd.Record(new Tensor(y, outShape), [q, k, v], g =>
        {
            var gq = q.RequiresGrad ? new float[q.Numel] : null;
            var gk = k.RequiresGrad ? new float[k.Numel] : null;
            var gv = v.RequiresGrad ? new float[v.Numel] : null;
            Parallelism.For(heads, work * 2, h =>
            {
                var dsBuf = ArrayPool<float>.Shared.Rent(lq * lk);
                try
                {
                    fixed (float* pq = qd, pk = kd, pv = vd, pp = probs, pg = g, pds = dsBuf, pgq = gq, pgk = gk, pgv = gv)
                    {
                        float* p = pp + ((long)h * lq * lk);
                        float* go = pg + ((long)h * lq * dv);
                        if (pgv != null)
                        {
                            // dV (lk, dv) = P^T (lk, lq) dO (lq, dv)
                            Gemm.Multiply(p, 1, lk, go, dv, 1, pgv + ((long)h * lk * dv), dv, lk, dv, lq, false);
                        }

                        if (pgq == null && pgk == null)
                        {
                            return;
                        }

                        // dP (lq, lk) = dO (lq, dv) V^T
                        Gemm.Multiply(go, dv, 1, pv + ((long)h * lk * dv), 1, dv, pds, lk, lq, lk, dv, false);
                        for (int i = 0; i < lq; i++)
                        {
                            var prow = new ReadOnlySpan<float>(p + ((long)i * lk), lk);
                            var drow = new Span<float>(pds + ((long)i * lk), lk);
                            float dot = TensorPrimitives.Dot(drow, prow);
                            TensorPrimitives.Subtract(drow, dot, drow);
                            TensorPrimitives.Multiply(drow, prow, drow);
                            TensorPrimitives.Multiply(drow, scale, drow);
                        }

                        if (pgq != null)
                        {
                            // dQ (lq, d) = dS (lq, lk) K (lk, d)
                            Gemm.Multiply(pds, lk, 1, pk + ((long)h * lk * d), d, 1, pgq + ((long)h * lq * d), d, lq, d, lk, false);
                        }

                        if (pgk != null)
                        {
                            // dK (lk, d) = dS^T (lk, lq) Q (lq, d)
                            Gemm.Multiply(pds, 1, lk, pq + ((long)h * lq * d), d, 1, pgk + ((long)h * lk * d), d, lk, d, lq, false);
                        }
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(dsBuf);
                }
            });

            if (gq is not null)
            {
                q.AccumulateGrad(gq);
            }

            if (gk is not null)
            {
                k.AccumulateGrad(gk);
            }

            if (gv is not null)
            {
                v.AccumulateGrad(gv);
            }
        });
    }
}
