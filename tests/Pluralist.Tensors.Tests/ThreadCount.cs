namespace Pluralist.Tensors.Tests;

/// <summary>Runs a computation under a given <see cref="Parallelism.Threads"/> and restores the setting afterwards.</summary>
internal static class ThreadCount
{
    public static T With<T>(int threads, Func<T> body)
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            return body();
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    /// <summary>Asserts that <paramref name="body"/> gives the same bits on one thread and on four, array by array.</summary>
    public static void AssertSameOnOneAndFour(Func<float[][]> body)
    {
        var one = With(1, body);
        var four = With(4, body);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.Equal(one[i], four[i]);
        }
    }
}
