using System.Text.Json.Serialization;

namespace Pluralist.Diffusion;

/// <summary>Reverse-process solvers.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SamplerKind>))]
public enum SamplerKind
{
    /// <summary>Ancestral DDPM (Ho et al. 2020, Eq. 6-7) with the posterior variance beta~ ("fixed small"), on a sub-sequence of steps.</summary>
    Ddpm,

    /// <summary>DDIM (Song et al. 2021, Eq. 12); eta = 0 is deterministic, eta = 1 matches DDPM's variance.</summary>
    Ddim,

    /// <summary>Euler's method on the probability-flow ODE in sigma (Karras et al. 2022, Alg. 1 without the Heun correction; diffusers EulerDiscreteScheduler); with <see cref="SamplerOptions.ClipSample"/> the denoised estimate is clamped to [-1, 1].</summary>
    Euler,
}
