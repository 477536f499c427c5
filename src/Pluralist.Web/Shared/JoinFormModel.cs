namespace Pluralist.Web.Shared;

/// <summary>What the join form shows: the code typed so far and a kind error.</summary>
public sealed record JoinFormModel(string? Code, string? Error);
