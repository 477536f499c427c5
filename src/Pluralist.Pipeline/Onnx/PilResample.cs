namespace Pluralist.Pipeline.Onnx;

/// <summary>The <c>resample</c> codes of preprocessor_config.json (PIL's filter numbers).</summary>
public enum ResampleFilter
{
    Nearest = 0,
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}

/// <summary>
/// Resizing of 8-bit RGB as PIL's <c>Image.resize</c> does it, which is what the Hugging Face image processors call, so
/// that pixel values match the reference exactly. Separable convolution, horizontal pass first, then vertical, each
/// rounded to 8 bits. For output pixel i, centre c = (i + 0.5) · scale with scale = in / out; the filter is stretched
/// by max(scale, 1) (antialiasing when shrinking); taps run over [round(c − support), round(c + support)) clipped to the
/// image, weights w(j) = filter((j − c + 0.5) / max(scale, 1)) normalised to sum 1, then fixed point with 22 fractional
/// bits; a result is (Σ w·x + 2^21) >> 22 clipped to [0, 255]. Bicubic is Keys' cubic with a = −0.5 (support 2),
/// bilinear the triangle (1), Lanczos 3 lobes (3), box (0.5), Hamming (1). Nearest takes source pixel
/// floor((i + 0.5) · scale), accumulated as PIL does.
/// </summary>
internal static class PilResample
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>rgb (H, W, 3) bytes -> (outH, outW, 3) bytes.</summary>
    public static byte[] Resize(byte[] rgb, int width, int height, int outWidth, int outHeight, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (filter == ResampleFilter.Nearest)
        {
            return Nearest(rgb, width, height, outWidth, outHeight);
        }

        var (support, f) = Filter(filter);
        byte[] src = rgb;
        int srcW = width;
        var (boundsV, kv, ksizeV) = Coefficients(height, outHeight, support, f);
        if (outWidth != width)
        {
            // Only the rows the vertical pass will read: [first, last).
            int first = boundsV[0], last = boundsV[(outHeight - 1) * 2] + boundsV[(outHeight - 1) * 2 + 1];
            if (outHeight == height)
            {
                (first, last) = (0, height);
            }

            var (boundsH, kh, ksizeH) = Coefficients(width, outWidth, support, f);
            var tmp = new byte[(last - first) * outWidth * 3];
            for (int y = 0; y < last - first; y++)
            {
                int row = (y + first) * width * 3;
                for (int x = 0; x < outWidth; x++)
                {
                    int xmin = boundsH[x * 2], n = boundsH[x * 2 + 1], k = x * ksizeH;
                    int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                    for (int j = 0; j < n; j++)
                    {
                        int o = row + (xmin + j) * 3, w = kh[k + j];
                        s0 += src[o] * w;
                        s1 += src[o + 1] * w;
                        s2 += src[o + 2] * w;
                    }

                    int t = (y * outWidth + x) * 3;
                    tmp[t] = Clip8(s0);
                    tmp[t + 1] = Clip8(s1);
                    tmp[t + 2] = Clip8(s2);
                }
            }

            for (int i = 0; i < outHeight; i++)
            {
                boundsV[i * 2] -= first;
            }

            src = tmp;
            srcW = outWidth;
        }

        if (outHeight == height)
        {
            return src == rgb ? (byte[])rgb.Clone() : src;
        }

        var result = new byte[outHeight * outWidth * 3];
        for (int y = 0; y < outHeight; y++)
        {
            int ymin = boundsV[y * 2], n = boundsV[y * 2 + 1], k = y * ksizeV;
            for (int x = 0; x < srcW; x++)
            {
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int j = 0; j < n; j++)
                {
                    int o = ((ymin + j) * srcW + x) * 3, w = kv[k + j];
                    s0 += src[o] * w;
                    s1 += src[o + 1] * w;
                    s2 += src[o + 2] * w;
                }

                int t = (y * outWidth + x) * 3;
                result[t] = Clip8(s0);
                result[t + 1] = Clip8(s1);
                result[t + 2] = Clip8(s2);
            }
        }

        return result;
    }

    private static byte Clip8(int v) => v >= 1 << PrecisionBits << 8 ? (byte)255 : v <= 0 ? (byte)0 : (byte)(v >> PrecisionBits);

    /// <summary>Bounds (xmin, count) per output pixel and fixed-point weights (outSize, ksize).</summary>
    private static (int[] Bounds, int[] Weights, int KSize) Coefficients(int inSize, int outSize, double filterSupport, Func<double, double> filter)
    {
        double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale, ss = 1.0 / filterScale;
            int xmin = Math.Max(0, (int)(center - support + 0.5));
            int xmax = Math.Min(inSize, (int)(center + support + 0.5)) - xmin;
            double total = 0;
            for (int j = 0; j < xmax; j++)
            {
                k[j] = filter((j + xmin - center + 0.5) * ss);
                total += k[j];
            }

            for (int j = 0; j < xmax; j++)
            {
                double w = total != 0 ? k[j] / total : k[j];
                weights[i * ksize + j] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }

            bounds[i * 2] = xmin;
            bounds[i * 2 + 1] = xmax;
        }

        return (bounds, weights, ksize);
    }

    private static (double Support, Func<double, double> Filter) Filter(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Bicubic => (2.0, Bicubic),
        ResampleFilter.Bilinear => (1.0, x => Math.Abs(x) < 1.0 ? 1.0 - Math.Abs(x) : 0.0),
        ResampleFilter.Lanczos => (3.0, x => x > -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3.0) : 0.0),
        ResampleFilter.Box => (0.5, x => x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
        ResampleFilter.Hamming => (1.0, Hamming),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "unknown filter"),
    };

    /// <summary>Keys' cubic convolution kernel with a = -0.5.</summary>
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0)
        {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }

        return x < 2.0 ? (((x - 5) * x + 8) * x - 4) * a : 0.0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0)
        {
            return 1.0;
        }

        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static double Hamming(double x)
    {
        if (x < 0.0)
        {
            x = -x;
        }

        if (x == 0.0)
        {
            return 1.0;
        }

        if (x >= 1.0)
        {
            return 0.0;
        }

        x *= Math.PI;
        return Math.Sin(x) / x * (0.54 + 0.46 * Math.Cos(x));
    }

    /// <summary>
    /// PIL's nearest neighbour (its affine transform): the source coordinate starts at scale / 2 and grows by scale per
    /// pixel, accumulated in double precision and truncated, so that a centre that lands on an integer up to rounding
    /// takes the same pixel as PIL.
    /// </summary>
    private static byte[] Nearest(byte[] rgb, int width, int height, int outWidth, int outHeight)
    {
        static int[] Sources(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize, v = scale * 0.5;
            var s = new int[outSize];
            for (int i = 0; i < outSize; i++, v += scale)
            {
                s[i] = Math.Clamp((int)v, 0, inSize - 1);
            }

            return s;
        }

        var xs = Sources(width, outWidth);
        var ys = Sources(height, outHeight);
        var result = new byte[outWidth * outHeight * 3];
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                Array.Copy(rgb, (ys[y] * width + xs[x]) * 3, result, (y * outWidth + x) * 3, 3);
            }
        }

        return result;
    }
}
