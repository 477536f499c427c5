using System.Diagnostics;

namespace Pluralist.Tensors;

/// <summary>
/// Per-operation profile of the calling thread (PyTorch <c>torch.autograd.profiler</c> in miniature): while running,
/// every <see cref="Functional"/> operation adds its forward time and the bytes it allocated to a row named after it,
/// and its backward closure (run by <see cref="Tensor.Backward(Tensor?)"/>) to the same row's backward columns.
/// An operation that calls others (<c>Mean</c> is <c>Mul(Sum)</c>) is counted once, under its own name.
/// <see cref="Region"/> adds named rows for work outside the operations (an optimiser step). Allocations are those
/// of the calling thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>): exact with one thread, a lower bound
/// when parallel workers allocate. Off by default; the cost when off is one static read per operation.
/// </summary>
public static class Profiler
{
    private static readonly Dictionary<string, ProfileRow> s_rows = new(StringComparer.Ordinal);
    private static int s_owner;
    private static bool s_on;
    private static Func<double> s_clock = WallClock;

    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static string? t_current;

    /// <summary>Whether a profile is being recorded.</summary>
    public static bool IsRunning => s_on;

    /// <summary>
    /// Clears earlier rows and starts recording on the calling thread. <paramref name="clock"/> gives seconds (default:
    /// the wall clock); a per-thread CPU clock keeps time spent waiting for a core out of the rows.
    /// </summary>
    public static void Start(Func<double>? clock = null)
    {
        s_clock = clock ?? WallClock;
        s_rows.Clear();
        s_owner = Environment.CurrentManagedThreadId;
        s_on = true;
    }

    /// <summary>Stops recording and returns the rows, most expensive (forward + backward time) first.</summary>
    public static IReadOnlyList<ProfileRow> Stop()
    {
        s_on = false;
        return [.. s_rows.Values.OrderByDescending(r => r.ForwardSeconds + r.BackwardSeconds)];
    }

    private static double WallClock() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>Times <paramref name="name"/> until the scope is disposed (counted as forward time).</summary>
    public static Scope Region(string name) => Op(name);

    internal static Scope Op(string name)
    {
        if (!s_on || Environment.CurrentManagedThreadId != s_owner)
        {
            return default;
        }

        if (t_depth++ > 0)
        {
            return new Scope(null, 0d, 0, false);
        }

        t_current = name;
        return new Scope(name, s_clock(), GC.GetAllocatedBytesForCurrentThread(), false);
    }

    /// <summary>The outermost operation running on this thread (null when not profiling); recorded with each graph node.</summary>
    internal static string? Current => s_on && t_depth > 0 ? t_current : null;

    internal static Scope Backward(string? name)
    {
        if (!s_on || Environment.CurrentManagedThreadId != s_owner)
        {
            return default;
        }

        if (t_depth++ > 0)
        {
            return new Scope(null, 0d, 0, true);
        }

        t_current = name ?? "(unnamed)";
        return new Scope(t_current, s_clock(), GC.GetAllocatedBytesForCurrentThread(), true);
    }

    private static void Add(string name, bool backward, double seconds, long bytes)
    {
        if (!s_rows.TryGetValue(name, out var row))
        {
            row = new ProfileRow(name);
            s_rows[name] = row;
        }

        if (backward)
        {
            row.BackwardCalls++;
            row.BackwardSeconds += seconds;
            row.BackwardBytes += bytes;
        }
        else
        {
            row.Calls++;
            row.ForwardSeconds += seconds;
            row.ForwardBytes += bytes;
        }
    }

    /// <summary>An open profiling scope; disposing it records the elapsed time and allocation.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly string? _name;
        private readonly double _start;
        private readonly long _bytes;
        private readonly bool _backward;
        private readonly bool _open;

        internal Scope(string? name, double start, long bytes, bool backward)
        {
            _name = name;
            _start = start;
            _bytes = bytes;
            _backward = backward;
            _open = true;
        }

        /// <summary>Records the scope (outermost scopes only).</summary>
        public void Dispose()
        {
            if (!_open)
            {
                return;
            }

            t_depth--;
            if (_name is not null)
            {
                Add(_name, _backward, s_clock() - _start, GC.GetAllocatedBytesForCurrentThread() - _bytes);
                t_current = null;
            }
        }
    }
}
