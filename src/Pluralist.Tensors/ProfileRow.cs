namespace Pluralist.Tensors;

/// <summary>One operation's totals in a <see cref="Profiler"/> run.</summary>
public sealed class ProfileRow(string name)
{
    public string Name { get; } = name;

    public int Calls { get; internal set; }

    public double ForwardSeconds { get; internal set; }

    public long ForwardBytes { get; internal set; }

    public int BackwardCalls { get; internal set; }

    public double BackwardSeconds { get; internal set; }

    public long BackwardBytes { get; internal set; }
}
