using System.Runtime.InteropServices;

namespace Pluralist.Benchmarks.Tensors;

/// <summary>CPU time of the calling thread (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>), for per-op profiles on a busy machine.</summary>
internal static partial class ThreadClock
{
    private const int ThreadCpuTime = 3;

    public static bool IsAvailable => OperatingSystem.IsLinux();

    public static double Seconds()
    {
        _ = ClockGetTime(ThreadCpuTime, out var ts);
        return ts.Seconds + (ts.Nanoseconds * 1e-9);
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec ts);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
