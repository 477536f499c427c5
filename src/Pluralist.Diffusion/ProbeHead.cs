namespace Pluralist.Diffusion;

/// <summary>One categorical output of the probe: a name and its number of classes.</summary>
public sealed record ProbeHead(string Name, int Classes);
