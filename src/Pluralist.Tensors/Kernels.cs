using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pluralist.Tensors;

/// <summary>
/// Element-wise activation kernels, Vector256 throughout: forward writes y from x; backward turns the output gradient g
/// into the input gradient in place, from g, x and y. Work is cut into fixed chunks of 16,384 elements (in parallel when
/// large) and the last partial vector goes through a padded register, so every element is computed by the same vector
/// code whatever the length or the thread count.
/// </summary>
internal static class Kernels
{
    private const int Chunk = 16384;
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;
    private const float Sqrt2OverPi = 0.79788456080286536f;

    // y = x * sigmoid(x) = x / (1 + e^-x)
    public static void SiluForward(float[] x, float[] y) => Map<Silu>(x, y);

    // dy/dx = s + x s (1 - s) = s (1 + x (1 - s)), s = sigmoid(x)
    public static void SiluBackward(float[] g, float[] x, float[] y) => MapGrad<SiluGrad>(g, x, y);

    // y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
    public static void GeluForward(float[] x, float[] y) => Map<Gelu>(x, y);

    // dy/dx = Phi(x) + x phi(x)
    public static void GeluBackward(float[] g, float[] x, float[] y) => MapGrad<GeluGrad>(g, x, y);

    // y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    public static void GeluTanhForward(float[] x, float[] y) => Map<GeluTanh>(x, y);

    public static void GeluTanhBackward(float[] g, float[] x, float[] y) => MapGrad<GeluTanhGrad>(g, x, y);

