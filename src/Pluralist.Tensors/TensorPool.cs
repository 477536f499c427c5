namespace Pluralist.Tensors;

/// <summary>
/// Reusable storage for the arrays that live only inside a backward pass (gradients on their way to the leaves, and
/// what an operation saved for its backward): training repeats the same shapes every step, so arrays are kept by
/// exact length. Only arrays that nothing else can still reach come back here (gradients consumed by their node, an
/// owned gradient added into an existing one, scratch arrays after their backward); everything else is left to the GC.
/// Small arrays (under 4,096 elements) are not pooled. Thread-safe; holds at most <see cref="MaxBytes"/>.
/// </summary>
internal static class TensorPool
{
    private const int MinLength = 4096;
    private static readonly Dictionary<int, Stack<float[]>> s_free = [];
    private static readonly Lock s_lock = new();
    private static long s_bytes;

    /// <summary>Most bytes kept for reuse; arrays returned beyond it are dropped.</summary>
    public static long MaxBytes { get; set; } = 512L << 20;

    /// <summary>An array of exactly <paramref name="length"/> elements with arbitrary contents.</summary>
    public static float[] Rent(int length)
    {
        if (length >= MinLength)
        {
            lock (s_lock)
            {
                if (s_free.TryGetValue(length, out var stack) && stack.Count > 0)
                {
                    s_bytes -= 4L * length;
                    return stack.Pop();
                }
            }
        }

        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>An array of exactly <paramref name="length"/> zeros.</summary>
    public static float[] RentZeroed(int length)
    {
        if (length >= MinLength)
        {
            lock (s_lock)
            {
                if (s_free.TryGetValue(length, out var stack) && stack.Count > 0)
                {
                    s_bytes -= 4L * length;
                    var a = stack.Pop();
                    Array.Clear(a);
                    return a;
                }
            }
        }

        return new float[length];
    }

    /// <summary>Hands back an array that no one will read or write again.</summary>
    public static void Return(float[]? array)
    {
        if (array is null || array.Length < MinLength)
        {
            return;
        }

        lock (s_lock)
        {
            if (s_bytes + (4L * array.Length) > MaxBytes)
            {
                return;
            }

            if (!s_free.TryGetValue(array.Length, out var stack))
            {
                stack = new Stack<float[]>();
                s_free[array.Length] = stack;
            }

            stack.Push(array);
            s_bytes += 4L * array.Length;
        }
    }

    /// <summary>Drops every kept array.</summary>
    public static void Clear()
    {
        lock (s_lock)
        {
            s_free.Clear();
            s_bytes = 0;
        }
    }
}
