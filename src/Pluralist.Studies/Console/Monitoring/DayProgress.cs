namespace Pluralist.Studies.Console.Monitoring;

public sealed record DayProgress(DateOnly Day, int Answers);
