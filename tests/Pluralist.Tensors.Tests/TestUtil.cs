namespace Pluralist.Tensors.Tests;

internal static class TestUtil
{
    public static Tensor Rand(Generator g, params int[] shape) => g.Normal(0, 1, shape);

    /// <summary>
    /// Central finite differences (step h) of L = sum(f(inputs) * w), accumulated in double, against autograd.
    /// Tolerance: |analytic - numeric| &lt;= tol * max(1, |numeric|).
    /// </summary>
    public static void GradCheck(Func<Tensor[], Tensor> f, Tensor[] inputs, float h = 1e-2f, double tol = 2e-2, int seed = 7)
    {
        foreach (var t in inputs)
        {
            t.RequiresGrad = true;
            t.Grad = null;
        }

        var y = f(inputs);
        var w = new Generator((ulong)seed).Normal(0, 1, y.Shape);
        Functional.Sum(Functional.Mul(y, w)).Backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            Assert.NotNull(x.Grad);
            for (int i = 0; i < x.Numel; i++)
            {
                float orig = x.Data[i];
                x.Data[i] = orig + h;
                double lp = Loss(f, inputs, w);
                x.Data[i] = orig - h;
                double lm = Loss(f, inputs, w);
                x.Data[i] = orig;
                double numeric = (lp - lm) / (2 * h);
                double analytic = x.Grad!.Data[i];
                Assert.True(Math.Abs(numeric - analytic) <= tol * Math.Max(1, Math.Abs(numeric)), $"input {k} element {i}: analytic {analytic} numeric {numeric}");
            }
        }
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor w)
    {
        using var _ = Autograd.NoGrad();
        var y = f(inputs);
        double s = 0;
        for (int i = 0; i < y.Numel; i++)
        {
            s += (double)y.Data[i] * w.Data[i];
        }

        return s;
    }
}
