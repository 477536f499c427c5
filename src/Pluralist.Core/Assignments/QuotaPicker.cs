using Pluralist.Core.Model;

namespace Pluralist.Core.Assignments;

/// <summary>An item that a quota counts, with the places of one group already taken on it.</summary>
public sealed record QuotaCandidate(long ItemId, int Filled);

/// <summary>
/// The rules of DIVE-style group quotas, without storage: which group a participant fills, which
/// items are still open to that group (least filled first) and which slot number to claim.
/// </summary>
public static class QuotaPicker
{
    /// <summary>The group key of participants outside every group.</summary>
    public const string Unstratified = "";

    /// <summary>
    /// The participant's group from their consented identity answers (marker → value), in the
    /// spelling the quotas list; <see cref="Unstratified"/> when a marker is not consented or
    /// answered, or its value is not one of the listed values.
    /// </summary>
    public static string GroupOf(GroupQuotas quotas, IReadOnlyDictionary<string, string> consentedValues)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        ArgumentNullException.ThrowIfNull(consentedValues);
        if (quotas.Dimensions.Count == 0)
        {
            return Unstratified;
        }

        var parts = new List<string>(quotas.Dimensions.Count);
        foreach (var d in quotas.Dimensions)
        {
            if (!consentedValues.TryGetValue(d.Marker, out var value) || string.IsNullOrWhiteSpace(value))
            {
                return Unstratified;
            }

            value = value.Trim();
            if (d.Values.Count > 0)
            {
                var listed = d.Values.FirstOrDefault(v => string.Equals(v, value, StringComparison.OrdinalIgnoreCase));
                if (listed is null)
                {
                    return Unstratified;
                }

                value = listed;
            }

            parts.Add(value);
        }

