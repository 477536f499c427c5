using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pluralist.Tensors;

/// <summary>
/// Nearest-neighbour upsampling by an integer factor s over (planes, H, W): forward y[i, j] = x[i / s, j / s];
/// backward dx[i, j] = sum of the s x s block of dy above it. Factor 2 (the UNet's) runs in Vector256 registers:
/// forward doubles 8 inputs into 16 outputs written to two rows, backward adds the two rows and then neighbouring
/// pairs. Parallel over planes, each plane by one worker, so results do not depend on the thread count.
/// </summary>
internal static class UpsampleKernel
{
    public static void Forward(float[] x, float[] y, int planes, int h, int w, int s)
    {
        int wo = w * s;
        Parallelism.For(planes, (long)h * w * s * s, p =>
        {
            for (int i = 0; i < h; i++)
            {
                var src = x.AsSpan(((p * h) + i) * w, w);
                var row = y.AsSpan(((p * h * s) + (i * s)) * wo, wo);
                int j = 0;
                if (s == 2 && Avx.IsSupported)
                {
                    for (; j + 8 <= w; j += 8)
                    {
                        var v = Vector256.Create(src[j..]);
                        var lo = Avx.UnpackLow(v, v);  // x0 x0 x1 x1 | x4 x4 x5 x5
                        var hi = Avx.UnpackHigh(v, v); // x2 x2 x3 x3 | x6 x6 x7 x7
                        Avx.Permute2x128(lo, hi, 0x20).CopyTo(row[(2 * j)..]);
                        Avx.Permute2x128(lo, hi, 0x31).CopyTo(row[((2 * j) + 8)..]);
                    }
                }

                for (; j < w; j++)
                {
                    row.Slice(j * s, s).Fill(src[j]);
                }

                for (int r = 1; r < s; r++)
                {
                    row.CopyTo(y.AsSpan((((p * h * s) + (i * s) + r) * wo), wo));
                }
            }
        });
    }

    public static void Backward(float[] g, float[] dx, int planes, int h, int w, int s)
    {
        int wo = w * s;
        Parallelism.For(planes, (long)h * w * s * s, p =>
        {
            for (int i = 0; i < h; i++)
            {
                var dst = dx.AsSpan(((p * h) + i) * w, w);
                int top = ((p * h * s) + (i * s)) * wo;
                int j = 0;
                if (s == 2 && Avx2.IsSupported)
                {
                    for (; j + 8 <= w; j += 8)
                    {
                        // column sums of the two rows, then pairs: (a0 + a1, a2 + a3, ...)
                        var a = Vector256.Create(g.AsSpan(top + (2 * j))) + Vector256.Create(g.AsSpan(top + wo + (2 * j)));
                        var b = Vector256.Create(g.AsSpan(top + (2 * j) + 8)) + Vector256.Create(g.AsSpan(top + wo + (2 * j) + 8));
                        var hs = Avx.HorizontalAdd(a, b); // a01 a23 b01 b23 | a45 a67 b45 b67
                        Avx2.Permute4x64(hs.AsDouble(), 0b11_01_10_00).AsSingle().CopyTo(dst[j..]);
                    }
                }

                for (; j < w; j++)
                {
                    float sum = 0;
                    for (int r = 0; r < s; r++)
                    {
                        for (int c = 0; c < s; c++)
                        {
                            sum += g[top + (r * wo) + (j * s) + c];
                        }
                    }

                    dst[j] = sum;
                }
            }
        });
    }
}
