namespace Pluralist.Studies.Console.Monitoring;

public sealed record ParticipantProgress(string Participant, int Answers, double? NeutralShare, double? MedianSeconds, int AttentionChecks, int AttentionFailed, DateTimeOffset? LastAnswer);
