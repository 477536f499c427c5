namespace Pluralist.Diffusion;

/// <summary>Which UNet layers get adapters.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<LoraTargets>))]
public enum LoraTargets
{
    /// <summary>to_q, to_k, to_v, to_out of every attention (the diffusers Diffusion-DPO LoRA targets).</summary>
    Attention,

    /// <summary>Every linear layer of the UNet: attention, feed-forward, transformer projections, timestep MLP and projections.</summary>
    AllLinear,
}