    // log sigmoid(x) = min(x, 0) - log1p(exp(-|x|))
    public static void LogSigmoidForward(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = MathF.Min(x[i], 0f) - (float)Math.Log(1.0 + Math.Exp(-Math.Abs((double)x[i])));
        }
    }

    /// <summary>Error function in double, |error| &lt; 1.2e-7 (Numerical Recipes erfc via Chebyshev fit): the scalar reference of <see cref="Erf(Vector256{float})"/>.</summary>
    public static double Erf(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + (0.5 * z));
        double poly = 0.17087277;
        foreach (double coef in (ReadOnlySpan<double>)[-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223])
        {
            poly = (poly * t) + coef;
        }

        double ans = t * Math.Exp((-z * z) + poly);
        return x >= 0 ? 1.0 - ans : ans - 1.0;
    }

    /// <summary>
    /// The same erfc fit in float lanes: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), z = |x|; returns
    /// (erfc(|x|), exp(-x^2)). Absolute error of 1 - erfc about 2e-7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Erfc, Vector256<float> Gauss) Erfc(Vector256<float> x)
    {
        var z = Vector256.Abs(x);
        var t = Vector256<float>.One / (Vector256<float>.One + (z * 0.5f));
        var p = Vector256.Create(0.17087277f);
        p = (p * t) + Vector256.Create(-0.82215223f);
        p = (p * t) + Vector256.Create(1.48851587f);
        p = (p * t) + Vector256.Create(-1.13520398f);
        p = (p * t) + Vector256.Create(0.27886807f);
        p = (p * t) + Vector256.Create(-0.18628806f);
        p = (p * t) + Vector256.Create(0.09678418f);
        p = (p * t) + Vector256.Create(0.37409196f);
        p = (p * t) + Vector256.Create(1.00002368f);
        p = (p * t) + Vector256.Create(-1.26551223f);
        var zz = z * z;
        return (t * Vector256.Exp(p - zz), Vector256.Exp(-zz));
    }

    /// <summary>erf(x) lane by lane (see <see cref="Erfc"/>).</summary>
    public static Vector256<float> Erf(Vector256<float> x)
    {
        var (c, _) = Erfc(x);
        var pos = Vector256<float>.One - c;
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -pos, pos);
    }

    // Phi(x) = 1 - erfc(|x| / sqrt 2) / 2 for x >= 0, erfc(|x| / sqrt 2) / 2 below; also phi(x) = e^(-x^2/2) / sqrt(2 pi)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Cdf, Vector256<float> Pdf) Normal(Vector256<float> x)
    {
        var (c, gauss) = Erfc(x * InvSqrt2);
        var half = c * 0.5f;
        var cdf = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), half, Vector256<float>.One - half);
        return (cdf, gauss * InvSqrt2Pi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    // (1 + tanh(u), 1 - tanh(u)) = (2 e, 2) / (e + 1), e = e^(2u), u clamped to +-15 (tanh is +-1 in float beyond):
    // both factors without cancellation, so 1 - tanh^2 = (1 + t)(1 - t) keeps its relative precision in the tails
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> OnePlus, Vector256<float> OneMinus) TanhPair(Vector256<float> u)
    {
        u = Vector256.Min(Vector256.Max(u, Vector256.Create(-15f)), Vector256.Create(15f));
        var e = Vector256.Exp(u + u);
        var r = Vector256.Create(2f) / (e + Vector256<float>.One);
        return (e * r, r);
    }

    private interface IMap
    {
        static abstract Vector256<float> Apply(Vector256<float> x);
    }

    private interface IMapGrad
    {
        static abstract Vector256<float> Apply(Vector256<float> g, Vector256<float> x, Vector256<float> y);
    }

    private readonly struct Silu : IMap
    {
        public static Vector256<float> Apply(Vector256<float> x) => x * Sigmoid(x);
    }

    private readonly struct SiluGrad : IMapGrad
    {
        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> x, Vector256<float> y)
        {
            var s = Sigmoid(x);
            return g * (s * (Vector256<float>.One + (x * (Vector256<float>.One - s))));
        }
    }

    private readonly struct Gelu : IMap
    {
        public static Vector256<float> Apply(Vector256<float> x) => x * Normal(x).Cdf;
    }

    private readonly struct GeluGrad : IMapGrad
    {
        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> x, Vector256<float> y)
        {
            var (cdf, pdf) = Normal(x);
            return g * (cdf + (x * pdf));
        }
    }

    private readonly struct GeluTanh : IMap
    {
        public static Vector256<float> Apply(Vector256<float> x)
        {
            var u = (x + (x * x * x * 0.044715f)) * Sqrt2OverPi;
            return x * 0.5f * TanhPair(u).OnePlus;
        }
    }

    private readonly struct GeluTanhGrad : IMapGrad
    {
        // dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2), t = tanh(u)
        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> x, Vector256<float> y)
        {
            var x2 = x * x;
            var u = (x + (x2 * x * 0.044715f)) * Sqrt2OverPi;
            var (plus, minus) = TanhPair(u);
            var du = (Vector256<float>.One + (x2 * (3f * 0.044715f))) * Sqrt2OverPi;
            return g * ((plus * 0.5f) + (x * 0.5f * (plus * minus) * du));
        }
    }

    private static void Map<T>(float[] x, float[] y)
        where T : struct, IMap
    {
        int chunks = (x.Length + Chunk - 1) / Chunk;
        Parallelism.For(chunks, Chunk * 8L, c =>
        {
            int i = c * Chunk, end = Math.Min(x.Length, i + Chunk);
            for (; i + 8 <= end; i += 8)
            {
                T.Apply(Vector256.Create(x.AsSpan(i))).CopyTo(y.AsSpan(i));
            }

            if (i < end)
            {
                Span<float> buf = stackalloc float[8];
                x.AsSpan(i, end - i).CopyTo(buf);
                T.Apply(Vector256.Create(buf)).CopyTo(buf);
                buf[..(end - i)].CopyTo(y.AsSpan(i));
            }
        });
    }

    private static void MapGrad<T>(float[] g, float[] x, float[] y)
        where T : struct, IMapGrad
    {
        int chunks = (x.Length + Chunk - 1) / Chunk;
        Parallelism.For(chunks, Chunk * 16L, c =>
        {
            int i = c * Chunk, end = Math.Min(x.Length, i + Chunk);
            for (; i + 8 <= end; i += 8)
            {
                T.Apply(Vector256.Create(g.AsSpan(i)), Vector256.Create(x.AsSpan(i)), Vector256.Create(y.AsSpan(i))).CopyTo(g.AsSpan(i));
            }

            if (i < end)
            {
                int n = end - i;
                Span<float> bg = stackalloc float[8], bx = stackalloc float[8], by = stackalloc float[8];
                g.AsSpan(i, n).CopyTo(bg);
                x.AsSpan(i, n).CopyTo(bx);
                y.AsSpan(i, n).CopyTo(by);
                T.Apply(Vector256.Create(bg), Vector256.Create(bx), Vector256.Create(by)).CopyTo(bg);
                bg[..n].CopyTo(g.AsSpan(i));
            }
        });
    }
}
