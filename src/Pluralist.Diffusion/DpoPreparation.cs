namespace Pluralist.Diffusion;

/// <summary>Counts of the preparation step, so nothing is dropped silently; <c>Groups</c> names the identity groups of the used pairs (ordinal order), indexed by <see cref="DpoExample.Group"/>.</summary>
public sealed record DpoPreparation(IReadOnlyList<DpoExample> Examples, int Total, int TiesDropped, int TiesKept, int ZeroWeightDropped, int OtherGroups, IReadOnlyList<string>? Groups = null);
