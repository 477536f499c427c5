namespace Pluralist.Studies.Console.Monitoring;

public sealed record GroupProgress(string Marker, string Group, int Participants, int Answers, double? NeutralShare);
