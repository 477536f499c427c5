using Pluralist.Testing;
namespace Pluralist.Tensors.Tests;

/// <summary>Skips with a reason when libopenblas is not installed.</summary>
public sealed class OpenBlasFactAttribute : FactAttribute
{
    public OpenBlasFactAttribute()
    {
        if (!OpenBlas.IsAvailable)
        {
            Skip = "libopenblas.so.0 with cblas_sgemm is not installed (apt-get install libopenblas0-pthread); the managed GEMM is tested elsewhere";
        }
    }
}

[Collection("threads")]
public class OpenBlasTests
{
    [OpenBlasFact]
    public void OpenBlas_path_matches_the_managed_kernel_for_every_transpose()
    {
        var g = new Generator(12);
        int m = 37, n = 45, k = 70;
        var a = g.Normal(0, 1, m * k).Data;
        var b = g.Normal(0, 1, k * n).Data;
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var managed = new float[m * n];
            var blas = new float[m * n];
            Gemm.Multiply(a, 0, ta, b, 0, tb, managed, 0, m, n, k, false);
            try
            {
                OpenBlas.Enabled = true;
                Gemm.Multiply(a, 0, ta, b, 0, tb, blas, 0, m, n, k, false);
                Gemm.Multiply(a, 0, ta, b, 0, tb, blas, 0, m, n, k, true);
            }
            finally
            {
                OpenBlas.Enabled = false;
            }

            NumericAssert.Close(managed.Select(v => 2 * v).ToArray(), blas, 1e-5, $"openblas ta={ta} tb={tb}");
        }
    }

    [Fact]
    public void Disabled_or_missing_openblas_falls_back_to_the_managed_kernel()
    {
        Assert.False(OpenBlas.Enabled);
        var a = new float[] { 1, 2, 3, 4 };
        var c = new float[4];
        Gemm.Multiply(a, 0, false, a, 0, false, c, 0, 2, 2, 2, false);
        Assert.Equal(new[] { 7f, 10f, 15f, 22f }, c);
    }
}
