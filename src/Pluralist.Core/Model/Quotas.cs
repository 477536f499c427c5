namespace Pluralist.Core.Model;

/// <summary>
/// DIVE-style stratified rating: each item (a pair, or an image in the Likert task) should be
/// answered by <see cref="PerGroup"/> participants of every identity group, a group being one
/// combination of values of the <see cref="Dimensions"/> (for example gender x age band x background).
/// </summary>
public sealed class GroupQuotas
{
    /// <summary>The identity markers that define the groups, with the values that count (empty: every answered value).</summary>
    public List<QuotaDimension> Dimensions { get; set; } = [];

    /// <summary>Participants of each group per item.</summary>
    public int PerGroup { get; set; } = 20;

    /// <summary>
    /// Participants per item from outside every group: no consent to one of the markers, "prefer not
    /// to say", or a value not listed. 0: such participants get no quota items.
    /// </summary>
    public int Unstratified { get; set; }

    public GroupQuotas Clone() => new()
    {
        Dimensions = [.. Dimensions.Select(d => new QuotaDimension { Marker = d.Marker, Values = [.. d.Values] })],
        PerGroup = PerGroup,
        Unstratified = Unstratified,
    };
}

/// <summary>One identity marker that defines quota groups, and the values of it that form groups.</summary>
public sealed class QuotaDimension
{
    public string Marker { get; set; } = "";

    public List<string> Values { get; set; } = [];
}

/// <summary>What a quota counts: a pair (pairwise task) or an image (Likert task).</summary>
public enum QuotaItemKind
{
    Pair = 0,
    Image = 1,
}

/// <summary>
/// One place in a group's quota for an item, held by the participant it was handed to. Slots are
/// numbered 1..quota and unique per item and group, so two participants racing for the last place
/// cannot both get it.
/// </summary>
public sealed class QuotaSlot
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public QuotaItemKind ItemKind { get; set; }

    public long ItemId { get; set; }

    /// <summary>The group's values joined by <c>/</c> in dimension order; empty for the unstratified remainder.</summary>
    public string GroupKey { get; set; } = "";

    public int Slot { get; set; }

    public long ParticipantId { get; set; }

    public DateTimeOffset ReservedAt { get; set; }
}
