using System.Buffers;
using System.Numerics.Tensors;

namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>
    /// Batched matrix product: a (..., M, K) x b (..., K, N) -> (..., M, N). Batch dimensions must match,
    /// or b may be a plain (K, N) matrix shared by every batch.
    /// </summary>
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank < 2 || b.Rank < 2)
        {
            Throw.Argument("matmul needs rank >= 2");
        }

        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k)
        {
            Throw.Argument($"matmul inner sizes differ: {k} vs {b.Shape[^2]}");
        }

        var outShape = (int[])a.Shape.Clone();
        outShape[^1] = n;
        if (b.Rank == 2)
        {
            // (B*M, K) x (K, N): one large product.
            int rows = a.Numel / k;
            var y2 = new float[rows * n];
            Gemm.Multiply(a.Data, 0, false, b.Data, 0, false, y2, 0, rows, n, k, false);
            return Autograd.Record(new Tensor(y2, outShape), [a, b], g =>
            {
                if (a.RequiresGrad)
                {
                    var ga = new float[a.Numel];
                    Gemm.Multiply(g, 0, false, b.Data, 0, true, ga, 0, rows, k, n, false); // g (R, N) x b^T (N, K)
                    a.AccumulateGrad(ga);
                }

                if (b.RequiresGrad)
                {
                    var gb = new float[b.Numel];
                    Gemm.Multiply(a.Data, 0, true, g, 0, false, gb, 0, k, n, rows, false); // a^T (K, R) x g (R, N)
                    b.AccumulateGrad(gb);
                }
            });
        }

        if (!a.Shape.AsSpan(0, a.Rank - 2).SequenceEqual(b.Shape.AsSpan(0, b.Rank - 2)))
        {
            Throw.Argument("matmul batch dimensions differ");
        }

        int batch = a.Numel / (m * k);
        var y = new float[batch * m * n];
        // Batches in parallel; each product is then computed serially on its worker (nested loops run inline).
        long work = (long)m * n * k / 8;
        Parallelism.For(batch, work, i => Gemm.Multiply(a.Data, i * m * k, false, b.Data, i * k * n, false, y, i * m * n, m, n, k, false));

        return Autograd.Record(new Tensor(y, outShape), [a, b], g =>
        {
            if (a.RequiresGrad)
            {
                var ga = new float[a.Numel];
                Parallelism.For(batch, work, i => Gemm.Multiply(g, i * m * n, false, b.Data, i * k * n, true, ga, i * m * k, m, k, n, false));

                a.AccumulateGrad(ga);
            }

            if (b.RequiresGrad)
            {
                var gb = new float[b.Numel];
                Parallelism.For(batch, work, i => Gemm.Multiply(a.Data, i * m * k, true, g, i * m * n, false, gb, i * k * n, k, n, m, false));

                b.AccumulateGrad(gb);
            }
        });
    }

    /// <summary>y = x W^T + b: x (..., In), weight (Out, In), bias (Out) -> (..., Out).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        int inF = weight.Shape[1], outF = weight.Shape[0];
        if (x.Shape[^1] != inF)
        {
            Throw.Argument($"linear expects {inF} input features, got {x.Shape[^1]}");
        }

        int rows = x.Numel / inF;
        var y = new float[rows * outF];
        Gemm.Multiply(x.Data, 0, false, weight.Data, 0, true, y, 0, rows, outF, inF, false);
        if (bias is not null)
        {
            for (int r = 0; r < rows; r++)
            {
                var row = y.AsSpan(r * outF, outF);
                TensorPrimitives.Add(row, bias.Data, row);
            }
        }

        var shape = (int[])x.Shape.Clone();
        shape[^1] = outF;
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(new Tensor(y, shape), inputs, g =>
        {
            if (x.RequiresGrad)
            {
                var gx = new float[x.Numel];
                Gemm.Multiply(g, 0, false, weight.Data, 0, false, gx, 0, rows, inF, outF, false); // (R, Out) x (Out, In)
                x.AccumulateGrad(gx);
            }

            if (weight.RequiresGrad)
            {
                var gw = new float[weight.Numel];
                Gemm.Multiply(g, 0, true, x.Data, 0, false, gw, 0, outF, inF, rows, false); // (Out, R) x (R, In)
                weight.AccumulateGrad(gw);
            }

            if (bias is not null && bias.RequiresGrad)
            {
                var gb = new float[outF];
                for (int r = 0; r < rows; r++)
                {
                    TensorPrimitives.Add(gb, g.AsSpan(r * outF, outF), gb);
                }

                bias.AccumulateGrad(gb);
            }
        });
    }

    /// <summary>
    /// 2-D convolution (cross-correlation): x (B, C, H, W), weight (O, C/groups, KH, KW), bias (O) -> (B, O, Ho, Wo),
    /// Ho = (H + 2 padding - dilation (KH - 1) - 1) / stride + 1. Forward pass, weight gradient and (stride 1) input
    /// gradient run the direct kernels of <see cref="DirectConv"/>; the input gradient of a strided convolution goes
    /// through the packed GEMM and col2im.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank != 4 || weight.Rank != 4)
        {
            Throw.Argument("conv2d needs (B, C, H, W) input and (O, C/g, KH, KW) weight");
        }

        int bsz = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int o = weight.Shape[0], cg = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        if (groups < 1 || c % groups != 0 || o % groups != 0 || c / groups != cg)
        {
            Throw.Argument("conv2d channel/group mismatch");
        }

        if (stride < 1 || padding < 0 || dilation < 1)
        {
            Throw.Argument($"conv2d needs stride >= 1, padding >= 0 and dilation >= 1 (got {stride}, {padding}, {dilation})");
        }

        var g = new ConvGeometry(c, h, w, cg, kh, kw, stride, padding, dilation);
        if (g.Ho < 1 || g.Wo < 1)
        {
            Throw.Argument($"conv2d kernel {kh}x{kw} (dilation {dilation}) is larger than the padded input {h + (2 * padding)}x{w + (2 * padding)}");
        }

        int og = o / groups, hw = g.Ho * g.Wo, ckk = cg * kh * kw;
        int slack = (dilation * (kw - 1)) + DirectConv.NR;
        var y = GC.AllocateUninitializedArray<float>(bsz * o * hw); // every element is written below
        var offs = new int[ckk];
        // the channel-vectorised kernels read strided pixels from a source that is only padded; the pixel kernels
        // need it split by stride phase
        bool channels = DirectConv.PreferChannels(g.Wo);
        int prepStride = channels ? 1 : stride;
        using (var src = DirectConv.Prepare(x.Data, bsz, c, h, w, padding, padding, prepStride, slack))
        {
            for (int gi = 0; gi < groups; gi++)
            {
                ConvOffsets(offs, src, gi * cg, cg, kh, kw, dilation);
                if (channels)
                {
                    DirectConv.ForwardChannels(src, bsz, weight.Data, gi * og * ckk, og, ckk, offs, y, o, gi * og, g.Ho, g.Wo, bias?.Data, gi * og, pixelStride: stride);
                    continue;
                }

                DirectConv.Forward(src, bsz, weight.Data, gi * og * ckk, og, ckk, offs, y, o, gi * og, g.Ho, g.Wo, bias?.Data, gi * og);
            }
        }

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(new Tensor(y, bsz, o, g.Ho, g.Wo), inputs, gy =>
        {
            if (weight.RequiresGrad)
            {
                // dW[o, (c, u, v)] = sum over samples and output pixels of dY[o, pixel] x_pad[c, pixel + tap (u, v)]
                var gw = new float[weight.Numel];
                var woffs = new int[ckk];
                using var src = DirectConv.Prepare(x.Data, bsz, c, h, w, padding, padding, prepStride, slack);
                for (int gi = 0; gi < groups; gi++)
                {
                    ConvOffsets(woffs, src, gi * cg, cg, kh, kw, dilation);
                    if (channels)
                    {
                        DirectConv.WeightGradChannels(src, bsz, gy, o, gi * og, og, g.Ho, g.Wo, woffs, ckk, gw, gi * og * ckk, stride);
                        continue;
                    }

                    var spread = DirectConv.Spread(gy, bsz, o, gi * og, og, g.Ho, g.Wo, src.Wq, out int len);
                    try
                    {
                        DirectConv.WeightGrad(src, bsz, spread, og, len, woffs, ckk, gw, gi * og * ckk);
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(spread);
                    }
                }

                weight.AccumulateGrad(gw, owned: true);
            }

            if (x.RequiresGrad)
            {
                var gx = new float[x.Numel];
                Conv2dInputGrad(gy, weight.Data, gx, g, bsz, o, og, groups);
                x.AccumulateGrad(gx, owned: true);
            }

            if (bias is not null && bias.RequiresGrad)
            {
                var gb = new float[o];
                for (int b = 0; b < bsz; b++)
                {
                    for (int oc = 0; oc < o; oc++)
                    {
                        gb[oc] += TensorPrimitives.Sum(gy.AsSpan(((b * o) + oc) * hw, hw));
                    }
                }

                bias.AccumulateGrad(gb);
            }
        });
    }

    // offs[(c, u, v)] = position of tap (u, v) of channel c0 + c in the prepared source, relative to the output pixel.
    private static void ConvOffsets(int[] offs, DirectConv.Source src, int c0, int cg, int kh, int kw, int dilation)
    {
        for (int ci = 0; ci < cg; ci++)
        {
            for (int u = 0; u < kh; u++)
            {
                for (int v = 0; v < kw; v++)
                {
                    offs[(((ci * kh) + u) * kw) + v] = src.Offset(c0 + ci, u * dilation, v * dilation);
                }
            }
        }
    }

    // dX[b, c, y, x] = sum over (o, u, v) with y = i s - p + u d, x = j s - p + v d of W[o, c, u, v] dY[b, o, i, j].
    // Split by output phase (y mod s, x mod s) = (a, e): y = s Y + a reads dY row i = Y + (a + p - u d) / s for the taps
    // u with (a + p - u d) divisible by s, so every phase is a stride-1 correlation of the zero-padded dY over a subset
    // of taps, run by the direct kernel writing straight into dX with row stride s W and column stride s.
    private static void Conv2dInputGrad(float[] gy, float[] weight, float[] gx, ConvGeometry g, int bsz, int o, int og, int groups)
    {
        int s = g.Stride, p = g.Padding, d = g.Dilation, kh = g.KH, kw = g.KW, cg = g.Cg, c = g.C, h = g.H, w = g.W, ho = g.Ho, wo = g.Wo;
        // shift (a + p - u d) / s of tap u in phase a, or int.MinValue when the tap does not reach this phase
        static int Shift(int a, int p, int u, int d, int s) => (a + p - (u * d)) % s == 0 ? (a + p - (u * d)) / s : int.MinValue;
        static int Phases(int size, int a, int s) => (size - a + s - 1) / s;

        // one zero padding of dY wide enough for every phase: reads at Y + shift for Y < phase size
        int padH = 0, padW = 0;
        for (int a = 0; a < s; a++)
        {
            for (int u = 0; u < kh; u++)
            {
                int r = Shift(a, p, u, d, s);
                if (r != int.MinValue && Phases(h, a, s) > 0)
                {
                    padH = Math.Max(padH, Math.Max(-r, Phases(h, a, s) - 1 + r - (ho - 1)));
                }
            }

            for (int v = 0; v < kw; v++)
            {
                int r = Shift(a, p, v, d, s);
                if (r != int.MinValue && Phases(w, a, s) > 0)
                {
                    padW = Math.Max(padW, Math.Max(-r, Phases(w, a, s) - 1 + r - (wo - 1)));
                }
            }
        }

        padW = Math.Max(padW, (Phases(w, 0, s) - wo + 1) / 2);
        using var src = DirectConv.Prepare(gy, bsz, o, ho, wo, padH, padW, 1, (2 * padW) + p + DirectConv.NR + 8);
        var us = new List<(int U, int R)>();
        var vs = new List<(int V, int R)>();
        for (int a = 0; a < s; a++)
        {
            for (int e = 0; e < s; e++)
            {
                int hph = Phases(h, a, s), wph = Phases(w, e, s);
                if (hph <= 0 || wph <= 0)
                {
                    continue;
                }

                us.Clear();
                vs.Clear();
                for (int u = 0; u < kh; u++)
                {
                    int r = Shift(a, p, u, d, s);
                    if (r != int.MinValue)
                    {
                        us.Add((u, r));
                    }
                }

                for (int v = 0; v < kw; v++)
                {
                    int r = Shift(e, p, v, d, s);
                    if (r != int.MinValue)
                    {
                        vs.Add((v, r));
                    }
                }

                if (us.Count == 0 || vs.Count == 0)
                {
                    continue; // no tap reaches this phase: its dX stays zero
                }

                // dX[b, c, s Y + a, s X + e]: written in place with strides (s w, s)
                var layout = new DirectConv.OutputLayout(h * w, s * w, s, (a * w) + e);
                int taps = us.Count * vs.Count, k = og * taps;
                if (s == 1 && DirectConv.PreferChannels(w))
                {
                    // channel-vectorised kernel: the (cg, k) weight matrix goes straight into its packed layout
                    // (32-channel panels), read along the weight's own order
                    int mBlocks = (cg + DirectConv.CR - 1) / DirectConv.CR;
                    var packed = ArrayPool<float>.Shared.Rent(mBlocks * DirectConv.CR * k);
                    var coffs = new int[k];
                    try
                    {
                        for (int gi = 0; gi < groups; gi++)
                        {
                            Array.Clear(packed, 0, mBlocks * DirectConv.CR * k);
                            for (int r = 0; r < og; r++)
                            {
                                for (int tu = 0; tu < us.Count; tu++)
                                {
                                    for (int tv = 0; tv < vs.Count; tv++)
                                    {
                                        int t = (((r * us.Count) + tu) * vs.Count) + tv;
                                        coffs[t] = src.Offset((gi * og) + r, us[tu].R + padH, vs[tv].R + padW);
                                        int wBase = ((((gi * og) + r) * cg) * kh * kw) + (us[tu].U * kw) + vs[tv].V;
                                        for (int ci = 0; ci < cg; ci++)
                                        {
                                            packed[(((ci / DirectConv.CR * k) + t) * DirectConv.CR) + (ci % DirectConv.CR)] = weight[wBase + (ci * kh * kw)];
                                        }
                                    }
                                }
                            }

                            DirectConv.ForwardChannelsPacked(src, bsz, packed, cg, k, coffs, gx, c, gi * cg, hph, wph, null, 0, layout);
                        }
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(packed);
                    }

                    continue;
                }

                var a2 = ArrayPool<float>.Shared.Rent(cg * k);
                var offs = new int[k];
                try
                {
                    for (int gi = 0; gi < groups; gi++)
                    {
                        for (int r = 0; r < og; r++)
                        {
                            for (int tu = 0; tu < us.Count; tu++)
                            {
                                for (int tv = 0; tv < vs.Count; tv++)
                                {
                                    int t = (((r * us.Count) + tu) * vs.Count) + tv;
                                    offs[t] = src.Offset((gi * og) + r, us[tu].R + padH, vs[tv].R + padW);
                                    for (int ci = 0; ci < cg; ci++)
                                    {
                                        a2[(ci * k) + t] = weight[(((((((gi * og) + r) * cg) + ci) * kh) + us[tu].U) * kw) + vs[tv].V];
                                    }
                                }
                            }
                        }

                        DirectConv.Forward(src, bsz, a2, 0, cg, k, offs, gx, c, gi * cg, hph, wph, null, 0, layout: layout);
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(a2);
                }
            }
        }
    }

    /// <summary>Nearest-neighbour upsampling by an integer factor: (B, C, H, W) -> (B, C, H s, W s).</summary>
    public static Tensor UpsampleNearest2d(Tensor x, int scale)
    {
        ArgumentNullException.ThrowIfNull(x);
        int bc = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int ho = h * scale, wo = w * scale;
        var y = new float[bc * ho * wo];
        for (int p = 0; p < bc; p++)
        {
            for (int i = 0; i < ho; i++)
            {
                int src = (p * h * w) + (i / scale * w);
                int dst = ((p * ho) + i) * wo;
                for (int j = 0; j < wo; j++)
                {
                    y[dst + j] = x.Data[src + (j / scale)];
                }
            }
        }

        return Autograd.Record(new Tensor(y, x.Shape[0], x.Shape[1], ho, wo), [x], g =>
        {
            var gx = new float[x.Numel];
            for (int p = 0; p < bc; p++)
            {
                for (int i = 0; i < ho; i++)
                {
                    int src = (p * h * w) + (i / scale * w);
                    int dst = ((p * ho) + i) * wo;
                    for (int j = 0; j < wo; j++)
                    {
                        gx[src + (j / scale)] += g[dst + j];
                    }
                }
            }

            x.AccumulateGrad(gx);
        });
    }

    /// <summary>Average pooling with a square window and stride = kernel (no padding): (B, C, H, W) -> (B, C, H/k, W/k).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel)
    {
        ArgumentNullException.ThrowIfNull(x);
        int bc = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int ho = h / kernel, wo = w / kernel;
        float inv = 1f / (kernel * kernel);
        var y = new float[bc * ho * wo];
        for (int p = 0; p < bc; p++)
        {
            for (int i = 0; i < ho; i++)
            {
                for (int j = 0; j < wo; j++)
                {
                    float s = 0;
                    for (int u = 0; u < kernel; u++)
                    {
                        for (int v = 0; v < kernel; v++)
                        {
                            s += x.Data[(((p * h) + (i * kernel) + u) * w) + (j * kernel) + v];
                        }
                    }

                    y[(((p * ho) + i) * wo) + j] = s * inv;
                }
            }
        }

        return Autograd.Record(new Tensor(y, x.Shape[0], x.Shape[1], ho, wo), [x], g =>
        {
            var gx = new float[x.Numel];
            for (int p = 0; p < bc; p++)
            {
                for (int i = 0; i < ho; i++)
                {
                    for (int j = 0; j < wo; j++)
                    {
                        float gv = g[(((p * ho) + i) * wo) + j] * inv;
                        for (int u = 0; u < kernel; u++)
                        {
                            for (int v = 0; v < kernel; v++)
                            {
                                gx[(((p * h) + (i * kernel) + u) * w) + (j * kernel) + v] += gv;
                            }
                        }
                    }
                }
            }

            x.AccumulateGrad(gx);
        });
    }

    /// <summary>
    /// Group normalisation (Wu and He 2018): x (B, C, ...) split into G groups of C/G channels,
    /// y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c], statistics per (sample, group), biased variance.
    /// </summary>
    public static Tensor GroupNorm(Tensor x, int groups, Tensor? gamma, Tensor? beta, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        int bsz = x.Shape[0], c = x.Shape[1];
        if (c % groups != 0)
        {
            Throw.Argument("channels must divide into groups");
        }

        int spatial = x.Numel / (bsz * c);
        return Normalize(x, bsz * groups, (c / groups) * spatial, gamma, beta, eps, spatial, c);
    }

    /// <summary>Layer normalisation (Ba et al. 2016) over the last dimension: gamma, beta (D).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = x.Shape[^1];
        return Normalize(x, x.Numel / d, d, gamma, beta, eps, 1, d);
    }

    // Normalises `rows` contiguous blocks of `m` elements. The affine entry of flat index i is (i / run) % channels:
    // every row is a sequence of runs of `run` elements that share one entry (group norm: a channel's pixels; layer
    // norm: run 1). Statistics: float vector sums per run, combined in double, in a fixed order per row.
    // Backward: dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma.
    private static Tensor Normalize(Tensor x, int rows, int m, Tensor? gamma, Tensor? beta, float eps, int run, int channels)
    {
        var y = new float[x.Numel];
        var xhat = new float[x.Numel];
        var rstd = new float[rows];
        // layer-norm-like rows (run 1) are one span for the statistics; the row then covers channels ch0 .. ch0 + m - 1
        int sr = run == 1 ? m : run, runs = m / sr;
        Parallelism.For(rows, m * 4L, r =>
        {
            var seg = x.Data.AsSpan(r * m, m);
            double mean = 0;
            for (int q = 0; q < runs; q++)
            {
                mean += TensorPrimitives.Sum(seg.Slice(q * sr, sr));
            }

            mean /= m;
            double var = 0;
            var xh = xhat.AsSpan(r * m, m);
            TensorPrimitives.Subtract(seg, (float)mean, xh);
            for (int q = 0; q < runs; q++)
            {
                var part = xh.Slice(q * sr, sr);
                var += TensorPrimitives.Dot(part, part);
            }

            var /= m;
            float rs = (float)(1.0 / Math.Sqrt(var + eps));
            rstd[r] = rs;
            TensorPrimitives.Multiply(xh, rs, xh);
            var yr = y.AsSpan(r * m, m);
            if (run == 1)
            {
                int ch0 = r * m % channels;
                if (gamma is null)
                {
                    xh.CopyTo(yr);
                }
                else
                {
                    TensorPrimitives.Multiply(xh, gamma.Data.AsSpan(ch0, m), yr);
                }

                if (beta is not null)
                {
                    TensorPrimitives.Add(yr, beta.Data.AsSpan(ch0, m), yr);
                }

                return;
            }

            for (int q = 0; q < runs; q++)
            {
                int ch = ((r * m) + (q * run)) / run % channels;
                var dst = yr.Slice(q * run, run);
                TensorPrimitives.Multiply(xh.Slice(q * run, run), gamma is null ? 1f : gamma.Data[ch], dst);
                TensorPrimitives.Add(dst, beta is null ? 0f : beta.Data[ch], dst);
            }
        });

        Tensor[] inputs = gamma is null ? (beta is null ? [x] : [x, beta]) : (beta is null ? [x, gamma] : [x, gamma, beta]);
        return Autograd.Record(new Tensor(y, x.Shape), inputs, g =>
        {
            if (x.RequiresGrad)
            {
                var gx = new float[x.Numel];
                Parallelism.For(rows, m * 4L, r =>
                {
                    var gr = g.AsSpan(r * m, m);
                    var xh = xhat.AsSpan(r * m, m);
                    var gxr = gx.AsSpan(r * m, m);
                    if (gamma is not null && run == 1)
                    {
                        TensorPrimitives.Multiply(gr, gamma.Data.AsSpan(r * m % channels, m), gxr); // dxhat
                        gr = gxr;
                    }

                    double s1 = 0, s2 = 0;
                    for (int q = 0; q < runs; q++)
                    {
                        float gc = gamma is null || run == 1 ? 1f : gamma.Data[((r * m) + (q * sr)) / sr % channels];
                        var gq = gr.Slice(q * sr, sr);
                        s1 += gc * (double)TensorPrimitives.Sum(gq);
                        s2 += gc * (double)TensorPrimitives.Dot(gq, xh.Slice(q * sr, sr));
                    }

                    s1 /= m;
                    s2 /= m;
                    float rs = rstd[r];
                    for (int q = 0; q < runs; q++)
                    {
                        float gc = gamma is null || run == 1 ? 1f : gamma.Data[((r * m) + (q * sr)) / sr % channels];
                        var dst = gxr.Slice(q * sr, sr);
                        var gq = gr.Slice(q * sr, sr);
                        // rstd (gc g - s1 - xhat s2), computed in place (gq may be dst itself)
                        TensorPrimitives.Multiply(gq, rs * gc, dst);
                        TensorPrimitives.MultiplyAdd(xh.Slice(q * sr, sr), (float)(-rs * s2), dst, dst);
                        TensorPrimitives.Add(dst, (float)(-rs * s1), dst);
                    }
                });
                x.AccumulateGrad(gx);
            }

            bool needGamma = gamma is not null && gamma.RequiresGrad, needBeta = beta is not null && beta.RequiresGrad;
            if (!needGamma && !needBeta)
            {
                return;
            }

            var gg = new double[channels];
            var gb = new double[channels];
            if (run == 1)
            {
                var accG = new float[channels];
                var accB = new float[channels];
                for (int r = 0; r < rows; r++)
                {
                    var gr = g.AsSpan(r * m, m);
                    var ag = accG.AsSpan(r * m % channels, m);
                    var ab = accB.AsSpan(r * m % channels, m);
                    TensorPrimitives.MultiplyAdd(gr, xhat.AsSpan(r * m, m), ag, ag);
                    TensorPrimitives.Add(gr, ab, ab);
                }

                for (int ch = 0; ch < channels; ch++)
                {
                    gg[ch] = accG[ch];
                    gb[ch] = accB[ch];
                }
            }
            else
            {
                for (int at = 0; at < x.Numel; at += run)
                {
                    int ch = at / run % channels;
                    var gq = g.AsSpan(at, run);
                    gg[ch] += TensorPrimitives.Dot(gq, xhat.AsSpan(at, run));
                    gb[ch] += TensorPrimitives.Sum(gq);
                }
            }

            if (needGamma)
            {
                gamma!.AccumulateGrad(gg.Select(v => (float)v).ToArray());
            }

            if (needBeta)
            {
                beta!.AccumulateGrad(gb.Select(v => (float)v).ToArray());
            }
        });
    }

    /// <summary>Rows of weight (V, D) picked by indices of shape <paramref name="indexShape"/> -> (indexShape..., D).</summary>
    public static Tensor Embedding(Tensor weight, int[] indices, params int[] indexShape)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(indices);
        var shape = indexShape.Length == 0 ? [indices.Length] : indexShape;
        var rows = IndexSelect(weight, 0, indices);
        return Reshape(rows, [.. shape, weight.Shape[1]]);
    }

    /// <summary>Softmax along dim: exp(x - max) / sum exp(x - max).</summary>
    public static Tensor Softmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: false);

    /// <summary>Log-softmax along dim: x - max - log sum exp(x - max).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: true);

    private static Tensor SoftmaxCore(Tensor x, int dim, bool log)
    {
        ArgumentNullException.ThrowIfNull(x);
        int ax = ShapeUtil.Axis(dim, x.Rank);
        if (ax != x.Rank - 1)
        {
            return Transpose(SoftmaxCore(Transpose(x, ax, -1), -1, log), ax, -1);
        }

        int n = x.Shape[^1], rows = x.Numel / Math.Max(n, 1);
        var y = new float[x.Numel];
        Parallelism.For(rows, n * 8L, r => SoftmaxRow(y.AsSpan(r * n, n), x.Data.AsSpan(r * n, n), log));
        return Autograd.Record(new Tensor(y, x.Shape), [x], g =>
        {
            var gx = new float[x.Numel];
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
            x.AccumulateGrad(gx);
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
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        int lq = q.Shape[^2], lk = k.Shape[^2];
        float sc = scale ?? 1f / MathF.Sqrt(q.Shape[^1]);
        if (mask is null && FusedAttention.Applies(q, k, v))
        {
            return FusedAttention.Run(q, k, v, isCausal, sc);
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
    /// Sinusoidal timestep embedding (Vaswani et al. 2017; DDPM, Ho et al. 2020) as diffusers'
    /// <c>get_timestep_embedding</c>: t (N) -> (N, dim) with f_i = exp(-ln(maxPeriod) i / (half - shift)),
    /// halves [cos(t f), sin(t f)] when <paramref name="flipSinToCos"/> (Stable Diffusion's UNet), else [sin, cos].
    /// Timesteps are data, so no gradient is recorded.
    /// </summary>
    public static Tensor TimestepEmbedding(float[] timesteps, int dim, bool flipSinToCos = true, float downscaleFreqShift = 0f, float maxPeriod = 10000f)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        int half = dim / 2;
        var y = new float[timesteps.Length * dim];
        for (int n = 0; n < timesteps.Length; n++)
        {
            for (int i = 0; i < half; i++)
            {
                float f = MathF.Exp(-MathF.Log(maxPeriod) * i / (half - downscaleFreqShift));
                float a = timesteps[n] * f;
                float s = MathF.Sin(a), c = MathF.Cos(a);
                y[(n * dim) + i] = flipSinToCos ? c : s;
                y[(n * dim) + half + i] = flipSinToCos ? s : c;
            }
        }

        return new Tensor(y, timesteps.Length, dim);
    }

    /// <summary>Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training.</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(generator);
        if (!training || p == 0f)
        {
            return x;
        }

        var maskData = new float[x.Numel];
        float keep = 1f / (1f - p);
        for (int i = 0; i < maskData.Length; i++)
        {
            maskData[i] = generator.NextFloat() >= p ? keep : 0f;
        }

        return Mul(x, new Tensor(maskData, x.Shape));
    }

    /// <summary>Mean squared error mean((a - b)^2).</summary>
    public static Tensor MseLoss(Tensor a, Tensor b)
    {
        var d = Sub(a, b);
        return Mean(Mul(d, d));
    }

    /// <summary>Cross-entropy of logits (N, C) against class indices (N), averaged over N.</summary>
    public static Tensor CrossEntropy(Tensor logits, int[] targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        int n = logits.Shape[0], c = logits.Numel / n;
        if (targets.Length != n)
        {
            Throw.Argument("one target per row");
        }

        var logp = new float[logits.Numel];
        double loss = 0;
        for (int r = 0; r < n; r++)
        {
            if ((uint)targets[r] >= (uint)c)
            {
                Throw.Argument("target out of range");
            }

            SoftmaxRow(logp.AsSpan(r * c, c), logits.Data.AsSpan(r * c, c), log: true);
            loss -= logp[(r * c) + targets[r]];
        }

        return Autograd.Record(new Tensor([(float)(loss / n)], 1), [logits], g =>
        {
            // d/dlogits = (softmax - onehot) / N
            var gl = new float[logits.Numel];
            float s = g[0] / n;
            for (int r = 0; r < n; r++)
            {
                for (int j = 0; j < c; j++)
                {
                    gl[(r * c) + j] = MathF.Exp(logp[(r * c) + j]) * s;
                }

                gl[(r * c) + targets[r]] -= s;
            }

            logits.AccumulateGrad(gl);
        });
    }
}

/// <summary>Output size of a 2-D convolution for one sample and one group.</summary>
internal readonly record struct ConvGeometry(int C, int H, int W, int Cg, int KH, int KW, int Stride, int Padding, int Dilation)
{
    public int Ho => ((H + (2 * Padding) - (Dilation * (KH - 1)) - 1) / Stride) + 1;

    public int Wo => ((W + (2 * Padding) - (Dilation * (KW - 1)) - 1) / Stride) + 1;
}
