using Pluralist.Analysis.Agreement;
using Pluralist.Core.Privacy;

namespace Pluralist.Analysis.Reports;

/// <summary>
/// The consented identity groups a report may show: on each axis, and on each intersection of
/// axes, only groups with at least the study's minimum number of participants. A smaller group
/// on a primary axis is removed from the profiles (its members count as having no marker on
/// that axis), so no analysis can show it; smaller intersections are left out. Only the number
/// of suppressed groups is reported.
/// </summary>
public sealed class SafeGroups
{
    private readonly HashSet<(string Axis, string Group)> _shown;
    private readonly List<(string Axis, List<(string Group, HashSet<long> Members)> Groups)> _byAxis;

    private SafeGroups(IReadOnlyList<string> axes, IReadOnlyList<RaterProfile> profiles, HashSet<(string, string)> shown, List<(string, List<(string, HashSet<long>)>)> byAxis, int suppressed)
    {
        Axes = axes;
        Profiles = profiles;
        _shown = shown;
        _byAxis = byAxis;
        Suppressed = suppressed;
    }

    /// <summary>The study's identity axes.</summary>
    public IReadOnlyList<string> Axes { get; }

    /// <summary>Rater profiles (raters named as in the report) with suppressed primary groups removed.</summary>
    public IReadOnlyList<RaterProfile> Profiles { get; }

    /// <summary>Groups and intersections below the minimum size.</summary>
    public int Suppressed { get; }

    public bool IsShown(string axis, string group) => _shown.Contains((axis, group));

    /// <summary>The shown groups per axis (primary axes, then intersections), with their participant ids.</summary>
    public IReadOnlyList<(string Axis, List<(string Group, HashSet<long> Members)> Groups)> ByAxisGroup() => _byAxis;

    /// <summary>The groups of the participants who answered pairs (the rows).</summary>
    public static SafeGroups Build(StudyReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Build(input, input.Rows.Select(r => r.ParticipantId));
    }

    /// <summary>The groups of the given participants (for example those who gave Likert ratings), sizes counted among them.</summary>
    public static SafeGroups Build(StudyReportInput input, IEnumerable<long> participantIds)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(participantIds);
        var min = Math.Max(1, input.MinGroupSize);
        var participants = participantIds.Distinct().Order().ToList();
        var markers = participants.ToDictionary(p => p, p => input.Axes.ToDictionary(a => a, a => input.Markers.TryGetValue(p, out var m) && m.TryGetValue(a, out var v) && !string.IsNullOrEmpty(v) ? v : null, StringComparer.Ordinal));
        var suppressed = 0;
        foreach (var axis in input.Axes)
        {
            foreach (var small in markers.Values.Where(m => m[axis] is not null).GroupBy(m => m[axis]!, StringComparer.Ordinal).Where(g => !MinimumGroupSize.MayShow(g.Count(), min)).ToList())
            {
                suppressed++;
                foreach (var m in small)
                {
                    m[axis] = null;
                }
            }
        }

        string Name(long id) => input.Participants.TryGetValue(id, out var n) ? n : id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var byName = participants.ToDictionary(Name, p => p, StringComparer.Ordinal);
        var profiles = participants.Select(p => new RaterProfile(Name(p), markers[p].ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal))).ToList();
        var shown = new HashSet<(string, string)>();
        var byAxis = new List<(string, List<(string, HashSet<long>)>)>();
        foreach (var group in IdentityGroups.Assign(profiles, input.Axes, intersections: true).GroupBy(kv => kv.Key.Axis))
        {
            var list = new List<(string, HashSet<long>)>();
            foreach (var ((axis, name), members) in group)
            {
                if (!MinimumGroupSize.MayShow(members.Count, min))
                {
                    suppressed++;
                    continue;
                }

                shown.Add((axis, name));
                list.Add((name, members.Select(m => byName[m]).ToHashSet()));
            }

            if (list.Count > 0)
            {
                byAxis.Add((group.Key, list));
            }
        }

        return new SafeGroups(input.Axes, profiles, shown, byAxis, suppressed);
    }
}
