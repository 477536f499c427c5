namespace Pluralist.Studies.Console.Monitoring;

public sealed record ReportedImage(long ImageId, int Reports);
