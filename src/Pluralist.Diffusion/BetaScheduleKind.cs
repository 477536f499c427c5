using System.Text.Json.Serialization;

namespace Pluralist.Diffusion;

/// <summary>How the variances beta_t of the forward process are laid out over the training steps.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BetaScheduleKind>))]
public enum BetaScheduleKind
{
    /// <summary>beta_t linear from betaStart to betaEnd (DDPM, Ho et al. 2020, Sec. 4: 1e-4 to 0.02 over 1000 steps).</summary>
    Linear,

    /// <summary>alpha_bar(t) = cos^2(((t/T + s)/(1 + s)) pi/2), s = 0.008, beta clipped at 0.999 (Nichol and Dhariwal 2021, Eq. 17; diffusers "squaredcos_cap_v2").</summary>
    Cosine,
}
