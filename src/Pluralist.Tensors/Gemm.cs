using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pluralist.Tensors;

/// <summary>
/// Blocked, packed single-precision matrix multiply (GotoBLAS/BLIS layout): C (M, N) = op(A) (M, K) x op(B) (K, N),
/// with a 6 x 32 Vector512 FMA micro-kernel where AVX-512 is accelerated (6 x 16 Vector256 elsewhere). Work is split
/// over (row block, column block) tiles; every C element is one chain of FMAs over K in order, whatever the thread
/// count or the vector width, so results do not depend on either.
/// </summary>
internal static unsafe class Gemm
{
    public const int MR = 6;
    public const int NR = 16;
    private const int KC = 256;
    private const int MC = 72;
    private const int NC = 512;
    private const int DirectMaxN = 128;

    [ThreadStatic]
    private static bool t_packAlways;

    [ThreadStatic]
    private static bool t_narrow;

    /// <summary>Test hook (per thread): use the Vector256 kernels even where Vector512 is accelerated.</summary>
    internal static bool Narrow
    {
        get => t_narrow;
        set => t_narrow = value;
    }

    private static bool Wide => Vector512.IsHardwareAccelerated && !t_narrow;

    /// <summary>Test hook (per thread): pack every panel of A, as for large N.</summary>
    internal static bool PackAlways
    {
        get => t_packAlways;
        set => t_packAlways = value;
    }

