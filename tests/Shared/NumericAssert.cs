namespace Pluralist.Testing;

/// <summary>Tolerance checks shared by the numeric test projects.</summary>
internal static class NumericAssert
{
    /// <summary>Asserts max |a - b| &lt;= tol * max(1e-3, max |b|): error relative to the reference tensor's scale.</summary>
    public static void Close(float[] expected, float[] actual, double tol, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1e-3, err = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            err = Math.Max(err, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(err <= tol * scale, $"{what}: max error {err:g3} exceeds {tol:g2} x scale {scale:g3}");
    }
}
