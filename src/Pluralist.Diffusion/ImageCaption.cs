namespace Pluralist.Diffusion;

/// <summary>One training image (C, H, W) in [-1, 1], row-major, with its caption.</summary>
public sealed record ImageCaption(float[] Pixels, string Caption);
