using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

/// <summary>Vectorised kernels against plain scalar references.</summary>
[Collection("threads")]
public class KernelTests
{
    private static float[] RefGemm(float[] a, bool ta, float[] b, bool tb, int m, int n, int k)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (double)(ta ? a[(p * m) + i] : a[(i * k) + p]) * (tb ? b[(j * k) + p] : b[(p * n) + j]);
                }

                c[(i * n) + j] = (float)s;
            }
        }

        return c;
    }

    [Theory]
    [InlineData(1, 1, 1, false, false)]
    [InlineData(7, 17, 5, false, false)]
    [InlineData(6, 16, 256, false, false)]
    [InlineData(73, 530, 300, false, false)]
    [InlineData(50, 33, 70, true, false)]
    [InlineData(50, 33, 70, false, true)]
    [InlineData(145, 91, 513, true, true)]
    [InlineData(20, 37, 4500, false, true)]
    [InlineData(13, 40, 2048, true, false)]
    public void Gemm_matches_scalar_reference(int m, int n, int k, bool ta, bool tb)
    {
        var g = new Generator(3);
        var a = g.Normal(0, 1, m * k).Data;
        var b = g.Normal(0, 1, k * n).Data;
        var c = new float[m * n];
        Gemm.Multiply(a, 0, ta, b, 0, tb, c, 0, m, n, k, false);
        NumericAssert.Close(RefGemm(a, ta, b, tb, m, n, k), c, 1e-5 * Math.Sqrt(k), "gemm");

        // accumulate adds to what C holds
        var c2 = (float[])c.Clone();
        Gemm.Multiply(a, 0, ta, b, 0, tb, c2, 0, m, n, k, true);
        NumericAssert.Close(c.Select(v => 2 * v).ToArray(), c2, 1e-6, "accumulate");
    }

    // The Vector512 kernels (6 x 32) against the Vector256 ones (6 x 16): the same FMA chains, so the same bits;
    // packed and in-place A, edges in both directions, accumulation.
    [Theory]
    [InlineData(1024, 64, 64, false, true)]
    [InlineData(73, 530, 300, false, false)]
    [InlineData(145, 91, 513, true, true)]
    [InlineData(7, 33, 5, false, false)]
    [InlineData(300, 700, 600, true, false)]
    public void Gemm_vector512_and_vector256_kernels_agree_bit_for_bit(int m, int n, int k, bool ta, bool tb)
    {
        var g = new Generator(6);
        var a = g.Normal(0, 1, m * k).Data;
        var b = g.Normal(0, 1, k * n).Data;
        var c0 = g.Normal(0, 1, m * n).Data;
        var wide = (float[])c0.Clone();
        var narrow = (float[])c0.Clone();
        Gemm.Multiply(a, 0, ta, b, 0, tb, wide, 0, m, n, k, true);
        try
        {
            Gemm.Narrow = true;
            Gemm.Multiply(a, 0, ta, b, 0, tb, narrow, 0, m, n, k, true);
        }
        finally
        {
            Gemm.Narrow = false;
        }

        Assert.Equal(narrow, wide);
    }

    // A read in place (N <= 128) against A packed: the same sums in the same order, so the same bits.
    [Theory]
    [InlineData(1024, 64, 64, false)]
    [InlineData(61, 100, 300, true)]
    [InlineData(13, 128, 17, false)]
    public void Gemm_reading_A_in_place_matches_packing_bit_for_bit(int m, int n, int k, bool ta)
    {
        var g = new Generator(5);
        var a = g.Normal(0, 1, m * k).Data;
        var b = g.Normal(0, 1, k * n).Data;
        var direct = new float[m * n];
        var packed = new float[m * n];
        Gemm.Multiply(a, 0, ta, b, 0, true, direct, 0, m, n, k, false);
        try
        {
            Gemm.PackAlways = true;
            Gemm.Multiply(a, 0, ta, b, 0, true, packed, 0, m, n, k, false);
        }
        finally
        {
            Gemm.PackAlways = false;
        }

        Assert.Equal(packed, direct);
    }

    [Theory]
    [InlineData(300, 700, 600)]
    [InlineData(32, 288, 8192)]
    public void Gemm_result_does_not_depend_on_thread_count(int m, int n, int k)
    {
        var g = new Generator(4);
        var a = g.Normal(0, 1, m * k).Data;
        var b = g.Normal(0, 1, k * n).Data;
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            Gemm.Multiply(a, 0, false, b, 0, false, c1, 0, m, n, k, false);
            Parallelism.Threads = 4;
            Gemm.Multiply(a, 0, false, b, 0, false, c2, 0, m, n, k, false);
        }
        finally
        {
            Parallelism.Threads = saved;
        }

        Assert.Equal(c1, c2);
    }

    [Theory]
    [InlineData(2, 3, 7, 6, 4, 3, 1, 1, 1, 1)]
    [InlineData(1, 4, 9, 9, 6, 3, 2, 1, 2, 2)]
    [InlineData(2, 4, 5, 5, 4, 1, 1, 0, 1, 1)]
    [InlineData(1, 6, 8, 8, 6, 3, 1, 1, 1, 6)]
    public void Conv2d_matches_direct_scalar_convolution(int b, int c, int h, int w, int o, int kk, int stride, int pad, int dil, int groups)
    {
        var g = new Generator(5);
        var x = g.Normal(0, 1, b, c, h, w);
        var wt = g.Normal(0, 1, o, c / groups, kk, kk);
        var bias = g.Normal(0, 1, o);
        var y = F.Conv2d(x, wt, bias, stride, pad, dil, groups);
        int ho = y.Shape[2], wo = y.Shape[3], cg = c / groups, og = o / groups;
        var expected = new float[y.Numel];
        for (int n = 0; n < b; n++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                int gi = oc / og;
                for (int i = 0; i < ho; i++)
                {
                    for (int j = 0; j < wo; j++)
                    {
                        double s = bias.Data[oc];
                        for (int ci = 0; ci < cg; ci++)
                        {
                            for (int u = 0; u < kk; u++)
                            {
                                for (int v = 0; v < kk; v++)
                                {
                                    int yy = (i * stride) - pad + (u * dil), xx = (j * stride) - pad + (v * dil);
                                    if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                                    {
                                        s += (double)x[n, (gi * cg) + ci, yy, xx] * wt[oc, ci, u, v];
                                    }
                                }
                            }
                        }

                        expected[(((n * o) + oc) * ho * wo) + (i * wo) + j] = (float)s;
                    }
                }
            }
        }

        NumericAssert.Close(expected, y.Data, 1e-5, "conv");
    }

    // b, c, h, w, o, kh, kw, stride, pad, dil, groups: odd sizes, widths that leave partial 24-pixel blocks and
    // partial 4-row blocks, stride 2 and 3, dilation, groups, depthwise, padding 0, padding larger than the kernel reach,
    // 1x1 and non-square kernels; the last three: several and partial 32-channel blocks of the channel-vectorised
    // kernels, pixel counts that leave partial 6-column tiles, groups of more than 32 channels.
    public static IEnumerable<object[]> ConvCases =>
    [
        [2, 3, 7, 6, 5, 3, 3, 1, 1, 1, 1],
        [3, 5, 11, 13, 7, 3, 3, 1, 1, 1, 1],
        [1, 4, 9, 9, 6, 3, 3, 2, 1, 2, 2],
        [2, 4, 10, 7, 8, 3, 3, 2, 1, 1, 1],
        [1, 3, 12, 11, 4, 3, 3, 3, 0, 1, 1],
        [2, 4, 5, 5, 4, 1, 1, 1, 0, 1, 1],
        [2, 6, 8, 8, 6, 3, 3, 1, 1, 1, 6],
        [1, 4, 8, 9, 6, 3, 3, 1, 0, 1, 2],
        [1, 2, 9, 10, 3, 3, 3, 1, 3, 1, 1],
        [2, 3, 7, 9, 5, 2, 3, 1, 1, 2, 1],
        [1, 8, 16, 16, 9, 3, 3, 2, 1, 1, 1],
        [1, 2, 3, 3, 2, 3, 3, 1, 0, 1, 1],
        [2, 3, 20, 33, 5, 3, 3, 2, 1, 1, 1],
        [2, 4, 9, 11, 6, 1, 1, 2, 0, 1, 1],
        [1, 4, 14, 13, 6, 3, 3, 2, 2, 2, 2],
        [1, 3, 10, 10, 4, 4, 4, 2, 1, 1, 1],
        [1, 40, 5, 7, 37, 3, 3, 1, 1, 1, 1],
        [2, 66, 4, 5, 70, 3, 3, 1, 1, 1, 2],
        [1, 33, 9, 7, 65, 3, 3, 2, 1, 1, 1],
    ];

    // The pixel-vectorised kernels (4 x 24, 8 x 16 tiles on the padded grid).
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_forward_and_gradients_match_scalar_reference(int b, int c, int h, int w, int o, int kh, int kw, int stride, int pad, int dil, int groups)
        => WithChannels(false, () => CheckConvAgainstScalar(b, c, h, w, o, kh, kw, stride, pad, dil, groups));

    // The channel-vectorised kernels (32 channels x 6 pixels or taps), whatever the machine would pick.
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_channel_kernels_match_scalar_reference(int b, int c, int h, int w, int o, int kh, int kw, int stride, int pad, int dil, int groups)
        => WithChannels(true, () => CheckConvAgainstScalar(b, c, h, w, o, kh, kw, stride, pad, dil, groups));

    // The 16 channels x 6 columns Vector256 tiling (the one for AVX2's 16 registers), whatever the machine would pick.
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_channel_kernel_16x6_matches_scalar_reference(int b, int c, int h, int w, int o, int kh, int kw, int stride, int pad, int dil, int groups)
        => WithTiling(DirectConv.ChannelTiling.Ymm16x6, () => WithChannels(true, () => CheckConvAgainstScalar(b, c, h, w, o, kh, kw, stride, pad, dil, groups)));

    // The three register tilings of the channel-vectorised kernel (32 x 12 in Vector512, 32 x 6 and 16 x 6 in Vector256)
    // on every case: each output is the same FMA chain in all three, so forward, input and weight gradients have the same bits.
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_channel_kernel_tilings_agree_bit_for_bit(int b, int c, int h, int w, int o, int kh, int kw, int stride, int pad, int dil, int groups)
    {
        float[][] Run(DirectConv.ChannelTiling tiling) => WithTiling(tiling, () => WithChannels(true, () =>
        {
            var g = new Generator(19);
            var x = g.Normal(0, 1, b, c, h, w);
            var wt = g.Normal(0, 1, o, c / groups, kh, kw);
            x.RequiresGrad = wt.RequiresGrad = true;
            var y = F.Conv2d(x, wt, null, stride, pad, dil, groups);
            y.Backward(new Generator(20).Normal(0, 1, y.Shape));
            return new[] { y.Data, x.Grad!.Data, wt.Grad!.Data };
        }));

        var reference = Run(DirectConv.ChannelTiling.Ymm16x6);
        Assert.Contains(reference[2], v => v != 0f);
        foreach (var tiling in new[] { DirectConv.ChannelTiling.Ymm32x6, DirectConv.ChannelTiling.Zmm32x12 })
        {
            var other = Run(tiling);
            for (int i = 0; i < reference.Length; i++)
            {
                Assert.Equal(reference[i], other[i]);
            }
        }
    }

    private static T WithTiling<T>(DirectConv.ChannelTiling? tiling, Func<T> body)
    {
        var saved = DirectConv.ForceChannelTiling;
        try
        {
            DirectConv.ForceChannelTiling = tiling;
            return body();
        }
        finally
        {
            DirectConv.ForceChannelTiling = saved;
        }
    }

    private static void WithTiling(DirectConv.ChannelTiling? tiling, Action body) => WithTiling(tiling, () =>
    {
        body();
        return 0;
    });

    private static T WithChannels<T>(bool? channels, Func<T> body)
    {
        var saved = DirectConv.ForceChannels;
        try
        {
            DirectConv.ForceChannels = channels;
            return body();
        }
        finally
        {
            DirectConv.ForceChannels = saved;
        }
    }

    private static void WithChannels(bool? channels, Action body) => WithChannels(channels, () =>
    {
        body();
        return 0;
    });

    private static void CheckConvAgainstScalar(int b, int c, int h, int w, int o, int kh, int kw, int stride, int pad, int dil, int groups)
    {
        var g = new Generator(7);
        var x = g.Normal(0, 1, b, c, h, w);
        var wt = g.Normal(0, 1, o, c / groups, kh, kw);
        var bias = g.Normal(0, 1, o);
        x.RequiresGrad = wt.RequiresGrad = bias.RequiresGrad = true;
        var y = F.Conv2d(x, wt, bias, stride, pad, dil, groups);
        int ho = y.Shape[2], wo = y.Shape[3], cg = c / groups, og = o / groups;
        Assert.Equal(((h + (2 * pad) - (dil * (kh - 1)) - 1) / stride) + 1, ho);
        Assert.Equal(((w + (2 * pad) - (dil * (kw - 1)) - 1) / stride) + 1, wo);
        var gy = g.Normal(0, 1, y.Shape);
        y.Backward(gy);

        var ey = new double[y.Numel];
        var egx = new double[x.Numel];
        var egw = new double[wt.Numel];
        var egb = new double[o];
        for (int n = 0; n < b; n++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                int gi = oc / og;
                for (int i = 0; i < ho; i++)
                {
                    for (int j = 0; j < wo; j++)
                    {
                        int yi = (((n * o) + oc) * ho * wo) + (i * wo) + j;
                        double s = bias.Data[oc], gv = gy.Data[yi];
                        egb[oc] += gv;
                        for (int ci = 0; ci < cg; ci++)
                        {
                            for (int u = 0; u < kh; u++)
                            {
                                for (int v = 0; v < kw; v++)
                                {
                                    int yy = (i * stride) - pad + (u * dil), xx = (j * stride) - pad + (v * dil);
                                    if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                                    {
                                        int xi = ((((n * c) + (gi * cg) + ci) * h) + yy) * w + xx;
                                        int wi = ((((oc * cg) + ci) * kh) + u) * kw + v;
                                        s += (double)x.Data[xi] * wt.Data[wi];
                                        egx[xi] += gv * wt.Data[wi];
                                        egw[wi] += gv * x.Data[xi];
                                    }
                                }
                            }
                        }

                        ey[yi] = s;
                    }
                }
            }
        }

        static float[] F32(double[] a) => a.Select(v => (float)v).ToArray();
        NumericAssert.Close(F32(ey), y.Data, 1e-5, "conv forward");
        NumericAssert.Close(F32(egx), x.Grad!.Data, 1e-5, "conv input gradient");
        NumericAssert.Close(F32(egw), wt.Grad!.Data, 1e-5, "conv weight gradient");
        NumericAssert.Close(F32(egb), bias.Grad!.Data, 1e-5, "conv bias gradient");
    }

    // Vector512 conv kernels against the Vector256 ones on every case, both kernel families: the same sums in the same
    // order wherever the vector width only changes how many lanes run side by side (all but the pixel family's weight
    // gradient, whose lanes are partial sums over pixels).
    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_vector512_and_vector256_kernels_agree_bit_for_bit(int b, int c, int h, int w, int o, int kh, int kw, int stride, int pad, int dil, int groups)
    {
        foreach (bool channels in new[] { false, true })
        {
            float[][] Run(bool narrow)
            {
                bool saved = DirectConv.Narrow;
                try
                {
                    DirectConv.Narrow = narrow;
                    var g = new Generator(17);
                    var x = g.Normal(0, 1, b, c, h, w);
                    var wt = g.Normal(0, 1, o, c / groups, kh, kw);
                    x.RequiresGrad = wt.RequiresGrad = true;
                    return WithChannels(channels, () =>
                    {
                        var y = F.Conv2d(x, wt, null, stride, pad, dil, groups);
                        y.Backward(new Generator(18).Normal(0, 1, y.Shape));
                        return new[] { y.Data, x.Grad!.Data, wt.Grad!.Data };
                    });
                }
                finally
                {
                    DirectConv.Narrow = saved;
                }
            }

            var wide = Run(false);
            var narrow = Run(true);
            Assert.Equal(narrow[0], wide[0]);
            Assert.Equal(narrow[1], wide[1]);
            if (channels)
            {
                Assert.Equal(narrow[2], wide[2]);
            }
            else
            {
                // the pixel weight-gradient kernel sums 16 pixels per lane group instead of 8: other partial sums
                NumericAssert.Close(narrow[2], wide[2], 1e-5, "weight gradient");
            }
        }
    }

    [Fact]
    public void Conv_weight_gradient_kernels_of_3_and_6_taps_agree_bit_for_bit()
    {
        var g = new Generator(11);
        int b = 2, c = 5, h = 9, w = 11, o = 7, kk = 3;
        var x = g.Normal(0, 1, b, c, h, w).Data;
        var gy = g.Normal(0, 1, b, o, h, w).Data;
        using var src = DirectConv.Prepare(x, b, c, h, w, 1, 1, 1, 64);
        var offs = new int[c * kk * kk];
        for (int t = 0; t < offs.Length; t++)
        {
            offs[t] = src.Offset(t / (kk * kk), t / kk % kk, t % kk);
        }

        var spread = DirectConv.Spread(gy, b, o, 0, o, h, w, src.Wq, out int len);
        var g3 = new float[o * offs.Length];
        var g6 = new float[o * offs.Length];
        DirectConv.WeightGrad(src, b, spread, o, len, offs, offs.Length, g3, 0, tapsPerTile: 3);
        DirectConv.WeightGrad(src, b, spread, o, len, offs, offs.Length, g6, 0, tapsPerTile: 6);
        Assert.Equal(g3, g6);
        Assert.Contains(g3, v => v != 0f);
    }

    [Theory]
    [InlineData(8, 9, 9)]
    [InlineData(13, 8, 8)]
    [InlineData(5, 21, 17)]
    public void Conv_forward_tiles_4x24_8x16_4x48_and_8x32_agree_bit_for_bit(int o, int h, int w)
    {
        var g = new Generator(12);
        int b = 2, c = 3, kk = 3;
        var x = g.Normal(0, 1, b, c, h, w).Data;
        var wt = g.Normal(0, 1, o, c, kk, kk).Data;
        var bias = g.Normal(0, 1, o).Data;
        using var src = DirectConv.Prepare(x, b, c, h, w, 1, 1, 1, 64);
        var offs = new int[c * kk * kk];
        for (int t = 0; t < offs.Length; t++)
        {
            offs[t] = src.Offset(t / (kk * kk), t / kk % kk, t % kk);
        }

        var y1 = new float[b * o * h * w];
        DirectConv.Forward(src, b, wt, 0, o, offs.Length, offs, y1, o, 0, h, w, bias, 0, variant: 1);
        Assert.DoesNotContain(0f, y1);
        foreach (int variant in new[] { 2, 4, 5 })
        {
            var y2 = new float[b * o * h * w];
            DirectConv.Forward(src, b, wt, 0, o, offs.Length, offs, y2, o, 0, h, w, bias, 0, variant: variant);
            Assert.Equal(y1, y2);
        }
    }

    // Pixel kernels (tiling -1) and each tiling of the channel kernels; 24 input and 40 output channels, so that the
    // forward pass, the weight gradient and the input gradient each have a partial 32-channel panel of more than 16
    // channels (both halves of the 16 x 6 kernel); stride 1 and 2.
    [Theory]
    [InlineData(false, -1, 1)]
    [InlineData(true, (int)DirectConv.ChannelTiling.Ymm16x6, 1)]
    [InlineData(true, (int)DirectConv.ChannelTiling.Ymm32x6, 1)]
    [InlineData(true, (int)DirectConv.ChannelTiling.Zmm32x12, 1)]
    [InlineData(false, -1, 2)]
    [InlineData(true, (int)DirectConv.ChannelTiling.Ymm16x6, 2)]
    public void Conv2d_gradients_do_not_depend_on_thread_count(bool channels, int tiling, int stride)
    {
        var g = new Generator(8);
        var x = g.Normal(0, 1, 4, 24, 13, 13);
        var wt = g.Normal(0, 1, 40, 24, 3, 3);
        int ho = ((13 + 2 - 3) / stride) + 1;
        var gy = g.Normal(0, 1, 4, 40, ho, ho);
        ThreadCount.AssertSameOnOneAndFour(() =>
        {
            var xs = new Tensor((float[])x.Data.Clone(), x.Shape) { RequiresGrad = true };
            var ws = new Tensor((float[])wt.Data.Clone(), wt.Shape) { RequiresGrad = true };
            return WithTiling(tiling < 0 ? null : (DirectConv.ChannelTiling)tiling, () => WithChannels(channels, () =>
            {
                var y = F.Conv2d(xs, ws, null, stride, 1);
                y.Backward(gy);
                return new[] { y.Data, xs.Grad!.Data, ws.Grad!.Data };
            }));
        });
    }

    // The fused kernel against the composed matmul/softmax path (FusedAttention.Disabled): no mask, causal, a boolean
    // mask (a lower-triangular one, a key-padding (B, 1, 1, Lk) one, one with a fully masked row); odd lengths, cross
    // attention (Lq != Lk), Dv != D, rank 3 and 4.
    [Theory]
    [InlineData(false, new[] { 2, 3, 37, 8 }, new[] { 2, 3, 37, 8 }, 8, "none")]
    [InlineData(true, new[] { 2, 3, 37, 8 }, new[] { 2, 3, 37, 8 }, 8, "none")]
    [InlineData(false, new[] { 5, 13, 16 }, new[] { 5, 29, 16 }, 7, "none")]
    [InlineData(true, new[] { 1, 2, 50, 4 }, new[] { 1, 2, 50, 4 }, 12, "none")]
    [InlineData(false, new[] { 2, 3, 37, 8 }, new[] { 2, 3, 37, 8 }, 8, "triangle")]
    [InlineData(false, new[] { 3, 2, 11, 8 }, new[] { 3, 2, 24, 8 }, 8, "keys")]
    [InlineData(true, new[] { 3, 2, 24, 8 }, new[] { 3, 2, 24, 8 }, 5, "keys")]
    [InlineData(false, new[] { 2, 9, 6 }, new[] { 2, 7, 6 }, 6, "row")]
    public void Fused_attention_matches_composed_operations(bool causal, int[] qShape, int[] kShape, int dv, string maskKind)
    {
        var g = new Generator(9);
        var vShape = (int[])kShape.Clone();
        vShape[^1] = dv;
        var q = g.Normal(0, 1, qShape);
        var k = g.Normal(0, 1, kShape);
        var v = g.Normal(0, 1, vShape);
        int lq = qShape[^2], lk = kShape[^2];
        Tensor? mask = null;
        if (maskKind == "triangle")
        {
            var m = new float[lq * lk];
            for (int i = 0; i < lq; i++)
            {
                for (int j = 0; j < lk; j++)
                {
                    m[(i * lk) + j] = j <= i ? 1f : 0f;
                }
            }

            mask = new Tensor(m, lq, lk);
        }
        else if (maskKind == "keys")
        {
            // sample b attends to its first 5 + 6 b keys: (B, 1, 1, Lk)
            int b = qShape[0];
            var m = new float[b * lk];
            for (int s = 0; s < b; s++)
            {
                for (int j = 0; j < Math.Min(lk, 5 + (6 * s)); j++)
                {
                    m[(s * lk) + j] = 1f;
                }
            }

            mask = new Tensor(m, b, 1, 1, lk);
        }
        else if (maskKind == "row")
        {
            // (Lq, Lk) with query row 3 allowed nothing (NaN on both paths) and a checkerboard elsewhere
            var m = new float[lq * lk];
            for (int i = 0; i < lq; i++)
            {
                for (int j = 0; j < lk; j++)
                {
                    m[(i * lk) + j] = i != 3 && (i + j) % 2 == 0 ? 1f : 0f;
                }
            }

            mask = new Tensor(m, lq, lk);
        }

        float[][] Run(bool fused)
        {
            var qs = new Tensor((float[])q.Data.Clone(), q.Shape) { RequiresGrad = true };
            var ks = new Tensor((float[])k.Data.Clone(), k.Shape) { RequiresGrad = true };
            var vs = new Tensor((float[])v.Data.Clone(), v.Shape) { RequiresGrad = true };
            bool saved = FusedAttention.Disabled;
            try
            {
                FusedAttention.Disabled = !fused;
                var y = F.ScaledDotProductAttention(qs, ks, vs, mask, isCausal: causal);
                var gy = new Generator(10).Normal(0, 1, y.Shape);
                if (maskKind == "row")
                {
                    // the NaN row's gradient is NaN on both paths; keep it out of the others
                    for (int i = 0; i < gy.Numel; i++)
                    {
                        gy.Data[i] = i / dv % lq == 3 ? 0f : gy.Data[i];
                    }
                }

                y.Backward(gy);
                return [y.Data, qs.Grad!.Data, ks.Grad!.Data, vs.Grad!.Data];
            }
            finally
            {
                FusedAttention.Disabled = saved;
            }
        }

        var a = Run(true);
        var b2 = Run(false);
        string[] what = ["output", "dQ", "dK", "dV"];
        if (maskKind == "row")
        {
            // output row 3 is NaN on both paths; compare the rest (and require the NaNs)
            for (int i = 0; i < a[0].Length; i++)
            {
                bool nanRow = i / dv % lq == 3;
                Assert.Equal(nanRow, float.IsNaN(a[0][i]));
                Assert.Equal(nanRow, float.IsNaN(b2[0][i]));
                if (nanRow)
                {
                    a[0][i] = b2[0][i] = 0f;
                }
            }

            a = [a[0], .. a[1..].Select(x => x.Select(v => float.IsNaN(v) ? 0f : v).ToArray())];
            b2 = [b2[0], .. b2[1..].Select(x => x.Select(v => float.IsNaN(v) ? 0f : v).ToArray())];
        }

        for (int i = 0; i < a.Length; i++)
        {
            NumericAssert.Close(b2[i], a[i], 1e-5, "attention " + what[i]);
        }
    }

    // Heads side by side in (B, L, H d) against splitting them out with permutes and the composed path, with and
    // without a key-padding mask, Dv != D; bit-identical with 1 and 4 threads.
    [Theory]
    [InlineData(3, 11, 24, 4, 8, 8, false, false)]
    [InlineData(2, 64, 64, 4, 16, 16, true, false)]
    [InlineData(2, 10, 10, 2, 8, 5, false, true)]
    [InlineData(16, 64, 24, 4, 16, 16, true, false)]
    public void Multi_head_attention_matches_split_heads(int b, int lq, int lk, int heads, int d, int dv, bool keyMask, bool causal)
    {
        var g = new Generator(13);
        var q = g.Normal(0, 1, b, lq, heads * d);
        var k = g.Normal(0, 1, b, lk, heads * d);
        var v = g.Normal(0, 1, b, lk, heads * dv);
        var gy = g.Normal(0, 1, b, lq, heads * dv);
        Tensor? mask = null;
        if (keyMask)
        {
            var m = new float[b * lk];
            for (int s = 0; s < b; s++)
            {
                for (int j = 0; j < Math.Min(lk, 3 + (5 * s)); j++)
                {
                    m[(s * lk) + j] = 1f;
                }
            }

            mask = new Tensor(m, b, lk);
        }

        float[][] Run(bool fused, int threads)
        {
            int savedThreads = Parallelism.Threads;
            bool saved = FusedAttention.Disabled;
            try
            {
                Parallelism.Threads = threads;
                var qs = new Tensor(q.ToArray(), q.Shape) { RequiresGrad = true };
                var ks = new Tensor(k.ToArray(), k.Shape) { RequiresGrad = true };
                var vs = new Tensor(v.ToArray(), v.Shape) { RequiresGrad = true };
                Tensor y;
                if (fused)
                {
                    y = F.MultiHeadAttention(qs, ks, vs, heads, mask, causal);
                }
                else
                {
                    FusedAttention.Disabled = true;
                    Tensor Split(Tensor t, int l, int w) => F.Permute(F.Reshape(t, b, l, heads, w), 0, 2, 1, 3);
                    var o = F.ScaledDotProductAttention(Split(qs, lq, d), Split(ks, lk, d), Split(vs, lk, dv), mask?.Reshape(b, 1, 1, lk), causal);
                    y = F.Reshape(F.Permute(o, 0, 2, 1, 3), b, lq, heads * dv);
                }

                y.Backward(gy);
                return [y.Data, qs.Grad!.Data, ks.Grad!.Data, vs.Grad!.Data];
            }
            finally
            {
                Parallelism.Threads = savedThreads;
                FusedAttention.Disabled = saved;
            }
        }

        var fusedOne = Run(true, 1);
        var fusedFour = Run(true, 4);
        var composed = Run(false, 1);
        string[] what = ["output", "dQ", "dK", "dV"];
        for (int i = 0; i < fusedOne.Length; i++)
        {
            NumericAssert.Close(composed[i], fusedOne[i], 1e-5, "multi-head attention " + what[i]);
            Assert.Equal(fusedOne[i], fusedFour[i]);
        }
    }

    [Fact]
    public void Softmax_and_activations_match_scalar_formulas()
    {
        var x = new Generator(6).Normal(0, 3, 4, 37);
        var sm = F.Softmax(x).Data;
        var lsm = F.LogSoftmax(x).Data;
        var silu = F.Silu(x).Data;
        var gelu = F.Gelu(x).Data;
        for (int r = 0; r < 4; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < 37; j++)
            {
                max = Math.Max(max, x[r, j]);
            }

            for (int j = 0; j < 37; j++)
            {
                sum += Math.Exp(x[r, j] - max);
            }

            for (int j = 0; j < 37; j++)
            {
                int at = (r * 37) + j;
                Assert.Equal(Math.Exp(x[r, j] - max) / sum, sm[at], 2e-6);
                Assert.Equal(x[r, j] - max - Math.Log(sum), lsm[at], 1e-5);
                double xv = x.Data[at];
                Assert.Equal(xv / (1 + Math.Exp(-xv)), silu[at], 1e-5);
            }
        }

        // erf reference points (Abramowitz and Stegun table 7.1)
        Assert.Equal(0.5204998778, Kernels.Erf(0.5), 1e-7);
        Assert.Equal(0.9953222650, Kernels.Erf(2.0), 1e-7);
        Assert.Equal(-0.8427007929, Kernels.Erf(-1.0), 1e-7);
        Assert.Equal(0.5 * (1 + 0.6826894921), F.Gelu(new Tensor([1f], 1)).Item(), 1e-6);
        Assert.True(gelu.All(float.IsFinite));
    }

    [Fact]
    public void Generator_is_reproducible_and_well_distributed()
    {
        var a = new Generator(42).Normal(0, 1, 20000).Data;
        var b = new Generator(42).Normal(0, 1, 20000).Data;
        Assert.Equal(a, b);
        Assert.Equal(0, a.Average(), 0.03);
        Assert.Equal(1, Math.Sqrt(a.Select(v => (double)v * v).Average()), 0.03);
        var u = new Generator(1).Uniform(2, 3, 10000).Data;
        Assert.All(u, v => Assert.InRange(v, 2f, 3f));
        Assert.Equal(2.5, u.Average(), 0.02);
        // Fixed first values: SplitMix64 of seed 0 (published test vector 0xE220A8397B1DCDAF).
        Assert.Equal(0xE220A8397B1DCDAFUL, new Generator(0).NextUInt64());
    }
}
