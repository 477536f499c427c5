using System.Text.Json.Serialization;

namespace Pluralist.Diffusion;

/// <summary>The loss <see cref="DpoTrainer"/> trains with, on the same pairs, draws of (t, eps) and optimiser.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DpoObjective>))]
public enum DpoObjective
{
    /// <summary>Diffusion-DPO (<see cref="DpoLoss"/>), the published objective.</summary>
    Dpo,

    /// <summary>Group-robust DPO (<see cref="GroupRobustDpo"/>): a weight per identity group moved toward the groups with the highest loss each step.</summary>
    GroupRobust,

    /// <summary>Diffusion-KTO (<see cref="KtoLoss"/>): each pair's winner a desirable image, its loser an undesirable one.</summary>
    Kto,

    /// <summary>MaPO (<see cref="MapoLoss"/>): reference-free; no reference pass in training.</summary>
    Mapo,
}
