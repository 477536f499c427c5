using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Pluralist.Tensors;

/// <summary>
/// Contiguous copy of a tensor with its dimensions reordered. Dimensions of size 1 are dropped and output neighbours
/// that stay neighbours in the source are merged. If the last output dimension is contiguous in the source the copy is
/// a series of row copies; otherwise the source dimension of stride 1 and the last output dimension form a 2-D
/// transpose, done in 8 x 8 register tiles (AVX) for every combination of the other dimensions.
/// </summary>
internal static unsafe class PermuteKernel
{
    /// <summary>dst[i_0, ..., i_{r-1}] = src[sum i_k srcStrides[k]] over <paramref name="outShape"/>.</summary>
    public static void Copy(float[] src, float[] dst, int[] outShape, int[] srcStrides)
    {
        var size = new List<int>();
        var stride = new List<int>();
        for (int i = 0; i < outShape.Length; i++)
        {
            if (outShape[i] == 1)
            {
                continue;
            }

            int n = size.Count - 1;
            if (n >= 0 && stride[n] == srcStrides[i] * outShape[i])
            {
                size[n] *= outShape[i];
                stride[n] = srcStrides[i];
                continue;
            }

            size.Add(outShape[i]);
            stride.Add(srcStrides[i]);
        }

        if (size.Count == 0)
        {
            if (dst.Length > 0)
            {
                dst[0] = src[0];
            }

            return;
        }

        int rank = size.Count;
        if (stride[rank - 1] == 1)
        {
            Rows(src, dst, [.. size], [.. stride]);
            return;
        }

        // p: the output dimension that is contiguous in the source; the transpose pairs it with the last output dimension
        int p = stride.IndexOf(1);
        var outStrides = new int[rank];
        for (int i = rank - 1, acc = 1; i >= 0; i--)
        {
            outStrides[i] = acc;
            acc *= size[i];
        }

        int rows = size[p], cols = size[rank - 1], srcRow = stride[rank - 1], dstRow = outStrides[p];
        var outer = new List<int>();
        var outerSrc = new List<int>();
        var outerDst = new List<int>();
        for (int i = 0; i < rank - 1; i++)
        {
            if (i != p)
            {
                outer.Add(size[i]);
                outerSrc.Add(stride[i]);
                outerDst.Add(outStrides[i]);
            }
        }

        int count = 1;
        foreach (var s in outer)
        {
            count *= s;
        }

        Parallelism.For(count, (long)rows * cols * 2, t =>
        {
            long so = 0, d0 = 0;
            for (int i = outer.Count - 1, rest = t; i >= 0; i--)
            {
                int idx = rest % outer[i];
                rest /= outer[i];
                so += (long)idx * outerSrc[i];
                d0 += (long)idx * outerDst[i];
            }

            fixed (float* ps = src, pd = dst)
            {
                // dst (rows, cols) with row stride dstRow <- src (cols, rows) with row stride srcRow, transposed
                Transpose(ps + so, srcRow, pd + d0, dstRow, rows, cols);
            }
        });
    }

    private static void Rows(float[] src, float[] dst, int[] size, int[] stride)
    {
        int rank = size.Length, n = size[rank - 1];
        int count = dst.Length / n;
        Span<int> idx = stackalloc int[rank];
        long so = 0;
        for (int r = 0; r < count; r++)
        {
            Array.Copy(src, so, dst, (long)r * n, n);
            for (int d = rank - 2; d >= 0; d--)
            {
                so += stride[d];
                if (++idx[d] < size[d])
                {
                    break;
                }

                so -= (long)stride[d] * size[d];
                idx[d] = 0;
            }
        }
    }

    // d[i dRow + j] = s[j sRow + i] for i < rows, j < cols
    private static void Transpose(float* s, int sRow, float* d, int dRow, int rows, int cols)
    {
        int i = 0;
        if (Avx.IsSupported)
        {
            for (; i + 8 <= rows; i += 8)
            {
                int j = 0;
                for (; j + 8 <= cols; j += 8)
                {
                    Tile8(s + ((long)j * sRow) + i, sRow, d + ((long)i * dRow) + j, dRow);
                }

                for (; j < cols; j++)
                {
                    for (int k = 0; k < 8; k++)
                    {
                        d[((long)(i + k) * dRow) + j] = s[((long)j * sRow) + i + k];
                    }
                }
            }
        }

        for (; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                d[((long)i * dRow) + j] = s[((long)j * sRow) + i];
            }
        }
    }

    // 8 x 8 tile: rows r0..r7 of s (stride sRow) become columns of d (stride dRow)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8(float* s, int sRow, float* d, int dRow)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + sRow);
        var r2 = Avx.LoadVector256(s + (2 * sRow));
        var r3 = Avx.LoadVector256(s + (3 * sRow));
        var r4 = Avx.LoadVector256(s + (4 * sRow));
        var r5 = Avx.LoadVector256(s + (5 * sRow));
        var r6 = Avx.LoadVector256(s + (6 * sRow));
        var r7 = Avx.LoadVector256(s + (7 * sRow));
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + dRow, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + (2 * dRow), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + (3 * dRow), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + (4 * dRow), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + (5 * dRow), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + (6 * dRow), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + (7 * dRow), Avx.Permute2x128(u3, u7, 0x31));
    }
}
