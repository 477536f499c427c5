using System.Buffers;
using System.Numerics.Tensors;

namespace Pluralist.Tensors;

/// <summary>
/// Fused scaled dot-product attention: per head, in parallel over heads, S = scale Q K^T and its row softmax P live in
/// one (Lq, Lk) buffer, O = P V. Masked scores (a boolean-like mask, a key-padding mask, the causal triangle) are left
/// out of the softmax and get probability 0; a row with nothing to attend to is NaN, as softmax over -inf is. Only P is
/// kept for the backward pass. Backward per head: dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)),
/// dQ = scale dS K, dK = scale dS^T Q. Heads are read and written in place through their strides, so a
/// (B, L, H dh) projection is split into heads (and the output merged back) without a permuted copy. Each head is
/// reduced by one worker in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static unsafe class FusedAttention
{
    [ThreadStatic]
    private static bool t_disabled;

    /// <summary>Test hook (per thread): send <see cref="Functional.ScaledDotProductAttention"/> to the composed operations.</summary>
    internal static bool Disabled
    {
        get => t_disabled;
        set => t_disabled = value;
    }

    /// <summary>
    /// Where the rows of each head are: element (head h, row i, column j) of a tensor lies at
    /// (h / PerBatch) Batch + (h % PerBatch) Head + i Row + j.
    /// </summary>
    public readonly record struct Layout(int PerBatch, int Batch, int Head, int Row)
    {
        public long Offset(int h) => ((long)(h / PerBatch) * Batch) + ((long)(h % PerBatch) * Head);

        /// <summary>Contiguous (..., L, D) tensors: one head per leading index.</summary>
        public static Layout Contiguous(int rows, int cols) => new(1, rows * cols, 0, cols);

        /// <summary>(B, L, H d) projections: head h of sample b is the d columns from h d of every row.</summary>
        public static Layout Interleaved(int heads, int rows, int headDim) => new(heads, rows * heads * headDim, headDim, heads * headDim);
    }

    /// <summary>Mask of one head: entry (i, j) at Base[h] + i Row + j Column; attend where it is non-zero.</summary>
    public sealed record MaskLayout(float[] Data, long[] Base, int Row, int Column);

    public static bool Applies(Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        if (t_disabled || q.Rank < 3 || k.Rank != q.Rank || v.Rank != q.Rank || k.Shape[^1] != q.Shape[^1] || v.Shape[^2] != k.Shape[^2])
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

        return mask is null || mask.Rank <= q.Rank;
    }

    /// <summary>The mask broadcast to (batch..., Lq, Lk), as per-head offsets and strides.</summary>
    public static MaskLayout BroadcastMask(Tensor mask, int[] batch, int lq, int lk)
    {
        int[] full = [.. batch, lq, lk];
        var shape = ShapeUtil.Broadcast(mask.Shape, full);
        if (!ShapeUtil.SameShape(shape, full))
        {
            Throw.Argument($"mask [{string.Join(", ", mask.Shape)}] does not broadcast to the scores [{string.Join(", ", full)}]");
        }

        var st = ShapeUtil.BroadcastStrides(mask.Shape, full);
        int heads = ShapeUtil.Numel(batch);
        var bases = new long[heads];
        for (int h = 0; h < heads; h++)
        {
            long off = 0;
            int rest = h;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                off += (long)(rest % batch[d]) * st[d];
                rest /= batch[d];
            }

            bases[h] = off;
        }

        return new MaskLayout(mask.Data, bases, st[^2], st[^1]);
    }

    /// <summary>
    /// Attention over <paramref name="heads"/> heads: q rows (Lq, d), k rows (Lk, d), v rows (Lk, dv) per head at the
    /// given layouts; the output (shape <paramref name="outShape"/>) is written at <paramref name="oL"/>.
    /// </summary>
    public static Tensor Run(Tensor q, Tensor k, Tensor v, int heads, int lq, int lk, int d, int dv, Layout qL, Layout kL, Layout vL, Layout oL, int[] outShape, MaskLayout? mask, bool isCausal, float scale)
    {
        var y = TensorScope.Output(ShapeUtil.Numel(outShape));
        bool keep = Autograd.IsEnabled && (q.RequiresGrad || k.RequiresGrad || v.RequiresGrad);
        var probs = keep ? TensorPool.Rent(heads * lq * lk) : null;
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
                    // S (lq, lk) = Q (lq, d) K^T; K's rows (lk, d) read as K^T with row stride 1, column stride Row
                    Gemm.Multiply(pq + qL.Offset(h), qL.Row, 1, pk + kL.Offset(h), 1, kL.Row, p, lk, lq, lk, d, false);
                    for (int i = 0; i < lq; i++)
                    {
                        SoftmaxRow(new Span<float>(p + ((long)i * lk), lk), mask, h, i, isCausal, scale);
                    }

                    // O (lq, dv) = P (lq, lk) V (lk, dv)
                    Gemm.Multiply(p, lk, 1, pv + vL.Offset(h), vL.Row, 1, py + oL.Offset(h), oL.Row, lq, dv, lk, false);
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
            var gq = q.RequiresGrad ? TensorPool.RentZeroed(q.Numel) : null;
            var gk = k.RequiresGrad ? TensorPool.RentZeroed(k.Numel) : null;
            var gv = v.RequiresGrad ? TensorPool.RentZeroed(v.Numel) : null;
            Parallelism.For(heads, work * 2, h =>
            {
                var dsBuf = ArrayPool<float>.Shared.Rent(lq * lk);
                try
                {
                    fixed (float* pq = qd, pk = kd, pv = vd, pp = probs, pg = g, pds = dsBuf, pgq = gq, pgk = gk, pgv = gv)
                    {
                        float* p = pp + ((long)h * lq * lk);
                        float* go = pg + oL.Offset(h);
                        if (pgv != null)
                        {
                            // dV (lk, dv) = P^T (lk, lq) dO (lq, dv)
                            Gemm.Multiply(p, 1, lk, go, oL.Row, 1, pgv + vL.Offset(h), vL.Row, lk, dv, lq, false);
                        }

                        if (pgq == null && pgk == null)
                        {
                            return;
                        }

                        // dP (lq, lk) = dO (lq, dv) V^T
                        Gemm.Multiply(go, oL.Row, 1, pv + vL.Offset(h), 1, vL.Row, pds, lk, lq, lk, dv, false);
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
                            Gemm.Multiply(pds, lk, 1, pk + kL.Offset(h), kL.Row, 1, pgq + qL.Offset(h), qL.Row, lq, d, lk, false);
                        }

                        if (pgk != null)
                        {
                            // dK (lk, d) = dS^T (lk, lq) Q (lq, d)
                            Gemm.Multiply(pds, 1, lk, pq + qL.Offset(h), qL.Row, 1, pgk + kL.Offset(h), kL.Row, lk, d, lq, false);
                        }
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(dsBuf);
                }
            });

            TensorPool.Return(probs);
            if (gq is not null)
            {
                q.AccumulateGrad(gq, owned: true);
            }

            if (gk is not null)
            {
                k.AccumulateGrad(gk, owned: true);
            }

            if (gv is not null)
            {
                v.AccumulateGrad(gv, owned: true);
            }
        });
    }

    // row <- softmax(scale row) over the entries the mask and the causal triangle allow (masked scores become -inf, so
    // exp gives them 0); a row with nothing allowed is NaN, as a softmax over -inf is
    private static void SoftmaxRow(Span<float> row, MaskLayout? mask, int h, int i, bool isCausal, float scale)
    {
        int valid = isCausal ? Math.Min(row.Length, i + 1) : row.Length;
        var live = row[..valid];
        row[valid..].Clear();
        TensorPrimitives.Multiply(live, scale, live);
        if (mask is not null)
        {
            long at = mask.Base[h] + ((long)i * mask.Row);
            if (mask.Column == 0)
            {
                if (mask.Data[at] == 0)
                {
                    live.Fill(float.NegativeInfinity);
                }
            }
            else
            {
                var m = mask.Data.AsSpan((int)at, valid);
                for (int j = 0; j < valid; j++)
                {
                    if (m[j] == 0)
                    {
                        live[j] = float.NegativeInfinity;
                    }
                }
            }
        }

        float max = valid == 0 ? float.NegativeInfinity : TensorPrimitives.Max(live);
        if (float.IsNegativeInfinity(max))
        {
            row.Fill(float.NaN);
            return;
        }

        TensorPrimitives.Subtract(live, max, live);
        TensorPrimitives.Exp(live, live);
        TensorPrimitives.Divide(live, TensorPrimitives.Sum(live), live);
    }
}
