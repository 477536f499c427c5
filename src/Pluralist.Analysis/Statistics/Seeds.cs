namespace Pluralist.Analysis.Statistics;

/// <summary>Per-replicate seeds derived from a base seed, so parallel loops give the same results on any thread count.</summary>
public static class Seeds
{
    /// <summary>SplitMix64 (Steele, Lea and Flood 2014) of (seed, index), folded to a non-negative int.</summary>
    public static int For(int seed, int index)
    {
        var z = unchecked(((ulong)(uint)seed << 32) + (ulong)(uint)index + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
