using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

/// <summary>Group norm and layer norm (forward and every gradient) against plain scalar references in double.</summary>
[Collection("threads")]
public class NormKernelTests
{
    // Normalises `rows` blocks of `m` consecutive elements; element i of the tensor has affine entry (i / run) % channels.
    // Returns y, dx, dgamma, dbeta for the output gradient gy, all accumulated in double.
    private static (float[] Y, float[] Gx, float[] Ggamma, float[] Gbeta) ScalarNorm(float[] x, float[] gy, int rows, int m, float[]? gamma, float[]? beta, float eps, int run, int channels)
    {
        var y = new float[x.Length];
        var gx = new float[x.Length];
        var ggamma = new double[channels];
        var gbeta = new double[channels];
        for (int r = 0; r < rows; r++)
        {
            int at = r * m;
            double mean = 0, var = 0;
            for (int i = 0; i < m; i++)
            {
                mean += x[at + i];
            }

            mean /= m;
            for (int i = 0; i < m; i++)
            {
                var += (x[at + i] - mean) * (x[at + i] - mean);
            }

            var /= m;
            double rstd = 1 / Math.Sqrt(var + eps);
            // dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = gy gamma
            double s1 = 0, s2 = 0;
            for (int i = 0; i < m; i++)
            {
                int ch = (at + i) / run % channels;
                double xhat = (x[at + i] - mean) * rstd;
                double gm = gamma is null ? 1 : gamma[ch];
                y[at + i] = (float)((xhat * gm) + (beta is null ? 0 : beta[ch]));
                double dxhat = gy[at + i] * gm;
                s1 += dxhat;
                s2 += dxhat * xhat;
                ggamma[ch] += gy[at + i] * xhat;
                gbeta[ch] += gy[at + i];
            }

            s1 /= m;
            s2 /= m;
            for (int i = 0; i < m; i++)
            {
                int ch = (at + i) / run % channels;
                double xhat = (x[at + i] - mean) * rstd;
                double dxhat = gy[at + i] * (gamma is null ? 1 : gamma[ch]);
                gx[at + i] = (float)(rstd * (dxhat - s1 - (xhat * s2)));
            }
        }

        return (y, gx, ggamma.Select(v => (float)v).ToArray(), gbeta.Select(v => (float)v).ToArray());
    }

    // shape, groups (0 = layer norm over the last dimension), affine
    public static IEnumerable<object[]> Cases =>
    [
        [new[] { 2, 6, 5, 7 }, 3, true],
        [new[] { 3, 32, 8, 8 }, 8, true],
        [new[] { 2, 8, 9 }, 2, true],
        [new[] { 2, 4, 3, 3 }, 4, false],
        [new[] { 1, 5, 1, 1 }, 1, true],
        [new[] { 2, 64, 16, 16 }, 8, true],
        [new[] { 3, 7, 33 }, 0, true],
        [new[] { 5, 64 }, 0, true],
        [new[] { 4, 17, 40 }, 0, false],
        [new[] { 8, 256, 64 }, 0, true],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Norm_forward_and_gradients_match_scalar_reference(int[] shape, int groups, bool affine)
    {
        var (y, gx, ggamma, gbeta, x, gy, gamma, beta) = Run(shape, groups, affine);
        int channels = groups == 0 ? shape[^1] : shape[1];
        int numel = x.Length;
        int rows = groups == 0 ? numel / shape[^1] : shape[0] * groups;
        int run = groups == 0 ? 1 : numel / (shape[0] * shape[1]);
        var (ey, egx, eggamma, egbeta) = ScalarNorm(x, gy, rows, numel / rows, gamma, beta, 1e-5f, run, channels);
        NumericAssert.Close(ey, y, 1e-5, "norm forward");
        NumericAssert.Close(egx, gx, 1e-5, "norm input gradient");
        if (affine)
        {
            NumericAssert.Close(eggamma, ggamma!, 1e-5, "norm gamma gradient");
            NumericAssert.Close(egbeta, gbeta!, 1e-5, "norm beta gradient");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Norm_results_do_not_depend_on_thread_count(int[] shape, int groups, bool affine)
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            var one = Run(shape, groups, affine);
            Parallelism.Threads = 4;
            var four = Run(shape, groups, affine);
            Assert.Equal(one.Y, four.Y);
            Assert.Equal(one.Gx, four.Gx);
            Assert.Equal(one.Ggamma, four.Ggamma);
            Assert.Equal(one.Gbeta, four.Gbeta);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static (float[] Y, float[] Gx, float[]? Ggamma, float[]? Gbeta, float[] X, float[] Gy, float[]? Gamma, float[]? Beta) Run(int[] shape, int groups, bool affine)
    {
        var g = new Generator(21);
        int channels = groups == 0 ? shape[^1] : shape[1];
        // an offset and a scale per tensor so the statistics are not those of N(0, 1)
        var x = F.Add(F.Mul(g.Normal(0, 1, shape), 3f), 1.5f).Detach();
        var gamma = affine ? g.Normal(1, 0.5f, channels) : null;
        var beta = affine ? g.Normal(0, 0.5f, channels) : null;
        x.RequiresGrad = true;
        if (gamma is not null && beta is not null)
        {
            gamma.RequiresGrad = beta.RequiresGrad = true;
        }

        var y = groups == 0 ? F.LayerNorm(x, gamma, beta) : F.GroupNorm(x, groups, gamma, beta);
        var gy = g.Normal(0, 1, shape);
        y.Backward(gy);
        return (y.Data, x.Grad!.Data, gamma?.Grad!.Data, beta?.Grad!.Data, x.Data, gy.Data, gamma?.Data, beta?.Data);
    }
}
