using Pluralist.Core.Privacy;

namespace Pluralist.Studies.Console.Quotas;

/// <summary>
/// Fill of a study's group quotas. Groups with fewer participants than the study's minimum are
/// counted, never named, and have no per-item numbers; within a shown group every number obeys
/// <see cref="MinimumGroupSize"/> for the people it counts. The unstratified remainder is the group <c>*</c>.
/// </summary>
public sealed record QuotaReport(
    string Study,
    QuotaSettings? Quotas,
    int MinGroupSize,
    int Items,
    int ItemsComplete,
    IReadOnlyList<QuotaGroupFill> Groups,
    int SuppressedGroups,
    int SuppressedParticipants,
    IReadOnlyList<QuotaItemFill> ItemFills);
