using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>The outcome of a join and, when joined, the participant it admitted.</summary>
public sealed record JoinResult(JoinOutcome Outcome, Participant? Participant);
