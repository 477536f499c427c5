namespace Pluralist.Diffusion;

/// <summary>One training pair after orientation: which image wins, its soft label and weight.</summary>
/// <param name="Index">Index in the source.</param>
/// <param name="Swap">True when image_1 is the winner.</param>
/// <param name="Probability">p = P(winner preferred), in [0.5, 1].</param>
/// <param name="Weight">Multiplier of the pair's term (criterion weight, times 2p - 1 in <see cref="LabelMode.MarginScaled"/>).</param>
/// <param name="SoftLabel">The label of the soft cross-entropy, or null for the hard term.</param>
/// <param name="Strength">2p - 1 with p the pair's P(winner preferred) as the source gave it (before a hard label mode): 0 for a tie, 1 for a certain preference.</param>
/// <param name="Group">Index of the pair's identity group in <see cref="DpoPreparation.Groups"/>; -1 without one.</param>
public sealed record DpoExample(int Index, bool Swap, float Probability, float Weight, float? SoftLabel, float Strength = 0, int Group = -1);
