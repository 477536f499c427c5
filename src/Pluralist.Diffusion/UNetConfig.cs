namespace Pluralist.Diffusion;

/// <summary>UNet shape (JSON object "unet").</summary>
public sealed record UNetConfig
{
    /// <summary>Image side in pixels (square); 32 by default, 64 with <see cref="DiffusionModelConfig.Default64"/>.</summary>
    public int ImageSize { get; init; } = 32;

    public int InChannels { get; init; } = 3;

    /// <summary>Channels of the first level; level i has BaseChannels * ChannelMultipliers[i].</summary>
    public int BaseChannels { get; init; } = 32;

    public int[] ChannelMultipliers { get; init; } = [1, 2, 2];

    /// <summary>Residual blocks per level on the way down (the way up has one more, as in DDPM / Stable Diffusion).</summary>
    public int ResBlocksPerLevel { get; init; } = 1;

    /// <summary>Resolutions (pixels) at which a transformer block (self- and cross-attention) follows each residual block; the middle block always has one.</summary>
    public int[] AttentionResolutions { get; init; } = [8];

    public int Heads { get; init; } = 4;

    public int GroupNormGroups { get; init; } = 8;

    /// <summary>Width of the text conditioning (must equal the text encoder width).</summary>
    public int ContextDim { get; init; } = 64;
}
