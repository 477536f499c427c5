namespace Pluralist.Studies.Console.Quotas;

/// <summary>
/// One identity group's fill: its participants, places taken and answered, items whose quota for it is met.
/// The last three are null while fewer than the study's minimum of the group's people hold places (or, for
/// <see cref="Answered"/>, have answered): numbers about so few people would tell who they are.
/// </summary>
public sealed record QuotaGroupFill(string Group, int Participants, int Quota, int? Places, int? Answered, int? ItemsFull);
