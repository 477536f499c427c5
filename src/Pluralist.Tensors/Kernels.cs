using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Pluralist.Tensors;

/// <summary>Element-wise activation kernels (forward writes y from x; backward returns dL/dx from g, x, y).</summary>
internal static class Kernels
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;
    private const float Sqrt2OverPi = 0.79788456080286536f;

    // y = x * sigmoid(x)
    public static void SiluForward(float[] x, float[] y)
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }

    // dy/dx = s + x s (1 - s) = s + y (1 - s), s = sigmoid(x), y = x s
    public static float[] SiluBackward(float[] g, float[] x, float[] y)
    {
        var r = new float[x.Length];
        TensorPrimitives.Sigmoid(x, r);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<float>.One;
            for (; i <= r.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var s = Vector256.Create(r.AsSpan(i));
                var yv = Vector256.Create(y.AsSpan(i));
                var gv = Vector256.Create(g.AsSpan(i));
                (gv * (s + (yv * (one - s)))).CopyTo(r.AsSpan(i));
            }
        }

        for (; i < r.Length; i++)
        {
            r[i] = g[i] * (r[i] + (y[i] * (1 - r[i])));
        }

        return r;
    }

    // y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
    public static void GeluForward(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = 0.5f * x[i] * (1f + (float)Erf(x[i] * InvSqrt2));
        }
    }

    // dy/dx = Phi(x) + x phi(x)
    public static float[] GeluBackward(float[] g, float[] x, float[] y)
    {
        var r = new float[x.Length];
        for (int i = 0; i < r.Length; i++)
        {
            float cdf = 0.5f * (1f + (float)Erf(x[i] * InvSqrt2));
            float pdf = InvSqrt2Pi * MathF.Exp(-0.5f * x[i] * x[i]);
            r[i] = g[i] * (cdf + (x[i] * pdf));
        }

        return r;
    }

    // y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    public static void GeluTanhForward(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float u = Sqrt2OverPi * (x[i] + (0.044715f * x[i] * x[i] * x[i]));
            y[i] = 0.5f * x[i] * (1f + MathF.Tanh(u));
        }
    }

    public static float[] GeluTanhBackward(float[] g, float[] x, float[] y)
    {
        var r = new float[x.Length];
        for (int i = 0; i < r.Length; i++)
        {
            float xi = x[i];
            float u = Sqrt2OverPi * (xi + (0.044715f * xi * xi * xi));
            float t = MathF.Tanh(u);
            float du = Sqrt2OverPi * (1f + (3f * 0.044715f * xi * xi));
            r[i] = g[i] * ((0.5f * (1f + t)) + (0.5f * xi * (1f - (t * t)) * du));
        }

        return r;
    }

    // log sigmoid(x) = min(x, 0) - log1p(exp(-|x|))
    public static void LogSigmoidForward(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = MathF.Min(x[i], 0f) - (float)Math.Log(1.0 + Math.Exp(-Math.Abs((double)x[i])));
        }
    }

    /// <summary>Error function, |error| &lt; 1.2e-7 (Numerical Recipes erfc via Chebyshev fit, in double).</summary>
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
}
