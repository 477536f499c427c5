namespace Pluralist.Diffusion;

/// <summary>Sampler settings. Timesteps are spaced "trailing" (Lin et al. 2024): t_i = round(T - i T/S) - 1, i = 0..S-1, so the first step is T-1.</summary>
public sealed record SamplerOptions
{
    public SamplerKind Kind { get; init; } = SamplerKind.Ddim;

    /// <summary>Number of denoising steps S (1..T).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>DDIM stochasticity eta (0 = deterministic). Ignored by the other samplers.</summary>
    public float Eta { get; init; }

    /// <summary>Clamp the predicted x_0 (Euler: the denoised estimate D) to [-1, 1] (pixel-space models; DDPM's default).</summary>
    public bool ClipSample { get; init; } = true;
}
