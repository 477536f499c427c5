namespace Pluralist.Tensors.Tests;

/// <summary>The vectorised optimiser updates against their scalar formulas, bit for bit.</summary>
[Collection("threads")]
public class OptimKernelTests
{
    [Theory]
    [InlineData(37, true, 0.01f)]
    [InlineData(40000, true, 0.1f)]
    [InlineData(1001, false, 0.05f)]
    [InlineData(19, false, 0f)]
    public void Adam_update_matches_the_scalar_formula_bit_for_bit(int n, bool decoupled, float wd)
    {
        var g = new Generator(51);
        var d0 = g.Normal(0, 1, n).Data;
        var grad = g.Normal(0, 0.1f, n).Data;
        var m0 = g.Normal(0, 0.01f, n).Data;
        var v0 = g.Uniform(0, 0.001f, n).Data;
        float lr = 3e-4f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        int step = 7;
        double bc1 = 1 - Math.Pow(b1, step), bc2Sqrt = Math.Sqrt(1 - Math.Pow(b2, step));
        float stepSize = (float)(lr / bc1);

        var d = (float[])d0.Clone();
        var m = (float[])m0.Clone();
        var v = (float[])v0.Clone();
        for (int j = 0; j < n; j++)
        {
            float gj = grad[j];
            if (decoupled)
            {
                d[j] *= 1 - (lr * wd);
            }
            else if (wd != 0)
            {
                gj += wd * d[j];
            }

            m[j] = (b1 * m[j]) + ((1 - b1) * gj);
            v[j] = (b2 * v[j]) + ((1 - b2) * gj * gj);
            float denom = (float)(MathF.Sqrt(v[j]) / bc2Sqrt) + eps;
            d[j] -= stepSize * m[j] / denom;
        }

        foreach (int threads in new[] { 1, 4 })
        {
            int saved = Parallelism.Threads;
            try
            {
                Parallelism.Threads = threads;
                var dk = (float[])d0.Clone();
                var mk = (float[])m0.Clone();
                var vk = (float[])v0.Clone();
                OptimKernels.Adam(dk, grad, mk, vk, b1, b2, eps, stepSize, bc2Sqrt, decoupled, 1 - (lr * wd), wd);
                Assert.Equal(d, dk);
                Assert.Equal(m, mk);
                Assert.Equal(v, vk);
            }
            finally
            {
                Parallelism.Threads = saved;
            }
        }
    }

    [Fact]
    public void Ema_and_sum_of_squares_match_scalar_references()
    {
        var g = new Generator(52);
        var s = g.Normal(0, 1, 20011).Data;
        var p = g.Normal(0, 1, 20011).Data;
        var expected = s.Select((v, i) => (0.999f * v) + ((1 - 0.999f) * p[i])).ToArray();
        OptimKernels.Ema(s, p, 0.999f);
        Assert.Equal(expected, s);

        double sq = 0;
        foreach (var v in p)
        {
            sq += (double)v * v;
        }

        Assert.Equal(sq, OptimKernels.SumOfSquares(p), sq * 1e-12);
    }
}
