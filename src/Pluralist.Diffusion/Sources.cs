namespace Pluralist.Diffusion;

/// <summary>One training image (C, H, W) in [-1, 1], row-major, with its caption.</summary>
public sealed record ImageCaption(float[] Pixels, string Caption);

/// <summary>Any source of (image, caption) pairs for base training (the procedural world's renderer, a folder, memory).</summary>
public interface IImageCaptionSource
{
    int Count { get; }

    ImageCaption Get(int index);
}

/// <summary>Pairs held in memory.</summary>
public sealed class InMemoryImageCaptionSource(IReadOnlyList<ImageCaption> items) : IImageCaptionSource
{
    private readonly IReadOnlyList<ImageCaption> _items = items ?? throw new ArgumentNullException(nameof(items));

    public int Count => _items.Count;

    public ImageCaption Get(int index) => _items[index];
}

/// <summary>
/// One comparison for Diffusion-DPO: two images of one prompt in canonical order and P(image_0 preferred) in [0, 1]
/// (1 = image_0 strongly preferred, 0.5 = tie, 0 = image_1), optionally the criterion it answers and the identity group
/// it belongs to, and its weight (the dataset's <c>weight</c> column, e.g. a group weight; 1 by default, 0 drops it).
/// (DESIGN's exported preference in [-1, 1], -1 = image_0 preferred, maps to p = (1 - preference) / 2.)
/// </summary>
public sealed record PreferencePair(float[] Image0, float[] Image1, string Caption, float Probability0, string? Criterion = null, string? Group = null, float Weight = 1f)
{
    /// <summary>From the exported preference in [-1, 1] (-1 = image_0 strongly preferred).</summary>
    public static PreferencePair FromPreference(float[] image0, float[] image1, string caption, float preference, string? criterion = null, string? group = null)
        => new(image0, image1, caption, (1f - preference) / 2f, criterion, group);
}

/// <summary>Any source of preference pairs.</summary>
public interface IPreferenceSource
{
    int Count { get; }

    PreferencePair Get(int index);
}

/// <summary>Pairs held in memory.</summary>
public sealed class InMemoryPreferenceSource(IReadOnlyList<PreferencePair> items) : IPreferenceSource
{
    private readonly IReadOnlyList<PreferencePair> _items = items ?? throw new ArgumentNullException(nameof(items));

    public int Count => _items.Count;

    public PreferencePair Get(int index) => _items[index];
}

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
