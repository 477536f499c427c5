namespace Pluralist.Studies.Console;

/// <summary>A participant as the console lists them: no identity markers, no email.</summary>
public sealed record ConsoleParticipant(string Pseudonym, string Language, DateTimeOffset Joined, DateTimeOffset? LastAnswer, int Answers, bool Withdrawn);
