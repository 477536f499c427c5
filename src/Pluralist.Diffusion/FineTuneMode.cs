using System.Text.Json.Serialization;

namespace Pluralist.Diffusion;

/// <summary>What is trained.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FineTuneMode>))]
public enum FineTuneMode
{
    /// <summary>Every UNet weight; the reference is a frozen copy taken before training (as the reference trainers).</summary>
    Full,

    /// <summary>LoRA adapters on the attention projections only; the reference is the same UNet with its adapters disabled.</summary>
    Lora,
}
