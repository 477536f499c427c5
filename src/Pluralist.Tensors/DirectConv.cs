using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pluralist.Tensors;

/// <summary>
/// Direct ("implicit GEMM") convolution without an im2col matrix. The input is copied once into a zero-padded,
/// phase-split buffer: plane (c, a, e) of sample b holds xpad[c, i s + a, j s + e] on a (Hq, Wq) grid, Hq = ceil(Hp / s),
/// Wq = ceil(Wp / s). Every tap (c, u, v) of the kernel is then a fixed offset into that buffer, and output pixel (i, j)
/// reads position i Wq + j + offset for every tap: each output row-run is a contiguous vector load. The output is computed
/// on the (Ho, Wq) grid and the Wq - Wo columns past the image edge are dropped (they read finite neighbours and are
/// never stored). A 4 x 24 register-blocked Vector256 micro-kernel does the forward pass and, on the gradient of the
/// output padded by d (K - 1) - p with the kernel flipped and transposed, the input gradient of a stride-1 convolution;
/// a 4 x 6 (4 x 3 without AVX-512's 32 registers) dot-product kernel over the (batch, pixel) axis does the weight
/// gradient. Every output element is reduced by
/// one task in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static unsafe partial class DirectConv
{
    public const int MR = 4;
    public const int NR = 24;

    /// <summary>Most pixels one tile of the pixel kernels reads past its first (the slack a prepared source needs).</summary>
    public const int MaxPixels = 48;

    /// <summary>A prepared (padded, phase-split) input: (B, C s s, Hq, Wq) planes plus slack for the over-reads.</summary>
    public sealed class Source : IDisposable
    {
        public Source(float[] buffer, int channels, int planes, int hq, int wq, int stride)
        {
            Buffer = buffer;
            Channels = channels;
            Planes = planes;
            Hq = hq;
            Wq = wq;
            Stride = stride;
        }

        public float[] Buffer { get; }

        public int Channels { get; }

        public int Planes { get; }

        public int Hq { get; }

        public int Wq { get; }

        public int Stride { get; }

        public int Plane => Hq * Wq;

        public long BatchStride => (long)Planes * Plane;

        /// <summary>Offset of tap (c, u, v) of a kernel with dilation d: plane (c, u d mod s, v d mod s), row u d / s, column v d / s.</summary>
        public int Offset(int c, int du, int dv)
        {
            int s = Stride;
            int plane = (c * s * s) + (du % s * s) + (dv % s);
            return (plane * Plane) + (du / s * Wq) + (dv / s);
        }

        public void Dispose() => ArrayPool<float>.Shared.Return(Buffer);
    }

    /// <summary>Copies x (B, C, H, W) into a zero-padded (padH, padW), stride-s phase-split buffer.</summary>
    public static Source Prepare(float[] x, int bsz, int c, int h, int w, int padH, int padW, int s, int slack)
    {
        int hq = (h + (2 * padH) + s - 1) / s, wq = (w + (2 * padW) + s - 1) / s, planes = c * s * s, plane = hq * wq;
        long total = ((long)bsz * planes * plane) + slack + wq + 64;
        var buf = ArrayPool<float>.Shared.Rent(checked((int)total));
        var src = new Source(buf, c, planes, hq, wq, s);
        Parallelism.For(bsz * c, (long)plane * s * s, bc =>
        {
            for (int a = 0; a < s; a++)
            {
                for (int e = 0; e < s; e++)
                {
                    int dst = ((bc * s * s) + (a * s) + e) * plane;
                    int xOff = bc * h * w;
                    // valid columns j: 0 <= j s + e - padW < w
                    int j0 = Math.Max(0, (padW - e + s - 1) / s), j1 = Math.Min(wq, (w + padW - e + s - 1) / s);
                    if (j1 < j0)
                    {
                        j1 = j0;
                    }

                    for (int i = 0; i < hq; i++)
                    {
                        int row = dst + (i * wq);
                        int yy = (i * s) + a - padH;
                        if ((uint)yy >= (uint)h)
                        {
                            Array.Clear(buf, row, wq);
                            continue;
                        }

                        Array.Clear(buf, row, j0);
                        int xRow = xOff + (yy * w);
                        if (s == 1)
                        {
                            Array.Copy(x, xRow + j0 - padW, buf, row + j0, j1 - j0);
                        }
                        else
                        {
                            int j = j0;
                            if (s == 2)
                            {
                                // de-interleave 16 inputs into the 8 of this phase
                                var idx = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
                                for (; j + 8 <= j1; j += 8)
                                {
                                    int at = xRow + (j * 2) + e - padW;
                                    if (at + 16 > x.Length)
                                    {
                                        break;
                                    }

                                    var lo = Vector256.Shuffle(Vector256.Create(x.AsSpan(at)), idx);
                                    var hi = Vector256.Shuffle(Vector256.Create(x.AsSpan(at + 8)), idx);
                                    Vector256.Create(lo.GetLower(), hi.GetLower()).CopyTo(buf.AsSpan(row + j));
                                }
                            }

                            for (; j < j1; j++)
                            {
                                buf[row + j] = x[xRow + (j * s) + e - padW];
                            }
                        }

                        Array.Clear(buf, row + j1, wq - j1);
                    }
                }
            }
        });
        long used = (long)bsz * planes * plane;
        Array.Clear(buf, (int)used, (int)(total - used));
        return src;
    }

    /// <summary>
    /// y[b, yChan0 + r, i, j] = bias[biasOff + r] + sum_t a[aOff + r * k + t] * src[b][offs[t] + i Wq + j] for r &lt; m, i &lt; ho, j &lt; wo;
    /// y has yChannels channels of (ho, wo) per sample, unless <paramref name="layout"/> places output (i, j) elsewhere.
    /// Overwrites. variant: 0 picks the kernel, 1 forces 4 x 24, 2 forces 8 x 16, 4 forces 4 x 48, 5 forces 8 x 32
    /// (both Vector512), 3 the channel-vectorised kernel (<see cref="ForwardChannels"/>; chosen by 0 where <see cref="PreferChannels"/> says so and
    /// output columns are contiguous).
    /// </summary>
    public static void Forward(Source src, int bsz, float[] a, int aOff, int m, int k, int[] offs, float[] y, int yChannels, int yChan0, int ho, int wo, float[]? bias, int biasOff, int variant = 0, OutputLayout? layout = null)
    {
        if (variant == 3 || (variant == 0 && PreferChannels(wo) && (layout is null || layout.Value.Column == 1)))
        {
            ForwardChannels(src, bsz, a, aOff, m, k, offs, y, yChannels, yChan0, ho, wo, bias, biasOff, layout);
            return;
        }

        int wq = src.Wq, nPix = ho * wq;
        // 4 x 24 tiles, or 8 x 16 (16 accumulators, needs AVX-512's 32 registers) where that computes less padding:
        // small images (8 x 8 on a 10-wide grid: 80 pixels = 5 x 16, but 4 x 24 = 96)
        // (measured about 15% slower per computed element, so it must save more than that)
        // With Vector512 accelerated: 8 x 32 (16 zmm accumulators) or 4 x 48 (12), whichever pads less (8 x 32 has the
        // better ratio of arithmetic to loads, so it gets 10% of slack); all four kernels compute each output as the
        // same chain of FMAs over the taps, so they give the same bits.
        int kind = variant switch
        {
            1 => 0,
            2 => 1,
            4 => 2,
            5 => 3,
            _ when Wide => 1.1 * Round(m, 8) * Round(nPix, 32) < (double)Round(m, 4) * Round(nPix, 48) ? 3 : 2,
            _ => Vector512.IsHardwareAccelerated && 1.15 * Round(m, 8) * Round(nPix, 16) < (double)Round(m, MR) * Round(nPix, NR) ? 1 : 0,
        };
        bool wide = kind == 1;
        int mr = kind is 1 or 3 ? 8 : MR, nr = kind switch { 0 => NR, 1 => 16, 2 => 48, _ => 32 };
        int nBlocks = (nPix + nr - 1) / nr, mBlocks = (m + mr - 1) / mr;
        var packed = ArrayPool<float>.Shared.Rent(mBlocks * mr * k);
        try
        {
            for (int ob = 0; ob < mBlocks; ob++)
            {
                for (int t = 0; t < k; t++)
                {
                    for (int r = 0; r < mr; r++)
                    {
                        int row = (ob * mr) + r;
                        packed[(((ob * k) + t) * mr) + r] = row < m ? a[aOff + (row * k) + t] : 0f;
                    }
                }
            }

            fixed (float* pPacked = packed, pSrc = src.Buffer, pY = y)
            fixed (int* pOffs = offs)
            {
                float* pk = pPacked, ps = pSrc, py = pY;
                int* po = pOffs;
                var lay = layout ?? new OutputLayout(ho * wo, wo, 1, 0);
                long srcStride = src.BatchStride, yStride = (long)yChannels * lay.Plane;
                Parallelism.For(bsz * nBlocks, (long)m * k * nr, task =>
                {
                    int b = task / nBlocks, p0 = task % nBlocks * nr;
                    float* tile = stackalloc float[8 * 32]; // the largest tile: 8 x 32
                    float* sb = ps + (b * srcStride) + p0;
                    float* yb = py + (b * yStride) + ((long)yChan0 * lay.Plane) + lay.Base;
                    for (int ob = 0; ob < mBlocks; ob++)
                    {
                        float* kp = pk + ((long)ob * k * mr);
                        switch (kind)
                        {
                            case 0: Kernel(kp, sb, po, k, tile); break;
                            case 1: Kernel8x16(kp, sb, po, k, tile); break;
                            case 2: Kernel4x48(kp, sb, po, k, tile); break;
                            default: Kernel8x32(kp, sb, po, k, tile); break;
                        }

                        int rows = Math.Min(mr, m - (ob * mr));
                        // copy the valid (i, j < wo) runs of pixels p0 .. p0 + nr out of the tile
                        int p = p0, end = Math.Min(nPix, p0 + nr);
                        while (p < end)
                        {
                            int i = p / wq, j = p - (i * wq);
                            int runEnd = Math.Min(end, (i * wq) + wo);
                            int len = runEnd - p;
                            if (len > 0)
                            {
                                for (int r = 0; r < rows; r++)
                                {
                                    int oc = (ob * mr) + r;
                                    float bv = bias is null ? 0f : bias[biasOff + oc];
                                    float* dst = yb + ((long)oc * lay.Plane) + ((long)i * lay.Row) + ((long)j * lay.Column);
                                    float* tr = tile + (r * nr) + (p - p0);
                                    int q = 0;
                                    if (lay.Column != 1)
                                    {
                                        for (; q < len; q++)
                                        {
                                            dst[q * lay.Column] = tr[q] + bv;
                                        }

                                        continue;
                                    }

                                    var bvv = Vector256.Create(bv);
                                    for (; q + 8 <= len; q += 8)
                                    {
                                        Vector256.Store(Vector256.Load(tr + q) + bvv, dst + q);
                                    }

                                    for (; q < len; q++)
                                    {
                                        dst[q] = tr[q] + bv;
                                    }
                                }
                            }

                            p = (i + 1) * wq;
                        }
                    }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>Where output (channel, i, j) of a sample goes: Base + channel Plane + i Row + j Column.</summary>
    public readonly record struct OutputLayout(int Plane, int Row, int Column, int Base);

    private static int Round(int v, int to) => (v + to - 1) / to * to;

    // 8 channels x 32 pixels in Vector512 (16 accumulators)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(float* ap, float* src, int* offs, int k, float* tile)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        for (int t = 0; t < k; t++)
        {
            float* s = src + offs[t];
            var b0 = Vector512.Load(s);
            var b1 = Vector512.Load(s + 16);
            var a0 = Vector512.Create(ap[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(ap[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(ap[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(ap[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(ap[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(ap[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(ap[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(ap[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            ap += 8;
        }

        Vector512.Store(c00, tile + 0);
        Vector512.Store(c01, tile + 16);
        Vector512.Store(c10, tile + 32);
        Vector512.Store(c11, tile + 48);
        Vector512.Store(c20, tile + 64);
        Vector512.Store(c21, tile + 80);
        Vector512.Store(c30, tile + 96);
        Vector512.Store(c31, tile + 112);
        Vector512.Store(c40, tile + 128);
        Vector512.Store(c41, tile + 144);
        Vector512.Store(c50, tile + 160);
        Vector512.Store(c51, tile + 176);
        Vector512.Store(c60, tile + 192);
        Vector512.Store(c61, tile + 208);
        Vector512.Store(c70, tile + 224);
        Vector512.Store(c71, tile + 240);
    }

    // 4 channels x 48 pixels in Vector512 (12 accumulators)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x48(float* ap, float* src, int* offs, int k, float* tile)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default;
        for (int t = 0; t < k; t++)
        {
            float* s = src + offs[t];
            var b0 = Vector512.Load(s);
            var b1 = Vector512.Load(s + 16);
            var b2 = Vector512.Load(s + 32);
            var a0 = Vector512.Create(ap[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a0, b2, c02);
            var a1 = Vector512.Create(ap[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a1, b2, c12);
            var a2 = Vector512.Create(ap[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a2, b2, c22);
            var a3 = Vector512.Create(ap[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a3, b2, c32);
            ap += 4;
        }

        Vector512.Store(c00, tile + 0);
        Vector512.Store(c01, tile + 16);
        Vector512.Store(c02, tile + 32);
        Vector512.Store(c10, tile + 48);
        Vector512.Store(c11, tile + 64);
        Vector512.Store(c12, tile + 80);
        Vector512.Store(c20, tile + 96);
        Vector512.Store(c21, tile + 112);
        Vector512.Store(c22, tile + 128);
        Vector512.Store(c30, tile + 144);
        Vector512.Store(c31, tile + 160);
        Vector512.Store(c32, tile + 176);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x16(float* ap, float* src, int* offs, int k, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int t = 0; t < k; t++)
        {
            float* s = src + offs[t];
            var b0 = Vector256.Load(s);
            var b1 = Vector256.Load(s + 8);
            var a = Vector256.Create(ap[0]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(ap[1]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(ap[2]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(ap[3]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            a = Vector256.Create(ap[4]);
            c40 = Vector256.FusedMultiplyAdd(a, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
            a = Vector256.Create(ap[5]);
            c50 = Vector256.FusedMultiplyAdd(a, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            a = Vector256.Create(ap[6]);
            c60 = Vector256.FusedMultiplyAdd(a, b0, c60);
            c61 = Vector256.FusedMultiplyAdd(a, b1, c61);
            a = Vector256.Create(ap[7]);
            c70 = Vector256.FusedMultiplyAdd(a, b0, c70);
            c71 = Vector256.FusedMultiplyAdd(a, b1, c71);
            ap += 8;
        }

        Vector256.Store(c00, tile);
        Vector256.Store(c01, tile + 8);
        Vector256.Store(c10, tile + 16);
        Vector256.Store(c11, tile + 24);
        Vector256.Store(c20, tile + 32);
        Vector256.Store(c21, tile + 40);
        Vector256.Store(c30, tile + 48);
        Vector256.Store(c31, tile + 56);
        Vector256.Store(c40, tile + 64);
        Vector256.Store(c41, tile + 72);
        Vector256.Store(c50, tile + 80);
        Vector256.Store(c51, tile + 88);
        Vector256.Store(c60, tile + 96);
        Vector256.Store(c61, tile + 104);
        Vector256.Store(c70, tile + 112);
        Vector256.Store(c71, tile + 120);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* ap, float* src, int* offs, int k, float* tile)
    {
        var c00 = Vector256<float>.Zero;
        var c01 = Vector256<float>.Zero;
        var c02 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero;
        var c11 = Vector256<float>.Zero;
        var c12 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero;
        var c21 = Vector256<float>.Zero;
        var c22 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero;
        var c31 = Vector256<float>.Zero;
        var c32 = Vector256<float>.Zero;
        for (int t = 0; t < k; t++)
        {
            float* s = src + offs[t];
            var b0 = Vector256.Load(s);
            var b1 = Vector256.Load(s + 8);
            var b2 = Vector256.Load(s + 16);
            var a = Vector256.Create(ap[0]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(a, b2, c02);
            a = Vector256.Create(ap[1]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(a, b2, c12);
            a = Vector256.Create(ap[2]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector256.FusedMultiplyAdd(a, b2, c22);
            a = Vector256.Create(ap[3]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector256.FusedMultiplyAdd(a, b2, c32);
            ap += MR;
        }

        Vector256.Store(c00, tile);
        Vector256.Store(c01, tile + 8);
        Vector256.Store(c02, tile + 16);
        Vector256.Store(c10, tile + 24);
        Vector256.Store(c11, tile + 32);
        Vector256.Store(c12, tile + 40);
        Vector256.Store(c20, tile + 48);
        Vector256.Store(c21, tile + 56);
        Vector256.Store(c22, tile + 64);
        Vector256.Store(c30, tile + 72);
        Vector256.Store(c31, tile + 80);
        Vector256.Store(c32, tile + 88);
    }

    /// <summary>
    /// Copies g (B, gChannels, ho, wo) channels gChan0 .. gChan0 + m onto the (ho, wq) grid of the forward pass,
    /// zero in the dropped columns and up to a row length that is a multiple of 16: (B, m, len).
    /// </summary>
    public static float[] Spread(float[] g, int bsz, int gChannels, int gChan0, int m, int ho, int wo, int wq, out int len)
    {
        int rowLen = ((ho * wq) + 15) / 16 * 16;
        var buf = ArrayPool<float>.Shared.Rent(bsz * m * rowLen);
        Parallelism.For(bsz * m, rowLen, bm =>
        {
            int b = bm / m, r = bm % m;
            int dst = bm * rowLen;
            int srcRow = ((b * gChannels) + gChan0 + r) * ho * wo;
            Array.Clear(buf, dst, rowLen);
            for (int i = 0; i < ho; i++)
            {
                Array.Copy(g, srcRow + (i * wo), buf, dst + (i * wq), wo);
            }
        });
        len = rowLen;
        return buf;
    }

    /// <summary>
    /// gw[gwOff + r * k + t] = sum_b sum_p g[(b m + r) len + p] * src[b][offs[t] + p] for r &lt; m, t &lt; k (overwrites);
    /// g as returned by <see cref="Spread"/>.
    /// </summary>
    public static void WeightGrad(Source src, int bsz, float[] g, int m, int len, int[] offs, int k, float[] gw, int gwOff, int tapsPerTile = 0)
    {
        // 4 x 6 tiles (24 accumulators) where the JIT has 32 vector registers (AVX-512), else 4 x 3; both give the
        // same bits (each element is the same sum in the same order)
        // (with Vector512 accelerated the 4 x 6 tile runs 16 pixels per lane group instead of 8: other partial sums,
        // so other bits than the Vector256 kernels, the same on every run and thread count)
        int kb = tapsPerTile is 3 or 6 ? tapsPerTile : Vector512.IsHardwareAccelerated ? 6 : 3;
        bool wide = tapsPerTile == 0 && Wide;
        int mBlocks = (m + MR - 1) / MR, kBlocks = (k + kb - 1) / kb;
        fixed (float* pG = g, pSrc = src.Buffer, pW = gw)
        {
            float* pg = pG, ps = pSrc, pw = pW;
            long srcStride = src.BatchStride;
            Parallelism.For(mBlocks * kBlocks, (long)bsz * len * MR * kb, task =>
            {
                int ob = task / kBlocks, tb = task % kBlocks;
                int rows = Math.Min(MR, m - (ob * MR)), cols = Math.Min(kb, k - (tb * kb));
                float* res = stackalloc float[MR * 6];
                int* o = stackalloc int[6];
                int r0 = ob * MR, t0 = tb * kb;
                for (int t = 0; t < kb; t++)
                {
                    o[t] = offs[t0 + (t < cols ? t : 0)];
                }

                int r1 = r0 + (rows > 1 ? 1 : 0), r2 = r0 + (rows > 2 ? 2 : 0), r3 = r0 + (rows > 3 ? 3 : 0);
                if (wide)
                {
                    WeightKernel6x512(pg, (long)m * len, r0 * len, r1 * len, r2 * len, r3 * len, ps, srcStride, o, len, bsz, res);
                }
                else if (kb == 6)
                {
                    WeightKernel6(pg, (long)m * len, r0 * len, r1 * len, r2 * len, r3 * len, ps, srcStride, o, len, bsz, res);
                }
                else
                {
                    WeightKernel(pg, (long)m * len, r0 * len, r1 * len, r2 * len, r3 * len, ps, srcStride, o[0], o[1], o[2], len, bsz, res);
                }

                for (int r = 0; r < rows; r++)
                {
                    for (int t = 0; t < cols; t++)
                    {
                        pw[gwOff + ((long)(r0 + r) * k) + t0 + t] = res[(r * kb) + t];
                    }
                }
            });
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightKernel6(float* g, long gStride, int g0, int g1, int g2, int g3, float* src, long srcStride, int* o, int len, int bsz, float* res)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
        for (int b = 0; b < bsz; b++)
        {
            float* gb = g + (b * gStride);
            float* q0 = gb + g0, q1 = gb + g1, q2 = gb + g2, q3 = gb + g3;
            float* sb = src + (b * srcStride);
            float* x0 = sb + o[0], x1 = sb + o[1], x2 = sb + o[2], x3 = sb + o[3], x4 = sb + o[4], x5 = sb + o[5];
            for (int p = 0; p < len; p += 8)
            {
                var a0 = Vector256.Load(q0 + p);
                var a1 = Vector256.Load(q1 + p);
                var a2 = Vector256.Load(q2 + p);
                var a3 = Vector256.Load(q3 + p);
                var v = Vector256.Load(x0 + p);
                c00 = Vector256.FusedMultiplyAdd(a0, v, c00);
                c10 = Vector256.FusedMultiplyAdd(a1, v, c10);
                c20 = Vector256.FusedMultiplyAdd(a2, v, c20);
                c30 = Vector256.FusedMultiplyAdd(a3, v, c30);
                v = Vector256.Load(x1 + p);
                c01 = Vector256.FusedMultiplyAdd(a0, v, c01);
                c11 = Vector256.FusedMultiplyAdd(a1, v, c11);
                c21 = Vector256.FusedMultiplyAdd(a2, v, c21);
                c31 = Vector256.FusedMultiplyAdd(a3, v, c31);
                v = Vector256.Load(x2 + p);
                c02 = Vector256.FusedMultiplyAdd(a0, v, c02);
                c12 = Vector256.FusedMultiplyAdd(a1, v, c12);
                c22 = Vector256.FusedMultiplyAdd(a2, v, c22);
                c32 = Vector256.FusedMultiplyAdd(a3, v, c32);
                v = Vector256.Load(x3 + p);
                c03 = Vector256.FusedMultiplyAdd(a0, v, c03);
                c13 = Vector256.FusedMultiplyAdd(a1, v, c13);
                c23 = Vector256.FusedMultiplyAdd(a2, v, c23);
                c33 = Vector256.FusedMultiplyAdd(a3, v, c33);
                v = Vector256.Load(x4 + p);
                c04 = Vector256.FusedMultiplyAdd(a0, v, c04);
                c14 = Vector256.FusedMultiplyAdd(a1, v, c14);
                c24 = Vector256.FusedMultiplyAdd(a2, v, c24);
                c34 = Vector256.FusedMultiplyAdd(a3, v, c34);
                v = Vector256.Load(x5 + p);
                c05 = Vector256.FusedMultiplyAdd(a0, v, c05);
                c15 = Vector256.FusedMultiplyAdd(a1, v, c15);
                c25 = Vector256.FusedMultiplyAdd(a2, v, c25);
                c35 = Vector256.FusedMultiplyAdd(a3, v, c35);
            }
        }

        res[0] = Vector256.Sum(c00);
        res[1] = Vector256.Sum(c01);
        res[2] = Vector256.Sum(c02);
        res[3] = Vector256.Sum(c03);
        res[4] = Vector256.Sum(c04);
        res[5] = Vector256.Sum(c05);
        res[6] = Vector256.Sum(c10);
        res[7] = Vector256.Sum(c11);
        res[8] = Vector256.Sum(c12);
        res[9] = Vector256.Sum(c13);
        res[10] = Vector256.Sum(c14);
        res[11] = Vector256.Sum(c15);
        res[12] = Vector256.Sum(c20);
        res[13] = Vector256.Sum(c21);
        res[14] = Vector256.Sum(c22);
        res[15] = Vector256.Sum(c23);
        res[16] = Vector256.Sum(c24);
        res[17] = Vector256.Sum(c25);
        res[18] = Vector256.Sum(c30);
        res[19] = Vector256.Sum(c31);
        res[20] = Vector256.Sum(c32);
        res[21] = Vector256.Sum(c33);
        res[22] = Vector256.Sum(c34);
        res[23] = Vector256.Sum(c35);
    }

    // WeightKernel6 with Vector512 lanes: 16 pixels per step (len is a multiple of 16)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightKernel6x512(float* g, long gStride, int g0, int g1, int g2, int g3, float* src, long srcStride, int* o, int len, int bsz, float* res)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
        for (int b = 0; b < bsz; b++)
        {
            float* gb = g + (b * gStride);
            float* q0 = gb + g0, q1 = gb + g1, q2 = gb + g2, q3 = gb + g3;
            float* sb = src + (b * srcStride);
            float* x0 = sb + o[0], x1 = sb + o[1], x2 = sb + o[2], x3 = sb + o[3], x4 = sb + o[4], x5 = sb + o[5];
            for (int p = 0; p < len; p += 16)
            {
                var a0 = Vector512.Load(q0 + p);
                var a1 = Vector512.Load(q1 + p);
                var a2 = Vector512.Load(q2 + p);
                var a3 = Vector512.Load(q3 + p);
                var v = Vector512.Load(x0 + p);
                c00 = Vector512.FusedMultiplyAdd(a0, v, c00);
                c10 = Vector512.FusedMultiplyAdd(a1, v, c10);
                c20 = Vector512.FusedMultiplyAdd(a2, v, c20);
                c30 = Vector512.FusedMultiplyAdd(a3, v, c30);
                v = Vector512.Load(x1 + p);
                c01 = Vector512.FusedMultiplyAdd(a0, v, c01);
                c11 = Vector512.FusedMultiplyAdd(a1, v, c11);
                c21 = Vector512.FusedMultiplyAdd(a2, v, c21);
                c31 = Vector512.FusedMultiplyAdd(a3, v, c31);
                v = Vector512.Load(x2 + p);
                c02 = Vector512.FusedMultiplyAdd(a0, v, c02);
                c12 = Vector512.FusedMultiplyAdd(a1, v, c12);
                c22 = Vector512.FusedMultiplyAdd(a2, v, c22);
                c32 = Vector512.FusedMultiplyAdd(a3, v, c32);
                v = Vector512.Load(x3 + p);
                c03 = Vector512.FusedMultiplyAdd(a0, v, c03);
                c13 = Vector512.FusedMultiplyAdd(a1, v, c13);
                c23 = Vector512.FusedMultiplyAdd(a2, v, c23);
                c33 = Vector512.FusedMultiplyAdd(a3, v, c33);
                v = Vector512.Load(x4 + p);
                c04 = Vector512.FusedMultiplyAdd(a0, v, c04);
                c14 = Vector512.FusedMultiplyAdd(a1, v, c14);
                c24 = Vector512.FusedMultiplyAdd(a2, v, c24);
                c34 = Vector512.FusedMultiplyAdd(a3, v, c34);
                v = Vector512.Load(x5 + p);
                c05 = Vector512.FusedMultiplyAdd(a0, v, c05);
                c15 = Vector512.FusedMultiplyAdd(a1, v, c15);
                c25 = Vector512.FusedMultiplyAdd(a2, v, c25);
                c35 = Vector512.FusedMultiplyAdd(a3, v, c35);
            }
        }

        res[0] = Vector512.Sum(c00);
        res[1] = Vector512.Sum(c01);
        res[2] = Vector512.Sum(c02);
        res[3] = Vector512.Sum(c03);
        res[4] = Vector512.Sum(c04);
        res[5] = Vector512.Sum(c05);
        res[6] = Vector512.Sum(c10);
        res[7] = Vector512.Sum(c11);
        res[8] = Vector512.Sum(c12);
        res[9] = Vector512.Sum(c13);
        res[10] = Vector512.Sum(c14);
        res[11] = Vector512.Sum(c15);
        res[12] = Vector512.Sum(c20);
        res[13] = Vector512.Sum(c21);
        res[14] = Vector512.Sum(c22);
        res[15] = Vector512.Sum(c23);
        res[16] = Vector512.Sum(c24);
        res[17] = Vector512.Sum(c25);
        res[18] = Vector512.Sum(c30);
        res[19] = Vector512.Sum(c31);
        res[20] = Vector512.Sum(c32);
        res[21] = Vector512.Sum(c33);
        res[22] = Vector512.Sum(c34);
        res[23] = Vector512.Sum(c35);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightKernel(float* g, long gStride, int g0, int g1, int g2, int g3, float* src, long srcStride, int o0, int o1, int o2, int len, int bsz, float* res)
    {
        var c00 = Vector256<float>.Zero;
        var c01 = Vector256<float>.Zero;
        var c02 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero;
        var c11 = Vector256<float>.Zero;
        var c12 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero;
        var c21 = Vector256<float>.Zero;
        var c22 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero;
        var c31 = Vector256<float>.Zero;
        var c32 = Vector256<float>.Zero;
        for (int b = 0; b < bsz; b++)
        {
            float* gb = g + (b * gStride);
            float* q0 = gb + g0, q1 = gb + g1, q2 = gb + g2, q3 = gb + g3;
            float* sb = src + (b * srcStride);
            float* x0 = sb + o0, x1 = sb + o1, x2 = sb + o2;
            for (int p = 0; p < len; p += 8)
            {
                var v0 = Vector256.Load(x0 + p);
                var v1 = Vector256.Load(x1 + p);
                var v2 = Vector256.Load(x2 + p);
                var a = Vector256.Load(q0 + p);
                c00 = Vector256.FusedMultiplyAdd(a, v0, c00);
                c01 = Vector256.FusedMultiplyAdd(a, v1, c01);
                c02 = Vector256.FusedMultiplyAdd(a, v2, c02);
                a = Vector256.Load(q1 + p);
                c10 = Vector256.FusedMultiplyAdd(a, v0, c10);
                c11 = Vector256.FusedMultiplyAdd(a, v1, c11);
                c12 = Vector256.FusedMultiplyAdd(a, v2, c12);
                a = Vector256.Load(q2 + p);
                c20 = Vector256.FusedMultiplyAdd(a, v0, c20);
                c21 = Vector256.FusedMultiplyAdd(a, v1, c21);
                c22 = Vector256.FusedMultiplyAdd(a, v2, c22);
                a = Vector256.Load(q3 + p);
                c30 = Vector256.FusedMultiplyAdd(a, v0, c30);
                c31 = Vector256.FusedMultiplyAdd(a, v1, c31);
                c32 = Vector256.FusedMultiplyAdd(a, v2, c32);
            }
        }

        res[0] = Vector256.Sum(c00);
        res[1] = Vector256.Sum(c01);
        res[2] = Vector256.Sum(c02);
        res[3] = Vector256.Sum(c10);
        res[4] = Vector256.Sum(c11);
        res[5] = Vector256.Sum(c12);
        res[6] = Vector256.Sum(c20);
        res[7] = Vector256.Sum(c21);
        res[8] = Vector256.Sum(c22);
        res[9] = Vector256.Sum(c30);
        res[10] = Vector256.Sum(c31);
        res[11] = Vector256.Sum(c32);
    }
}
