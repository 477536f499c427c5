namespace Pluralist.Studies.Participation;

/// <summary>Counts shown to the participant.</summary>
public sealed record Progress(int InBatch, int Quota, int InSession, int SessionCap);
