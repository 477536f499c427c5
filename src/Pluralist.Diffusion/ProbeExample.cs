namespace Pluralist.Diffusion;

/// <summary>One labelled image for the probe: (C, H, W) in [-1, 1] and one class index per head.</summary>
public sealed record ProbeExample(float[] Pixels, int[] Labels);
