namespace Pluralist.Diffusion;

/// <summary>Counts of the preparation step, so nothing is dropped silently.</summary>
public sealed record DpoPreparation(IReadOnlyList<DpoExample> Examples, int Total, int TiesDropped, int TiesKept, int ZeroWeightDropped, int OtherGroups);
