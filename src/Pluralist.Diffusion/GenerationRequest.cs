namespace Pluralist.Diffusion;

/// <summary>What to generate: prompts, seed, classifier-free guidance scale, steps and sampler.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<string> Prompts { get; init; }

    /// <summary>Seed of the initial noise (and of DDPM/DDIM-eta noise); same seed, same images.</summary>
    public ulong Seed { get; init; }

    /// <summary>w in eps = eps_u + w (eps_c - eps_u) (Ho and Salimans 2022); 1 = conditional only (no unconditional pass), 0 = unconditional.</summary>
    public float GuidanceScale { get; init; } = 3f;

    public SamplerOptions Sampler { get; init; } = new();
}