        return string.Join('/', parts);
    }

    /// <summary>
    /// The participant's group from their consented answers (marker → stored answer), each coded into its
    /// analysis group by <see cref="IdentityGroupCoder"/> with the study's questions and coding table.
    /// </summary>
    public static string GroupOf(GroupQuotas quotas, Study study, IReadOnlyDictionary<string, IdentityAnswer> consentedAnswers, IdentityCodingTable? table)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(consentedAnswers);
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (marker, answer) in consentedAnswers)
        {
            if (IdentityGroupCoder.Code(study.QuestionFor(marker), answer, table) is { } code)
            {
                codes[marker] = code;
            }
        }

        return GroupOf(quotas, codes);
    }

    /// <summary>How many participants of the group each item takes.</summary>
    public static int QuotaOf(GroupQuotas quotas, string group)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        return group == Unstratified ? quotas.Unstratified : quotas.PerGroup;
    }

    /// <summary>Every group the listed values make (the cartesian product); empty when a dimension lists no values.</summary>
    public static IReadOnlyList<string> ListedGroups(GroupQuotas quotas)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        if (quotas.Dimensions.Count == 0 || quotas.Dimensions.Any(d => d.Values.Count == 0))
        {
            return [];
        }

        IEnumerable<string> groups = [""];
        var first = true;
        foreach (var d in quotas.Dimensions)
        {
            var f = first;
            groups = groups.SelectMany(g => d.Values.Select(v => f ? v : g + "/" + v)).ToList();
            first = false;
        }

        return groups.ToList();
    }

    /// <summary>
    /// The items still open to the group, in the order to try them: least filled first, ties in
    /// random order. Items the participant already has and items whose quota is met are left out.
    /// </summary>
    public static IReadOnlyList<long> Open(IReadOnlyList<QuotaCandidate> candidates, IReadOnlySet<long> participantHas, int quota, Random random)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(participantHas);
        ArgumentNullException.ThrowIfNull(random);
        if (quota <= 0)
        {
            return [];
        }

        return candidates
            .Where(c => c.Filled < quota && !participantHas.Contains(c.ItemId))
            .Select(c => (c, key: random.Next()))
            .OrderBy(x => x.c.Filled).ThenBy(x => x.key)
            .Select(x => x.c.ItemId)
            .ToList();
    }

    /// <summary>The smallest free slot number in 1..quota, or null when the quota is met.</summary>
    public static int? FreeSlot(IReadOnlyCollection<int> taken, int quota)
    {
        ArgumentNullException.ThrowIfNull(taken);
        var used = taken as IReadOnlySet<int> ?? taken.ToHashSet();
        for (var s = 1; s <= quota; s++)
        {
            if (!used.Contains(s))
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>The largest quota per item and group accepted.</summary>
    public const int MaxPerItem = 10_000;

    /// <summary>
    /// <see cref="Problems(GroupQuotas, IReadOnlyList{string})"/> over the study's markers, and values checked
    /// against the groups each question can give: a listed value that no option or band codes could never fill.
    /// </summary>
    public static IReadOnlyList<(string Field, string Message)> Problems(GroupQuotas quotas, Study study)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        ArgumentNullException.ThrowIfNull(study);
        var problems = Problems(quotas, study.IdentityMarkers).ToList();
        for (var i = 0; i < quotas.Dimensions.Count; i++)
        {
            var d = quotas.Dimensions[i];
            if (!study.IdentityMarkers.Contains(d.Marker) || problems.Any(p => p.Field == $"dimensions[{i}].values"))
            {
                continue;
            }

            var codes = study.QuestionFor(d.Marker).GroupCodes();
            var unknown = d.Values.Where(v => codes.Count > 0 && !codes.Contains(v, StringComparer.OrdinalIgnoreCase)).ToList();
            if (unknown.Count > 0)
            {
                problems.Add(($"dimensions[{i}].values", $"{string.Join(", ", unknown.Select(v => $"'{v}'"))} {(unknown.Count == 1 ? "is not a group" : "are not groups")} of '{d.Marker}' ({string.Join(", ", codes)})"));
            }
        }

        return problems;
    }

    /// <summary>
    /// Problems with quota settings, as (field, message): field is <c>dimensions</c>,
    /// <c>dimensions[i].marker</c>, <c>dimensions[i].values</c>, <c>perGroup</c> or <c>unstratified</c>.
    /// </summary>
    public static IReadOnlyList<(string Field, string Message)> Problems(GroupQuotas quotas, IReadOnlyList<string> identityMarkers)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        ArgumentNullException.ThrowIfNull(identityMarkers);
        var problems = new List<(string, string)>();
        if (quotas.Dimensions.Count == 0)
        {
            problems.Add(("dimensions", "name at least one identity marker that defines the groups"));
        }

        for (var i = 0; i < quotas.Dimensions.Count; i++)
        {
            var d = quotas.Dimensions[i];
            if (!identityMarkers.Contains(d.Marker))
            {
                problems.Add(($"dimensions[{i}].marker", $"'{d.Marker}' is not an identity question of the study ({(identityMarkers.Count == 0 ? "none" : string.Join(", ", identityMarkers))})"));
            }
            else if (quotas.Dimensions.Take(i).Any(x => x.Marker == d.Marker))
            {
                problems.Add(($"dimensions[{i}].marker", $"'{d.Marker}' is listed twice"));
            }

            if (d.Values.Any(v => string.IsNullOrWhiteSpace(v) || v.Contains('/', StringComparison.Ordinal) || v != v.Trim()))
            {
                problems.Add(($"dimensions[{i}].values", $"the values of '{d.Marker}' must be non-empty, without '/' or surrounding spaces"));
            }
            else if (d.Values.Distinct(StringComparer.OrdinalIgnoreCase).Count() != d.Values.Count)
            {
                problems.Add(($"dimensions[{i}].values", $"a value of '{d.Marker}' is listed twice"));
            }
        }

        if (quotas.PerGroup is < 1 or > MaxPerItem)
        {
            problems.Add(("perGroup", $"participants per group and item must be between 1 and {MaxPerItem}"));
        }

        if (quotas.Unstratified is < 0 or > MaxPerItem)
        {
            problems.Add(("unstratified", $"participants outside the groups per item must be between 0 and {MaxPerItem}"));
        }

        return problems;
    }
}
