namespace Pluralist.Studies.Console.Monitoring;

public sealed record CriterionProgress(string Criterion, string Name, int Shown, int Answered, int Neutral, double? NeutralShare);
