namespace Pluralist.Diffusion;

/// <summary>Shape of a perception probe (JSON, stored in the weights' metadata).</summary>
public sealed record ProbeConfig
{
    /// <summary>Input side in pixels (square, RGB in [-1, 1]); a power of two from 8.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Channels of the first convolution; each stride-2 level doubles them up to 4x.</summary>
    public int Channels { get; init; } = 16;

    public int Hidden { get; init; } = 128;

    public IReadOnlyList<ProbeHead> Heads { get; init; } = [];

    public ulong InitSeed { get; init; } = 1;

    internal void Validate()
    {
        if (ImageSize < 8 || (ImageSize & (ImageSize - 1)) != 0)
        {
            throw new FormatException("imageSize: must be a power of two >= 8");
        }

        if (Channels < 1 || Hidden < 1 || Heads.Count == 0 || Heads.Any(h => h.Classes < 2 || string.IsNullOrWhiteSpace(h.Name)))
        {
            throw new FormatException("channels, hidden and heads: positive sizes and at least one head of >= 2 classes");
        }
    }
}
