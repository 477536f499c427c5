namespace Pluralist.Diffusion;

/// <summary>Text encoder shape (JSON object "textEncoder").</summary>
public sealed record TextEncoderConfig
{
    public int Width { get; init; } = 64;

    public int Layers { get; init; } = 2;

    public int Heads { get; init; } = 4;

    /// <summary>Tokens per prompt including &lt;bos&gt; and &lt;eos&gt;.</summary>
    public int MaxLength { get; init; } = 24;

    public int MlpRatio { get; init; } = 4;
}