    /// <summary>
    /// C[i*ldc + j] (+)= sum_p A(i,p) B(p,j) where A(i,p) = a[i*rsA + p*csA] and B(p,j) = b[p*rsB + j*csB].
    /// </summary>
    public static void Multiply(float* a, int rsA, int csA, float* b, int rsB, int csB, float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    new Span<float>(c + ((long)i * ldc), n).Clear();
                }
            }

            return;
        }

        if (SplitK(a, rsA, csA, b, rsB, csB, c, ldc, m, n, k, accumulate))
        {
            return;
        }

        bool wide = Wide;
        int nrw = wide ? 2 * NR : NR;
        int mPanels = (m + MR - 1) / MR;
        int nPanels = (n + nrw - 1) / nrw;
        // With few column panels (N <= 128: linear layers of small width, their gradients) packing A costs as much as
        // a good part of the arithmetic it serves, so full 6-row panels of A are read where they are; the reduction
        // over K is the same either way, so are the results.
        bool direct = n <= DirectMaxN && !t_packAlways;
        var packA = ArrayPool<float>.Shared.Rent(mPanels * MR * Math.Min(k, KC));
        var packB = ArrayPool<float>.Shared.Rent(nPanels * nrw * Math.Min(k, KC));
        try
        {
            fixed (float* pa = packA, pb = packB)
            {
                var pA = pa;
                var pB = pb;
                int mBlocks = (m + MC - 1) / MC;
                int nBlocks = (n + NC - 1) / NC;
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    bool acc = accumulate || pc > 0;
                    long packWork = (long)kc * MR * 8;
                    if (direct)
                    {
                        // only a last partial panel is packed (zero rows past m); full panels are read in place
                        if (m % MR != 0)
                        {
                            PackA(pA + ((long)(mPanels - 1) * MR * kc), a, rsA, csA, (mPanels - 1) * MR, pc, m % MR, kc);
                        }
                    }
                    else
                    {
                        Parallelism.For(mPanels, packWork, ip => PackA(pA + ((long)ip * MR * kc), a, rsA, csA, ip * MR, pc, Math.Min(MR, m - (ip * MR)), kc));
                    }

                    Parallelism.For(nPanels, packWork, jp => PackB(pB + ((long)jp * nrw * kc), b, rsB, csB, pc, jp * nrw, Math.Min(nrw, n - (jp * nrw)), kc, nrw));
                    long tileWork = (long)MC * NC * kc / 4;
                    Parallelism.For(mBlocks * nBlocks, tileWork, t =>
                    {
                        int ib = t / nBlocks, jb = t % nBlocks;
                        int i0 = ib * MC, i1 = Math.Min(m, i0 + MC);
                        int j0 = jb * NC, j1 = Math.Min(n, j0 + NC);
                        for (int j = j0; j < j1; j += nrw)
                        {
                            int nr = Math.Min(nrw, j1 - j);
                            float* bp = pB + ((long)(j / nrw) * nrw * kc);
                            for (int i = i0; i < i1; i += MR)
                            {
                                int mr = Math.Min(MR, i1 - i);
                                float* ci = c + ((long)i * ldc) + j;
                                if (direct && mr == MR)
                                {
                                    float* ai = a + ((long)i * rsA) + ((long)pc * csA);
                                    if (wide)
                                    {
                                        KernelStrided512(ai, rsA, csA, bp, kc, ci, ldc, nr, acc);
                                    }
                                    else
                                    {
                                        KernelStrided(ai, rsA, csA, bp, kc, ci, ldc, nr, acc);
                                    }

                                    continue;
                                }

                                float* ap = pA + ((long)(i / MR) * MR * kc);
                                if (wide)
                                {
                                    Kernel512(ap, bp, kc, ci, ldc, mr, nr, acc);
                                }
                                else
                                {
                                    Kernel(ap, bp, kc, ci, ldc, mr, nr, acc);
                                }
                            }
                        }
                    });
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packA);
            ArrayPool<float>.Shared.Return(packB);
        }
    }

    private const int SplitChunk = 1024;

    // Small C with a long K (weight gradients: (O, CKK) summed over B*H*W) has too few tiles to share out, so K is cut
    // into fixed chunks of 1024 whose partial products run in parallel and are then added in chunk order. The chunking
    // does not depend on the thread count, so neither does the result.
    private static bool SplitK(float* a, int rsA, int csA, float* b, int rsB, int csB, float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        int tiles = ((m + MC - 1) / MC) * ((n + NC - 1) / NC);
        if (tiles >= 4 || k < 2 * SplitChunk || (long)m * n > 1 << 18)
        {
            return false;
        }

        int chunks = (k + SplitChunk - 1) / SplitChunk;
        var partial = ArrayPool<float>.Shared.Rent(chunks * m * n);
        try
        {
            fixed (float* pp = partial)
            {
                var part = pp;
                Parallelism.For(chunks, (long)m * n * SplitChunk, ch =>
                {
                    int p0 = ch * SplitChunk, kc = Math.Min(SplitChunk, k - p0);
                    Multiply(a + ((long)p0 * csA), rsA, csA, b + ((long)p0 * rsB), rsB, csB, part + ((long)ch * m * n), n, m, n, kc, false);
                });
                for (int i = 0; i < m; i++)
                {
                    float* row = c + ((long)i * ldc);
                    for (int j = 0; j < n; j++)
                    {
                        float s = accumulate ? row[j] : 0f;
                        for (int ch = 0; ch < chunks; ch++)
                        {
                            s += part[((long)ch * m * n) + ((long)i * n) + j];
                        }

                        row[j] = s;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partial);
        }

        return true;
    }

    // dst (kc, MR): dst[p*MR + r] = A(i0 + r, p0 + p), zero rows past mr.
    private static void PackA(float* dst, float* a, int rsA, int csA, int i0, int p0, int mr, int kc)
    {
        if (csA == 1)
        {
            // rows contiguous along K: read each row once, write with stride MR (the panel stays in L1).
            for (int r = 0; r < MR; r++)
            {
                float* src = a + ((long)(i0 + r) * rsA) + p0;
                for (int p = 0; p < kc; p++)
                {
                    dst[(p * MR) + r] = r < mr ? src[p] : 0f;
                }
            }

            return;
        }

        for (int p = 0; p < kc; p++)
        {
            float* src = a + ((long)i0 * rsA) + ((long)(p0 + p) * csA);
            int r = 0;
            for (; r < mr; r++)
            {
                dst[(p * MR) + r] = src[(long)r * rsA];
            }

            for (; r < MR; r++)
            {
                dst[(p * MR) + r] = 0f;
            }
        }
    }

    // dst (kc, w): dst[p*w + j] = B(p0 + p, j0 + j), zero columns past nr (w: the panel width, 16 or 32).
    private static void PackB(float* dst, float* b, int rsB, int csB, int p0, int j0, int nr, int kc, int w)
    {
        if (rsB == 1)
        {
            // B stored transposed (N, K): read each column of B contiguously.
            for (int j = 0; j < w; j++)
            {
                float* src = b + ((long)(j0 + j) * csB) + p0;
                for (int p = 0; p < kc; p++)
                {
                    dst[(p * w) + j] = j < nr ? src[p] : 0f;
                }
            }

            return;
        }

        for (int p = 0; p < kc; p++)
        {
            float* src = b + ((long)(p0 + p) * rsB) + ((long)j0 * csB);
            float* d = dst + (p * w);
            if (csB == 1 && nr == w)
            {
                new ReadOnlySpan<float>(src, w).CopyTo(new Span<float>(d, w));
                continue;
            }

            int j = 0;
            for (; j < nr; j++)
            {
                d[j] = src[(long)j * csB];
            }

            for (; j < w; j++)
            {
                d[j] = 0f;
            }
        }
    }

    // The micro-kernel on A read in place: A(r, p) = a[r rsA + p csA] for the 6 rows of a full panel.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelStrided(float* a, int rsA, int csA, float* bp, int kc, float* c, int ldc, int nr, bool accumulate)
    {
        var c00 = Vector256<float>.Zero;
        var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero;
        var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero;
        var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero;
        var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero;
        var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero;
        var c51 = Vector256<float>.Zero;
        float* a0 = a, a1 = a + rsA, a2 = a + (2L * rsA), a3 = a + (3L * rsA), a4 = a + (4L * rsA), a5 = a + (5L * rsA);
        long off = 0;
        for (int p = 0; p < kc; p++, off += csA)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var av = Vector256.Create(a0[off]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a1[off]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a2[off]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a3[off]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a4[off]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a5[off]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            bp += NR;
        }

        StoreTile(c, ldc, MR, nr, accumulate, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* ap, float* bp, int kc, float* c, int ldc, int mr, int nr, bool accumulate)
    {
        var c00 = Vector256<float>.Zero;
        var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero;
        var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero;
        var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero;
        var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero;
        var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero;
        var c51 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
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
            ap += MR;
            bp += NR;
        }

        StoreTile(c, ldc, mr, nr, accumulate, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile(float* c, int ldc, int mr, int nr, bool accumulate, Vector256<float> c00, Vector256<float> c01, Vector256<float> c10, Vector256<float> c11, Vector256<float> c20, Vector256<float> c21, Vector256<float> c30, Vector256<float> c31, Vector256<float> c40, Vector256<float> c41, Vector256<float> c50, Vector256<float> c51)
    {
        if (mr == MR && nr == NR)
        {
            Store(c, c00, c01, accumulate);
            Store(c + ldc, c10, c11, accumulate);
            Store(c + (2 * ldc), c20, c21, accumulate);
            Store(c + (3 * ldc), c30, c31, accumulate);
            Store(c + (4 * ldc), c40, c41, accumulate);
            Store(c + (5 * ldc), c50, c51, accumulate);
            return;
        }

        StoreEdge(c, ldc, mr, nr, accumulate, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    // a tile cut by the edge of C: through a buffer, element by element
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreEdge(float* c, int ldc, int mr, int nr, bool accumulate, Vector256<float> c00, Vector256<float> c01, Vector256<float> c10, Vector256<float> c11, Vector256<float> c20, Vector256<float> c21, Vector256<float> c30, Vector256<float> c31, Vector256<float> c40, Vector256<float> c41, Vector256<float> c50, Vector256<float> c51)
    {
        float* tile = stackalloc float[MR * NR];
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
        for (int r = 0; r < mr; r++)
        {
            float* row = c + ((long)r * ldc);
            for (int j = 0; j < nr; j++)
            {
                row[j] = accumulate ? row[j] + tile[(r * NR) + j] : tile[(r * NR) + j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }

        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }

    // 6 x 32 with Vector512: the same FMA chains as the 6 x 16 kernel, two of its column panels at once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* ap, float* bp, int kc, float* c, int ldc, int mr, int nr, bool accumulate)
    {
        var c00 = Vector512<float>.Zero;
        var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        var c51 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            var a = Vector512.Create(ap[0]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]);
            c40 = Vector512.FusedMultiplyAdd(a, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]);
            c50 = Vector512.FusedMultiplyAdd(a, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            ap += MR;
            bp += 2 * NR;
        }

        StoreTile512(c, ldc, mr, nr, accumulate, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelStrided512(float* a, int rsA, int csA, float* bp, int kc, float* c, int ldc, int nr, bool accumulate)
    {
        var c00 = Vector512<float>.Zero;
        var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        var c51 = Vector512<float>.Zero;
        float* a0 = a, a1 = a + rsA, a2 = a + (2L * rsA), a3 = a + (3L * rsA), a4 = a + (4L * rsA), a5 = a + (5L * rsA);
        long off = 0;
        for (int p = 0; p < kc; p++, off += csA)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            var av = Vector512.Create(a0[off]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a1[off]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a2[off]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a3[off]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a4[off]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a5[off]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            bp += 2 * NR;
        }

        StoreTile512(c, ldc, MR, nr, accumulate, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile512(float* c, int ldc, int mr, int nr, bool accumulate, Vector512<float> c00, Vector512<float> c01, Vector512<float> c10, Vector512<float> c11, Vector512<float> c20, Vector512<float> c21, Vector512<float> c30, Vector512<float> c31, Vector512<float> c40, Vector512<float> c41, Vector512<float> c50, Vector512<float> c51)
    {
        if (mr == MR && nr == 2 * NR)
        {
            Store512(c, c00, c01, accumulate);
            Store512(c + ldc, c10, c11, accumulate);
            Store512(c + (2 * ldc), c20, c21, accumulate);
            Store512(c + (3 * ldc), c30, c31, accumulate);
            Store512(c + (4 * ldc), c40, c41, accumulate);
            Store512(c + (5 * ldc), c50, c51, accumulate);
            return;
        }

        StoreEdge512(c, ldc, mr, nr, accumulate, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreEdge512(float* c, int ldc, int mr, int nr, bool accumulate, Vector512<float> c00, Vector512<float> c01, Vector512<float> c10, Vector512<float> c11, Vector512<float> c20, Vector512<float> c21, Vector512<float> c30, Vector512<float> c31, Vector512<float> c40, Vector512<float> c41, Vector512<float> c50, Vector512<float> c51)
    {
        const int W = 2 * NR;
        float* tile = stackalloc float[MR * W];
        Vector512.Store(c00, tile);
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
        for (int r = 0; r < mr; r++)
        {
            float* row = c + ((long)r * ldc);
            for (int j = 0; j < nr; j++)
            {
                row[j] = accumulate ? row[j] + tile[(r * W) + j] : tile[(r * W) + j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }

    /// <summary>Managed-array convenience: C (m, n) (+)= op(A) op(B), with transA/transB meaning A is stored (k, m) / B is stored (n, k).</summary>
    public static void Multiply(float[] a, int aOff, bool transA, float[] b, int bOff, bool transB, float[] c, int cOff, int m, int n, int k, bool accumulate)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (OpenBlas.Active && m > 0 && n > 0 && k > 0)
            {
                OpenBlas.Sgemm(transA, transB, m, n, k, pa + aOff, transA ? m : k, pb + bOff, transB ? k : n, pc + cOff, n, accumulate);
                return;
            }

            Multiply(
                pa + aOff, transA ? 1 : k, transA ? m : 1,
                pb + bOff, transB ? 1 : n, transB ? k : 1,
                pc + cOff, n, m, n, k, accumulate);
        }
    }
}
