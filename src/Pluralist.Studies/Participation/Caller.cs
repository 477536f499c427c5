using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>The signed-in participant of a request, their study (null when they have none) and whether they hold a current consent (<see cref="ParticipationStore.CallerAsync"/>).</summary>
public sealed record Caller(Participant Participant, Study? Study, bool Consented);
