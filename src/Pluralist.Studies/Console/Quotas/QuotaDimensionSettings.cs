namespace Pluralist.Studies.Console.Quotas;

public sealed record QuotaDimensionSettings(string? Marker, IReadOnlyList<string>? Values);
