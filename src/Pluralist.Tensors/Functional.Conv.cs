using System.Buffers;
using System.Numerics.Tensors;

namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>
    /// 2-D convolution (cross-correlation): x (B, C, H, W), weight (O, C/groups, KH, KW), bias (O) -> (B, O, Ho, Wo),
    /// Ho = (H + 2 padding - dilation (KH - 1) - 1) / stride + 1. Forward pass, weight gradient and (stride 1) input
    /// gradient run the direct kernels of <see cref="DirectConv"/>; the input gradient of a strided convolution goes
    /// through the packed GEMM and col2im.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        using var op = Profiler.Op("conv2d");
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
        int slack = (dilation * (kw - 1)) + DirectConv.MaxPixels;
        var y = TensorScope.Output(bsz * o * hw); // every element is written below
        var offs = new int[ckk];
        // the channel-vectorised kernels read strided pixels from a source that is only padded; the pixel kernels
        // need it split by stride phase
        bool channels = DirectConv.PreferChannels(g.Wo);
        int prepStride = channels ? 1 : stride;
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        // the weight gradient reads the same prepared input: kept for backward (returned to the pool there) instead of
        // built a second time, when that gradient will be asked for
        DirectConv.Source? kept = null;
        var src = DirectConv.Prepare(x.Data, bsz, c, h, w, padding, padding, prepStride, slack);
        try
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

            if (Autograd.Needs(inputs) && weight.RequiresGrad)
            {
                kept = src;
            }
        }
        finally
        {
            if (kept is null)
            {
                src.Dispose();
            }
        }

        return Autograd.Record(new Tensor(y, bsz, o, g.Ho, g.Wo), inputs, gy =>
        {
            if (weight.RequiresGrad)
            {
                // dW[o, (c, u, v)] = sum over samples and output pixels of dY[o, pixel] x_pad[c, pixel + tap (u, v)]
                var gw = TensorPool.RentZeroed(weight.Numel);
                var woffs = new int[ckk];
                using var src = kept ?? DirectConv.Prepare(x.Data, bsz, c, h, w, padding, padding, prepStride, slack);
                kept = null;
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
                var gx = TensorPool.RentZeroed(x.Numel);
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

                bias.AccumulateGrad(gb, owned: true);
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
        using var src = DirectConv.Prepare(gy, bsz, o, ho, wo, padH, padW, 1, (2 * padW) + p + DirectConv.MaxPixels + 8);
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
}
