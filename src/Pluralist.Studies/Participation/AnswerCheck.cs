namespace Pluralist.Studies.Participation;

/// <summary>
/// What an answer checks before it is stored (<see cref="ParticipationStore.CheckAnswerAsync"/>): whether its request id was
/// applied before and to which assignment, and whether the assignment already has an answer (null when not read).
/// </summary>
public sealed record AnswerCheck(bool Applied, long? AppliedAssignmentId, bool? Answered);
