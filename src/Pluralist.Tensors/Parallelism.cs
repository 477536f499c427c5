namespace Pluralist.Tensors;

/// <summary>Thread settings for the kernels.</summary>
public static class Parallelism
{
    private static int s_threads = Environment.ProcessorCount;

    /// <summary>Most threads a kernel uses (default: processor count). Results do not depend on it.</summary>
    public static int Threads
    {
        get => s_threads;
        set => s_threads = Math.Max(1, value);
    }

    internal static ParallelOptions Options => new() { MaxDegreeOfParallelism = s_threads };

    /// <summary>
    /// Runs body(i) for i in [0, count) on up to <see cref="Threads"/> threads when the work is large enough.
    /// A loop nested inside a parallel loop runs serially on its worker (no oversubscription).
    /// </summary>
    internal static void For(int count, long workPerItem, Action<int> body)
    {
        if (t_inside || s_threads == 1 || count == 1 || (long)count * workPerItem < 1 << 15)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }
        }
        else
        {
            Parallel.For(0, count, Options, i =>
            {
                bool outer = t_inside;
                t_inside = true;
                try
                {
                    body(i);
                }
                finally
                {
                    t_inside = outer;
                }
            });
        }
    }

    [ThreadStatic]
    private static bool t_inside;
}
