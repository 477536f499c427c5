namespace Pluralist.Diffusion;

/// <summary>Deterministic per-step random streams, so that a resumed run draws exactly what an uninterrupted one would.</summary>
internal static class Streams
{
    /// <summary>A generator for (seed, a, b): SplitMix64 finaliser of the combined words.</summary>
    public static Pluralist.Tensors.Generator For(ulong seed, long a, long b = 0)
    {
        ulong z = seed ^ ((ulong)a * 0x9E3779B97F4A7C15UL) ^ ((ulong)b * 0xC2B2AE3D27D4EB4FUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return new Pluralist.Tensors.Generator(z ^ (z >> 31));
    }

    /// <summary>The order of <paramref name="n"/> items in epoch <paramref name="epoch"/> (Fisher-Yates with a per-epoch stream).</summary>
    public static int[] Permutation(ulong seed, long epoch, int n)
    {
        var g = For(seed, epoch, 0x5EED);
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = g.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }

        return p;
    }
}
