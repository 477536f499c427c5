using System.Text.Json.Serialization;

namespace Pluralist.Diffusion;

/// <summary>What happens to pairs with p = 0.5 (ties, neutral answers). Always explicit, and counted.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TiePolicy>))]
public enum TiePolicy
{
    /// <summary>Dropped before training (the LIVS protocol).</summary>
    Drop,

    /// <summary>Kept as soft 0.5 labels: -(0.5 log sigmoid(x) + 0.5 log sigmoid(-x)), which pulls the model's relative preference towards none.</summary>
    SoftHalf,
}
