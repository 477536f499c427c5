using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pluralist.Tensors;

/// <summary>
/// The channel-vectorised kernels of <see cref="DirectConv"/>, for small images. The pixel-vectorised kernels compute
/// whole rows of the padded (Ho, Wq) grid, so at 8 x 8 (a 10-wide grid) a fifth of their work is dropped; these vectorise
/// over output channels instead and broadcast one input value per (pixel, tap), so they compute only the Ho x Wo pixels
/// that exist, and any list of pixels: all samples of the batch form one pixel axis. One micro-kernel shape serves both
/// passes: forward (and the input gradient, which runs as a forward pass): C[channel, pixel] = sum over taps t of
/// W[channel, t] src[pixel base + tap offset t];
/// weight gradient: C[channel, tap] = sum over (sample, pixel) n of dY[channel, n] src[pixel base n + tap offset].
/// Three register tilings of it, by what the JIT has (<see cref="ChannelKernel"/>): 32 channels x 12 columns in
/// Vector512 (AVX-512), 32 x 6 in Vector256 (24 accumulators: needs AVX-512's 32 registers), and 16 x 6 in Vector256
/// (12 accumulators, two weight vectors and one broadcast: AVX2's 16 registers), run twice per 32-channel panel.
/// Each output element is one FMA chain in the same order in all three and whatever the thread count, so all give the
/// same bits.
/// </summary>
internal static unsafe partial class DirectConv
{
    /// <summary>Channels per tile of the channel-vectorised kernel (four Vector256).</summary>
    public const int CR = 32;

    /// <summary>Broadcast columns (pixels in the forward pass, taps in the weight gradient) per Vector256 tile.</summary>
    public const int CP = 6;

    /// <summary>Broadcast columns per Vector512 tile (two vectors of 16 channels times twelve columns).</summary>
    public const int CP512 = 12;

    [ThreadStatic]
    private static bool t_narrow;

    /// <summary>Test hook (per thread): the Vector256 conv kernels even where Vector512 is accelerated.</summary>
    internal static bool Narrow
    {
        get => t_narrow;
        set => t_narrow = value;
    }

    private static bool Wide => Vector512.IsHardwareAccelerated && !t_narrow;

    /// <summary>The register tilings of the channel-vectorised kernel.</summary>
    internal enum ChannelTiling
    {
        /// <summary>32 channels x 12 columns, two Vector512 per column (24 zmm accumulators).</summary>
        Zmm32x12,

        /// <summary>32 channels x 6 columns, four Vector256 per column (24 ymm accumulators: AVX-512's 32 registers).</summary>
        Ymm32x6,

        /// <summary>16 channels x 6 columns, two Vector256 per column (12 accumulators: fits AVX2's 16 registers), run on both halves of a 32-channel panel.</summary>
        Ymm16x6,
    }

    [ThreadStatic]
    private static ChannelTiling? t_channelTiling;

    /// <summary>Test hook (per thread): forces one tiling of the channel-vectorised kernel (null: by the machine).</summary>
    internal static ChannelTiling? ForceChannelTiling
    {
        get => t_channelTiling;
        set => t_channelTiling = value;
    }

    /// <summary>
    /// The tiling for this machine: Vector512 where accelerated (unless <see cref="Narrow"/>), else 32 x 6 where the JIT
    /// has AVX-512's 32 vector registers (AVX-512 present, 512-bit vectors not preferred), else 16 x 6.
    /// </summary>
    internal static ChannelTiling ChannelKernel => t_channelTiling ?? (Wide ? ChannelTiling.Zmm32x12 : Avx512F.IsSupported ? ChannelTiling.Ymm32x6 : ChannelTiling.Ymm16x6);

    private const int TilesPerTask = 8;

    /// <summary>
    /// Whether the channel-vectorised kernels are the faster choice: small output rows, where the pixel kernels compute
    /// many dropped columns (with AVX-512 or AVX2 alike: <see cref="ChannelKernel"/> picks the register tiling).
    /// </summary>
    public static bool PreferChannels(int wo) => t_forceChannels ?? (Vector256.IsHardwareAccelerated && wo <= 16);

    /// <summary>Overrides <see cref="PreferChannels"/> on the calling thread (null: the heuristic), so that tests run both paths.</summary>
    internal static bool? ForceChannels
    {
        get => t_forceChannels;
        set => t_forceChannels = value;
    }

