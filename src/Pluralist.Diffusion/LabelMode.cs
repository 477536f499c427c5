using System.Text.Json.Serialization;

namespace Pluralist.Diffusion;

/// <summary>How a pair's preference strength enters the loss.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LabelMode>))]
public enum LabelMode
{
    /// <summary>The published objective: the preferred image is the winner, strength ignored.</summary>
    Hard,

    /// <summary>The pair's term -log sigmoid(inside) multiplied by 2p - 1 (p = P(winner preferred) in [0.5, 1]): a weak preference counts less.</summary>
    MarginScaled,

    /// <summary>Soft binary cross-entropy -(p log sigmoid(inside) + (1 - p) log sigmoid(-inside)).</summary>
    SoftCrossEntropy,
}
