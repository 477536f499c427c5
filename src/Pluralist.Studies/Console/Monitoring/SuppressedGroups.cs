namespace Pluralist.Studies.Console.Monitoring;

/// <summary>Groups of an identity marker smaller than the study's minimum: counted, never named.</summary>
public sealed record SuppressedGroups(string Marker, int Groups, int Participants);
