namespace Pluralist.Studies.Console.Quotas;

/// <summary>One item's places per shown group (group → count); null where fewer than the study's minimum of the group's people (none included) are counted.</summary>
public sealed record QuotaItemFill(string Kind, long ItemId, IReadOnlyDictionary<string, int?> Places, IReadOnlyDictionary<string, int?> Answered);
