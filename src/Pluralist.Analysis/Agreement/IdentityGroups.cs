namespace Pluralist.Analysis.Agreement;

/// <summary>Groups of people by consented identity markers: each axis alone, then intersections of axes.</summary>
public static class IdentityGroups
{
    /// <summary>Separator in the names of intersection axes and groups (<c>gender×age</c>, <c>woman×18-29</c>).</summary>
    public const string Separator = "×";

    /// <summary>
    /// Members of each (axis, group), in order: primary axes first, then intersections of two or
    /// more axes (when asked). A person without a marker on an axis is in no group of that axis
    /// or of any intersection involving it.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<(string Axis, string Group), HashSet<string>>> Assign(
        IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, bool intersections)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(axes);
        var list = profiles.ToList();
        var result = new List<KeyValuePair<(string, string), HashSet<string>>>();
        foreach (var combo in Combinations(axes.Count, intersections))
        {
            var axis = string.Join(Separator, combo.Select(a => axes[a]));
            var groups = new SortedDictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var p in list)
            {
                var parts = combo.Select(a => p.Markers.TryGetValue(axes[a], out var m) && !string.IsNullOrEmpty(m) ? m : null).ToArray();
                if (parts.Any(x => x is null))
                {
                    continue;
                }

                var key = string.Join(Separator, parts);
                if (!groups.TryGetValue(key, out var members))
                {
                    members = new HashSet<string>(StringComparer.Ordinal);
                    groups[key] = members;
                }

                members.Add(p.Rater);
            }

            result.AddRange(groups.Select(g => new KeyValuePair<(string, string), HashSet<string>>((axis, g.Key), g.Value)));
        }

        return result;
    }

    /// <summary>Each axis alone, then (with intersections) every subset of two or more axes, smaller subsets first.</summary>
    internal static IEnumerable<int[]> Combinations(int count, bool intersections)
    {
        for (var a = 0; a < count; a++)
        {
            yield return [a];
        }

        if (!intersections)
        {
            yield break;
        }

        var subsets = new List<int[]>();
        for (var mask = 1; mask < 1 << count; mask++)
        {
            if (int.PopCount(mask) >= 2)
            {
                subsets.Add(Enumerable.Range(0, count).Where(a => (mask & (1 << a)) != 0).ToArray());
            }
        }

        foreach (var s in subsets.OrderBy(s => s.Length))
        {
            yield return s;
        }
    }
}