    [ThreadStatic]
    private static bool? t_forceChannels;

    /// <summary>
    /// The same contract as <see cref="Forward"/> (y[b, yChan0 + r, i, j] = bias + sum_t a[r, t] src[b][offs[t] + i Wq + j],
    /// placed by <paramref name="layout"/>), computed by the channel-vectorised kernel. With <paramref name="pixelStride"/> s,
    /// output (i, j) reads from i s Wq + j s instead: a strided convolution on a source prepared with stride 1 (padding
    /// only, no phase split), since this kernel reads any pixel list.
    /// </summary>
    public static void ForwardChannels(Source src, int bsz, float[] a, int aOff, int m, int k, int[] offs, float[] y, int yChannels, int yChan0, int ho, int wo, float[]? bias, int biasOff, OutputLayout? layout = null, int pixelStride = 1)
    {
        int mBlocks = (m + CR - 1) / CR;
        var packed = ArrayPool<float>.Shared.Rent(mBlocks * CR * k);
        try
        {
            for (int ob = 0; ob < mBlocks; ob++)
            {
                for (int t = 0; t < k; t++)
                {
                    for (int r = 0; r < CR; r++)
                    {
                        int row = (ob * CR) + r;
                        packed[(((ob * k) + t) * CR) + r] = row < m ? a[aOff + (row * k) + t] : 0f;
                    }
                }
            }

            ForwardChannelsPacked(src, bsz, packed, m, k, offs, y, yChannels, yChan0, ho, wo, bias, biasOff, layout, pixelStride);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>
    /// <see cref="ForwardChannels"/> with the (m, k) matrix already packed: packed[((r / CR) k + t) CR + r % CR] = a[r, t],
    /// zero for r &gt;= m up to a multiple of <see cref="CR"/>.
    /// </summary>
    public static void ForwardChannelsPacked(Source src, int bsz, float[] packed, int m, int k, int[] offs, float[] y, int yChannels, int yChan0, int ho, int wo, float[]? bias, int biasOff, OutputLayout? layout = null, int pixelStride = 1)
    {
        var tiling = ChannelKernel;
        int cp = tiling == ChannelTiling.Zmm32x12 ? CP512 : CP;
        int mBlocks = (m + CR - 1) / CR, hw = ho * wo, n = bsz * hw, tiles = (n + cp - 1) / cp;
        int tasks = (tiles + TilesPerTask - 1) / TilesPerTask;
        var lay = layout ?? new OutputLayout(hw, wo, 1, 0);
        var bases = ArrayPool<int>.Shared.Rent(tiles * cp);
        var outs = ArrayPool<int>.Shared.Rent(tiles * cp);
        try
        {
            long yStride = (long)yChannels * lay.Plane;
            for (int q = 0; q < tiles * cp; q++)
            {
                int p = Math.Min(q, n - 1), b = p / hw, i = p % hw / wo, j = p % wo;
                bases[q] = checked((int)((b * src.BatchStride) + (((long)(i * src.Wq) + j) * pixelStride)));
                outs[q] = checked((int)((b * yStride) + ((long)yChan0 * lay.Plane) + lay.Base + ((long)i * lay.Row) + ((long)j * lay.Column)));
            }

            fixed (float* pPacked = packed, pSrc = src.Buffer, pY = y)
            fixed (int* pOffs = offs, pBases = bases, pOuts = outs)
            {
                float* pk = pPacked, ps = pSrc, py = pY;
                int* po = pOffs, pb = pBases, pout = pOuts;
                int plane = lay.Plane;
                Parallelism.For(tasks, (long)m * k * cp * TilesPerTask, task =>
                {
                    float* tile = stackalloc float[CR * CP512];
                    int tile0 = task * TilesPerTask, tile1 = Math.Min(tiles, tile0 + TilesPerTask);
                    for (int ob = 0; ob < mBlocks; ob++)
                    {
                        int rows = Math.Min(CR, m - (ob * CR));
                        for (int ti = tile0; ti < tile1; ti++)
                        {
                            Run(tiling, pk + ((long)ob * k * CR), ps, po, k, pb + (ti * cp), tile, rows);

                            int cols = Math.Min(cp, n - (ti * cp));
                            for (int q = 0; q < cols; q++)
                            {
                                float* dst = py + pout[(ti * cp) + q] + ((long)ob * CR * plane);
                                float* tq = tile + (q * CR);
                                if (bias is null)
                                {
                                    for (int r = 0; r < rows; r++)
                                    {
                                        dst[(long)r * plane] = tq[r];
                                    }
                                }
                                else
                                {
                                    int b0 = biasOff + (ob * CR);
                                    for (int r = 0; r < rows; r++)
                                    {
                                        dst[(long)r * plane] = tq[r] + bias[b0 + r];
                                    }
                                }
                            }
                        }
                    }
                });
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(bases);
            ArrayPool<int>.Shared.Return(outs);
        }
    }

    /// <summary>
    /// gw[gwOff + r k + t] = sum_b sum_(i, j) g[b, gChan0 + r, i, j] src[b][offs[t] + i Wq + j] for r &lt; m, t &lt; k
    /// (overwrites), g (B, gChannels, ho, wo) as it comes from autograd (no <see cref="Spread"/>).
    /// </summary>
    public static void WeightGradChannels(Source src, int bsz, float[] g, int gChannels, int gChan0, int m, int ho, int wo, int[] offs, int k, float[] gw, int gwOff, int pixelStride = 1)
    {
        var tiling = ChannelKernel;
        int cp = tiling == ChannelTiling.Zmm32x12 ? CP512 : CP;
        int mBlocks = (m + CR - 1) / CR, hw = ho * wo, n = bsz * hw, kBlocks = (k + cp - 1) / cp;
        var packed = ArrayPool<float>.Shared.Rent(mBlocks * CR * n);
        var bases = ArrayPool<int>.Shared.Rent(n);
        var cols = ArrayPool<int>.Shared.Rent(kBlocks * cp);
        try
        {
            // packed[(ob n + (b hw + p)) CR + r] = g[b, gChan0 + ob CR + r, p]
            Parallelism.For(mBlocks * bsz, (long)CR * hw, task =>
            {
                int ob = task / bsz, b = task % bsz;
                int dst0 = ((ob * n) + (b * hw)) * CR;
                for (int r = 0; r < CR; r++)
                {
                    int row = (ob * CR) + r;
                    if (row >= m)
                    {
                        for (int p = 0; p < hw; p++)
                        {
                            packed[dst0 + (p * CR) + r] = 0f;
                        }

                        continue;
                    }

                    int s0 = ((b * gChannels) + gChan0 + row) * hw;
                    for (int p = 0; p < hw; p++)
                    {
                        packed[dst0 + (p * CR) + r] = g[s0 + p];
                    }
                }
            });

            for (int q = 0; q < n; q++)
            {
                int b = q / hw, i = q % hw / wo, j = q % wo;
                bases[q] = checked((int)((b * src.BatchStride) + (((long)(i * src.Wq) + j) * pixelStride)));
            }

            for (int t = 0; t < kBlocks * cp; t++)
            {
                cols[t] = offs[Math.Min(t, k - 1)];
            }

            fixed (float* pPacked = packed, pSrc = src.Buffer, pW = gw)
            fixed (int* pBases = bases, pCols = cols)
            {
                float* pk = pPacked, ps = pSrc, pw = pW;
                int* pb = pBases, pc = pCols;
                Parallelism.For(mBlocks * kBlocks, (long)n * CR * cp, task =>
                {
                    float* tile = stackalloc float[CR * CP512];
                    int ob = task / kBlocks, tb = task % kBlocks;
                    int rows = Math.Min(CR, m - (ob * CR)), taps = Math.Min(cp, k - (tb * cp));
                    Run(tiling, pk + ((long)ob * n * CR), ps, pb, n, pc + (tb * cp), tile, rows);
                    for (int r = 0; r < rows; r++)
                    {
                        float* dst = pw + gwOff + ((long)((ob * CR) + r) * k) + (tb * cp);
                        for (int q = 0; q < taps; q++)
                        {
                            dst[q] = tile[(q * CR) + r];
                        }
                    }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            ArrayPool<int>.Shared.Return(bases);
            ArrayPool<int>.Shared.Return(cols);
        }
    }

    /// <summary>
    /// tile[q CR + r] = sum_(t &lt; kred) a[t CR + r] s[red[t] + cols[q]] for r &lt; 32 (r &lt; <paramref name="rows"/> used;
    /// the 16 x 6 kernel skips the upper half of the panel when no row of it is), q &lt; the tiling's column count.
    /// </summary>
    private static void Run(ChannelTiling tiling, float* a, float* s, int* red, int kred, int* cols, float* tile, int rows)
    {
        switch (tiling)
        {
            case ChannelTiling.Zmm32x12:
                Kernel32x12(a, s, red, kred, cols, tile);
                break;
            case ChannelTiling.Ymm32x6:
                Kernel32x6(a, s, red, kred, cols, tile);
                break;
            default:
                Kernel16x6(a, s, red, kred, cols, tile);
                if (rows > 16)
                {
                    Kernel16x6(a + 16, s, red, kred, cols, tile + 16);
                }

                break;
        }
    }

    /// <summary>
    /// tile[q CR + r] = sum_(t &lt; kred) a[t CR + r] s[red[t] + cols[q]] for r &lt; 16, q &lt; 6 (a and tile keep the
    /// 32-channel panel's stride CR): two vectors of a times six broadcasts, 12 FMA accumulators, two weight registers
    /// and one broadcast register, within AVX2's 16. Every element is the same FMA chain as in <see cref="Kernel32x6"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel16x6(float* a, float* s, int* red, int kred, int* cols, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* p0 = s + cols[0], p1 = s + cols[1], p2 = s + cols[2], p3 = s + cols[3], p4 = s + cols[4], p5 = s + cols[5];
        for (int t = 0; t < kred; t++)
        {
            int o = red[t];
            var w0 = Vector256.Load(a);
            var w1 = Vector256.Load(a + 8);
            a += CR;
            var x = Vector256.Create(p0[o]);
            c00 = Vector256.FusedMultiplyAdd(w0, x, c00);
            c01 = Vector256.FusedMultiplyAdd(w1, x, c01);
            x = Vector256.Create(p1[o]);
            c10 = Vector256.FusedMultiplyAdd(w0, x, c10);
            c11 = Vector256.FusedMultiplyAdd(w1, x, c11);
            x = Vector256.Create(p2[o]);
            c20 = Vector256.FusedMultiplyAdd(w0, x, c20);
            c21 = Vector256.FusedMultiplyAdd(w1, x, c21);
            x = Vector256.Create(p3[o]);
            c30 = Vector256.FusedMultiplyAdd(w0, x, c30);
            c31 = Vector256.FusedMultiplyAdd(w1, x, c31);
            x = Vector256.Create(p4[o]);
            c40 = Vector256.FusedMultiplyAdd(w0, x, c40);
            c41 = Vector256.FusedMultiplyAdd(w1, x, c41);
            x = Vector256.Create(p5[o]);
            c50 = Vector256.FusedMultiplyAdd(w0, x, c50);
            c51 = Vector256.FusedMultiplyAdd(w1, x, c51);
        }

        Vector256.Store(c00, tile);
        Vector256.Store(c01, tile + 8);
        Vector256.Store(c10, tile + CR);
        Vector256.Store(c11, tile + CR + 8);
        Vector256.Store(c20, tile + (2 * CR));
        Vector256.Store(c21, tile + (2 * CR) + 8);
        Vector256.Store(c30, tile + (3 * CR));
        Vector256.Store(c31, tile + (3 * CR) + 8);
        Vector256.Store(c40, tile + (4 * CR));
        Vector256.Store(c41, tile + (4 * CR) + 8);
        Vector256.Store(c50, tile + (5 * CR));
        Vector256.Store(c51, tile + (5 * CR) + 8);
    }

    /// <summary>
    /// tile[q CR + r] = sum_(t &lt; kred) a[t CR + r] s[red[t] + cols[q]] for r &lt; 32, q &lt; 6: four vectors of a times
    /// six broadcasts, 24 FMA accumulators.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel32x6(float* a, float* s, int* red, int kred, int* cols, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector256<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector256<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* p0 = s + cols[0], p1 = s + cols[1], p2 = s + cols[2], p3 = s + cols[3], p4 = s + cols[4], p5 = s + cols[5];
        for (int t = 0; t < kred; t++)
        {
            int o = red[t];
            var w0 = Vector256.Load(a);
            var w1 = Vector256.Load(a + 8);
            var w2 = Vector256.Load(a + 16);
            var w3 = Vector256.Load(a + 24);
            a += CR;
            var x = Vector256.Create(p0[o]);
            c00 = Vector256.FusedMultiplyAdd(w0, x, c00);
            c01 = Vector256.FusedMultiplyAdd(w1, x, c01);
            c02 = Vector256.FusedMultiplyAdd(w2, x, c02);
            c03 = Vector256.FusedMultiplyAdd(w3, x, c03);
            x = Vector256.Create(p1[o]);
            c10 = Vector256.FusedMultiplyAdd(w0, x, c10);
            c11 = Vector256.FusedMultiplyAdd(w1, x, c11);
            c12 = Vector256.FusedMultiplyAdd(w2, x, c12);
            c13 = Vector256.FusedMultiplyAdd(w3, x, c13);
            x = Vector256.Create(p2[o]);
            c20 = Vector256.FusedMultiplyAdd(w0, x, c20);
            c21 = Vector256.FusedMultiplyAdd(w1, x, c21);
            c22 = Vector256.FusedMultiplyAdd(w2, x, c22);
            c23 = Vector256.FusedMultiplyAdd(w3, x, c23);
            x = Vector256.Create(p3[o]);
            c30 = Vector256.FusedMultiplyAdd(w0, x, c30);
            c31 = Vector256.FusedMultiplyAdd(w1, x, c31);
            c32 = Vector256.FusedMultiplyAdd(w2, x, c32);
            c33 = Vector256.FusedMultiplyAdd(w3, x, c33);
            x = Vector256.Create(p4[o]);
            c40 = Vector256.FusedMultiplyAdd(w0, x, c40);
            c41 = Vector256.FusedMultiplyAdd(w1, x, c41);
            c42 = Vector256.FusedMultiplyAdd(w2, x, c42);
            c43 = Vector256.FusedMultiplyAdd(w3, x, c43);
            x = Vector256.Create(p5[o]);
            c50 = Vector256.FusedMultiplyAdd(w0, x, c50);
            c51 = Vector256.FusedMultiplyAdd(w1, x, c51);
            c52 = Vector256.FusedMultiplyAdd(w2, x, c52);
            c53 = Vector256.FusedMultiplyAdd(w3, x, c53);
        }

        Vector256.Store(c00, tile);
        Vector256.Store(c01, tile + 8);
        Vector256.Store(c02, tile + 16);
        Vector256.Store(c03, tile + 24);
        Vector256.Store(c10, tile + 32);
        Vector256.Store(c11, tile + 40);
        Vector256.Store(c12, tile + 48);
        Vector256.Store(c13, tile + 56);
        Vector256.Store(c20, tile + 64);
        Vector256.Store(c21, tile + 72);
        Vector256.Store(c22, tile + 80);
        Vector256.Store(c23, tile + 88);
        Vector256.Store(c30, tile + 96);
        Vector256.Store(c31, tile + 104);
        Vector256.Store(c32, tile + 112);
        Vector256.Store(c33, tile + 120);
        Vector256.Store(c40, tile + 128);
        Vector256.Store(c41, tile + 136);
        Vector256.Store(c42, tile + 144);
        Vector256.Store(c43, tile + 152);
        Vector256.Store(c50, tile + 160);
        Vector256.Store(c51, tile + 168);
        Vector256.Store(c52, tile + 176);
        Vector256.Store(c53, tile + 184);
    }

    /// <summary>
    /// The Vector512 form of <see cref="Kernel32x6"/>: tile[q CR + r] for r &lt; 32, q &lt; 12, two vectors of 16 channels
    /// times twelve broadcasts (24 accumulators); every element is the same FMA chain, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel32x12(float* a, float* s, int* red, int kred, int* cols, float* tile)
    {
        Vector512<float> c0a = default, c0b = default;
        Vector512<float> c1a = default, c1b = default;
        Vector512<float> c2a = default, c2b = default;
        Vector512<float> c3a = default, c3b = default;
        Vector512<float> c4a = default, c4b = default;
        Vector512<float> c5a = default, c5b = default;
        Vector512<float> c6a = default, c6b = default;
        Vector512<float> c7a = default, c7b = default;
        Vector512<float> c8a = default, c8b = default;
        Vector512<float> c9a = default, c9b = default;
        Vector512<float> c10a = default, c10b = default;
        Vector512<float> c11a = default, c11b = default;
        float* p0 = s + cols[0], p1 = s + cols[1], p2 = s + cols[2], p3 = s + cols[3], p4 = s + cols[4], p5 = s + cols[5], p6 = s + cols[6], p7 = s + cols[7], p8 = s + cols[8], p9 = s + cols[9], p10 = s + cols[10], p11 = s + cols[11];
        for (int t = 0; t < kred; t++)
        {
            int o = red[t];
            var w0 = Vector512.Load(a);
            var w1 = Vector512.Load(a + 16);
            a += CR;
            var x0 = Vector512.Create(p0[o]);
            c0a = Vector512.FusedMultiplyAdd(w0, x0, c0a);
            c0b = Vector512.FusedMultiplyAdd(w1, x0, c0b);
            var x1 = Vector512.Create(p1[o]);
            c1a = Vector512.FusedMultiplyAdd(w0, x1, c1a);
            c1b = Vector512.FusedMultiplyAdd(w1, x1, c1b);
            var x2 = Vector512.Create(p2[o]);
            c2a = Vector512.FusedMultiplyAdd(w0, x2, c2a);
            c2b = Vector512.FusedMultiplyAdd(w1, x2, c2b);
            var x3 = Vector512.Create(p3[o]);
            c3a = Vector512.FusedMultiplyAdd(w0, x3, c3a);
            c3b = Vector512.FusedMultiplyAdd(w1, x3, c3b);
            var x4 = Vector512.Create(p4[o]);
            c4a = Vector512.FusedMultiplyAdd(w0, x4, c4a);
            c4b = Vector512.FusedMultiplyAdd(w1, x4, c4b);
            var x5 = Vector512.Create(p5[o]);
            c5a = Vector512.FusedMultiplyAdd(w0, x5, c5a);
            c5b = Vector512.FusedMultiplyAdd(w1, x5, c5b);
            var x6 = Vector512.Create(p6[o]);
            c6a = Vector512.FusedMultiplyAdd(w0, x6, c6a);
            c6b = Vector512.FusedMultiplyAdd(w1, x6, c6b);
            var x7 = Vector512.Create(p7[o]);
            c7a = Vector512.FusedMultiplyAdd(w0, x7, c7a);
            c7b = Vector512.FusedMultiplyAdd(w1, x7, c7b);
            var x8 = Vector512.Create(p8[o]);
            c8a = Vector512.FusedMultiplyAdd(w0, x8, c8a);
            c8b = Vector512.FusedMultiplyAdd(w1, x8, c8b);
            var x9 = Vector512.Create(p9[o]);
            c9a = Vector512.FusedMultiplyAdd(w0, x9, c9a);
            c9b = Vector512.FusedMultiplyAdd(w1, x9, c9b);
            var x10 = Vector512.Create(p10[o]);
            c10a = Vector512.FusedMultiplyAdd(w0, x10, c10a);
            c10b = Vector512.FusedMultiplyAdd(w1, x10, c10b);
            var x11 = Vector512.Create(p11[o]);
            c11a = Vector512.FusedMultiplyAdd(w0, x11, c11a);
            c11b = Vector512.FusedMultiplyAdd(w1, x11, c11b);
        }

        Vector512.Store(c0a, tile + 0);
        Vector512.Store(c0b, tile + 16);
        Vector512.Store(c1a, tile + 32);
        Vector512.Store(c1b, tile + 48);
        Vector512.Store(c2a, tile + 64);
        Vector512.Store(c2b, tile + 80);
        Vector512.Store(c3a, tile + 96);
        Vector512.Store(c3b, tile + 112);
        Vector512.Store(c4a, tile + 128);
        Vector512.Store(c4b, tile + 144);
        Vector512.Store(c5a, tile + 160);
        Vector512.Store(c5b, tile + 176);
        Vector512.Store(c6a, tile + 192);
        Vector512.Store(c6b, tile + 208);
        Vector512.Store(c7a, tile + 224);
        Vector512.Store(c7b, tile + 240);
        Vector512.Store(c8a, tile + 256);
        Vector512.Store(c8b, tile + 272);
        Vector512.Store(c9a, tile + 288);
        Vector512.Store(c9b, tile + 304);
        Vector512.Store(c10a, tile + 320);
        Vector512.Store(c10b, tile + 336);
        Vector512.Store(c11a, tile + 352);
        Vector512.Store(c11b, tile + 368);
    }
}
