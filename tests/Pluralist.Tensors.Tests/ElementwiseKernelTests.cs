using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

/// <summary>Vectorised activations and broadcast arithmetic (forward and gradients) against scalar references in double.</summary>
[Collection("threads")]
public class ElementwiseKernelTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double Cdf(double x) => 0.5 * (1 + Kernels.Erf(x / Math.Sqrt(2)));

    private static double Pdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    // name -> (forward f(x), derivative f'(x)) in double
    private static (Func<double, double> F, Func<double, double> D) Reference(string name) => name switch
    {
        "silu" => (x => x * Sigmoid(x), x => Sigmoid(x) * (1 + (x * (1 - Sigmoid(x))))),
        "gelu" => (x => x * Cdf(x), x => Cdf(x) + (x * Pdf(x))),
        _ => (
            x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))),
            x =>
            {
                double t = Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)));
                return (0.5 * (1 + t)) + (0.5 * x * (1 - (t * t)) * Math.Sqrt(2 / Math.PI) * (1 + (3 * 0.044715 * x * x)));
            }
        ),
    };

    private static Tensor Activation(string name, Tensor x) => name switch
    {
        "silu" => F.Silu(x),
        "gelu" => F.Gelu(x),
        _ => F.Gelu(x, approximateTanh: true),
    };

    // lengths: shorter than a vector, a partial last vector, more than one 16,384-element chunk with a partial tail
    [Theory]
    [InlineData("silu", 5)]
    [InlineData("silu", 16411)]
    [InlineData("gelu", 7)]
    [InlineData("gelu", 40001)]
    [InlineData("gelu-tanh", 13)]
    [InlineData("gelu-tanh", 33333)]
    public void Activations_match_scalar_reference(string name, int n)
    {
        var g = new Generator(31);
        // normals of scale 3 plus the far tails and zero
        var x = g.Normal(0, 3, n);
        x.Data[0] = 0f;
        x.Data[n - 1] = n > 10 ? -12f : 9f;
        if (n > 10)
        {
            x.Data[1] = 15f;
            x.Data[2] = -90f;
            x.Data[3] = 90f;
        }

        x.RequiresGrad = true;
        var y = Activation(name, x);
        var gy = g.Normal(0, 1, n);
        y.Backward(gy);
        var (f, d) = Reference(name);
        var ey = new float[n];
        var egx = new float[n];
        for (int i = 0; i < n; i++)
        {
            ey[i] = (float)f(x.Data[i]);
            egx[i] = (float)(gy.Data[i] * d(x.Data[i]));
        }

        // per element: |error| <= 1e-6 (1 + |reference|)
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(ey[i] - y.Data[i]) <= 1e-6 * (1 + Math.Abs(ey[i])), $"{name}({x.Data[i]}) = {y.Data[i]}, reference {ey[i]}");
            Assert.True(Math.Abs(egx[i] - x.Grad!.Data[i]) <= 1e-6 * (1 + Math.Abs(egx[i])), $"{name}'({x.Data[i]}) g = {x.Grad!.Data[i]}, reference {egx[i]}");
        }
    }

    [Theory]
    [InlineData("silu")]
    [InlineData("gelu")]
    [InlineData("gelu-tanh")]
    public void Activations_do_not_depend_on_thread_count(string name)
    {
        var x = new Generator(32).Normal(0, 2, 70001);
        var gy = new Generator(33).Normal(0, 1, 70001);
        ThreadCount.AssertSameOnOneAndFour(() =>
        {
            var xs = new Tensor(x.ToArray(), x.Shape) { RequiresGrad = true };
            var y = Activation(name, xs);
            y.Backward(gy);
            return [y.Data, xs.Grad!.Data];
        });
    }

    [Fact]
    public void Vector_erf_matches_table_values()
    {
        // Abramowitz and Stegun table 7.1
        var x = System.Runtime.Intrinsics.Vector256.Create(0.5f, 2f, -1f, 0f, 0.1f, -3f, 1.5f, 4f);
        double[] expected = [0.5204998778, 0.9953222650, -0.8427007929, 0, 0.1124629160, -0.9999779095, 0.9661051465, 0.9999999846];
        var e = Kernels.Erf(x);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(expected[i], e[i], 3e-7);
        }
    }

    // a shape, b shape: same shapes, a bias per channel (B, C, 1, 1), a vector over the last dimension, a scalar,
    // both operands broadcast ((B, 1, W) with (1, H, 1)), b larger than a, a middle broadcast dimension
    public static IEnumerable<object[]> BroadcastCases =>
    [
        [new[] { 3, 4, 5 }, new[] { 3, 4, 5 }],
        [new[] { 2, 6, 5, 7 }, new[] { 2, 6, 1, 1 }],
        [new[] { 4, 9, 16 }, new[] { 16 }],
        [new[] { 5, 11 }, new[] { 1 }],
        [new[] { 3, 1, 8 }, new[] { 1, 5, 1 }],
        [new[] { 7 }, new[] { 2, 3, 7 }],
        [new[] { 2, 3, 4, 5 }, new[] { 2, 1, 4, 5 }],
        [new[] { 2, 1, 1, 9 }, new[] { 2, 3, 4, 9 }],
    ];

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Broadcast_arithmetic_and_gradients_match_scalar_reference(int[] aShape, int[] bShape)
    {
        var outShape = ShapeUtil.Broadcast(aShape, bShape);
        var g = new Generator(34);
        var a = g.Normal(0, 1, aShape);
        var b = F.Add(F.Abs(g.Normal(0, 1, bShape)), 0.5f).Detach(); // away from zero for the division
        var gy = g.Normal(0, 1, outShape);
        int numel = ShapeUtil.Numel(outShape);
        var sa = ShapeUtil.BroadcastStrides(aShape, outShape);
        var sb = ShapeUtil.BroadcastStrides(bShape, outShape);
        var outStrides = ShapeUtil.Strides(outShape);
        foreach (var kind in new[] { "add", "sub", "mul", "div" })
        {
            var ar = new Tensor(a.ToArray(), aShape) { RequiresGrad = true };
            var br = new Tensor(b.ToArray(), bShape) { RequiresGrad = true };
            var y = kind switch { "add" => F.Add(ar, br), "sub" => F.Sub(ar, br), "mul" => F.Mul(ar, br), _ => F.Div(ar, br) };
            Assert.Equal(outShape, y.Shape);
            y.Backward(gy);
            var ey = new double[numel];
            var ega = new double[a.Numel];
            var egb = new double[b.Numel];
            for (int i = 0; i < numel; i++)
            {
                int ia = 0, ib = 0, rest = i;
                for (int d = 0; d < outShape.Length; d++)
                {
                    int idx = rest / outStrides[d];
                    rest %= outStrides[d];
                    ia += idx * sa[d];
                    ib += idx * sb[d];
                }

                double av = a.Data[ia], bv = b.Data[ib], gv = gy.Data[i];
                (ey[i], ega[ia], egb[ib]) = kind switch
                {
                    "add" => (av + bv, ega[ia] + gv, egb[ib] + gv),
                    "sub" => (av - bv, ega[ia] + gv, egb[ib] - gv),
                    "mul" => (av * bv, ega[ia] + (gv * bv), egb[ib] + (gv * av)),
                    _ => (av / bv, ega[ia] + (gv / bv), egb[ib] - (gv * av / (bv * bv))),
                };
            }

            static float[] F32(double[] v) => v.Select(x => (float)x).ToArray();
            NumericAssert.Close(F32(ey), y.Data, 1e-6, kind + " forward");
            NumericAssert.Close(F32(ega), ar.Grad!.Data, 1e-5, kind + " gradient of a");
            NumericAssert.Close(F32(egb), br.Grad!.Data, 1e-5, kind + " gradient of b");
        }
    }

    [Fact]
    public void A_tensor_used_several_times_collects_every_gradient()
    {
        // x feeds an add, a reshape and a mul with itself: the pass-through gradients must not alias
        var x = new Generator(35).Normal(0, 1, 64, 80);
        x.RequiresGrad = true;
        var y = F.Add(F.Add(x, F.Reshape(x, 64, 80)), F.Mul(x, x)); // 2x + x^2
        var gy = new Generator(36).Normal(0, 1, 64, 80);
        y.Backward(gy);
        var expected = new float[x.Numel];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = (float)(gy.Data[i] * (2 + (2.0 * x.Data[i])));
        }

        NumericAssert.Close(expected, x.Grad!.Data, 1e-6, "gradient");

        // a second backward through a fresh graph adds to Grad, and a third with the pool warm still gives the same sum
        var y2 = F.Add(F.Add(x, F.Reshape(x, 64, 80)), F.Mul(x, x));
        y2.Backward(gy);
        NumericAssert.Close(expected.Select(v => 2 * v).ToArray(), x.Grad!.Data, 1e-6, "accumulated gradient");
        x.ZeroGrad();
        var y3 = F.Add(F.Add(x, F.Reshape(x, 64, 80)), F.Mul(x, x));
        y3.Backward(gy);
        NumericAssert.Close(expected, x.Grad!.Data, 1e-6, "gradient with a warm pool");
    }
    [Fact]
    public void Expm1_keeps_its_digits_near_zero_where_exp_minus_one_loses_them()
    {
        // Reference: the Taylor series x + x^2/2 + x^3/6 + x^4/24 + x^5/120 in double, exact to float precision for |x| <= 1e-2.
        float[] small = [1e-8f, -1e-8f, 3e-6f, -2.5e-5f, 1.25e-3f, -7e-3f, 1e-2f];
        var y = F.Expm1(new Tensor((float[])small.Clone(), small.Length)).Data;
        for (int i = 0; i < small.Length; i++)
        {
            double x = small[i];
            double expected = x + (x * x / 2) + (x * x * x / 6) + (x * x * x * x / 24) + (x * x * x * x * x / 120);
            Assert.True(Math.Abs(y[i] - expected) <= 1e-7 * Math.Abs(expected), $"expm1({x}) = {y[i]}, expected {expected}");
            double naive = (float)Math.Exp(small[i]) - 1f;
            if (Math.Abs(x) < 1e-6)
            {
                Assert.True(Math.Abs(naive - expected) > 1e-2 * Math.Abs(expected), "the naive float form should lose digits here (or the test proves nothing)");
            }
        }

        // Away from zero it is exp(x) - 1; large arguments overflow to infinity and very negative ones give -1.
        float[] large = [0.5f, -0.5f, 3f, -20f, 100f, -200f];
        var z = F.Expm1(new Tensor((float[])large.Clone(), large.Length)).Data;
        for (int i = 0; i < large.Length; i++)
        {
            double expected = Math.Exp(large[i]) - 1;
            Assert.True(float.IsInfinity((float)expected) ? float.IsPositiveInfinity(z[i]) : Math.Abs(z[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"expm1({large[i]}) = {z[i]}, expected {expected}");
        }
    }
}
