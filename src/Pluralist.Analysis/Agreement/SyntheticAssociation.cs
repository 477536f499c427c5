namespace Pluralist.Analysis.Agreement;

/// <summary>
/// One group's group association index among the people and among the synthetic raters (each persona a rater carrying
/// its markers): does the judge, told who it is, reproduce a group's internal agreement?
/// </summary>
public sealed record AssociationComparison(
    string Axis, string Group, int People, double HumanGai, double HumanP, int Personas, double SyntheticGai, double SyntheticP);

/// <summary>Both GAI reports and their rows joined by group; a reason when either could not be computed.</summary>
public sealed record AssociationReport(IReadOnlyList<AssociationComparison> Groups, GaiReport? Human, GaiReport? Synthetic, IReadOnlyList<string> Notes);

/// <summary>
/// The GAI (<see cref="GroupAssociationIndex"/>) of the people beside that of the synthetic raters, on the same items:
/// people are raters with their consented markers; each persona is a rater with the persona's markers and its steered
/// ratings (the rater without persona has no group and is left out). Groups of people below the minimum size have their
/// marker removed (they are in no group, as in the study report); groups of fewer than two personas likewise.
/// </summary>
public static class SyntheticAssociation
{
    public static AssociationReport Analyze(
        IEnumerable<Rating> human, IEnumerable<RaterProfile> people, IEnumerable<SyntheticRating> synthetic, IEnumerable<RaterProfile> personas,
        IReadOnlyList<string> axes, int minGroupSize, GaiOptions options)
    {
        ArgumentNullException.ThrowIfNull(human);
        ArgumentNullException.ThrowIfNull(synthetic);
        ArgumentNullException.ThrowIfNull(options);
        var notes = new List<string>();
        var humanReport = Gai("people", human.ToList(), Blank(people, axes, Math.Max(2, minGroupSize)), axes, options with { MinGroupSize = Math.Max(2, minGroupSize) }, notes);
        var steered = synthetic.Where(s => s.Steered).Select(s => new Rating(s.Item, s.Persona, s.Value)).ToList();
        var syntheticReport = Gai("synthetic raters", steered, Blank(personas, axes, 2), axes, options with { MinGroupSize = 2 }, notes);
        var rows = new List<AssociationComparison>();
        if (humanReport is not null)
        {
            var byGroup = syntheticReport?.Groups.ToDictionary(g => (g.Axis, g.Group)) ?? [];
            foreach (var h in humanReport.Groups)
            {
                var s = byGroup.GetValueOrDefault((h.Axis, h.Group));
                rows.Add(new AssociationComparison(h.Axis, h.Group, h.Raters, h.Gai, h.PGai, s?.Raters ?? 0, s?.Gai ?? double.NaN, s?.PGai ?? double.NaN));
            }
        }

        return new AssociationReport(rows, humanReport, syntheticReport, notes);
    }

    private static GaiReport? Gai(string who, List<Rating> ratings, List<RaterProfile> profiles, IReadOnlyList<string> axes, GaiOptions options, List<string> notes)
    {
        var raters = ratings.Select(r => r.Rater).Distinct(StringComparer.Ordinal).Count();
        if (raters < 2)
        {
            notes.Add($"The GAI of the {who} needs at least two raters; there are {raters}.");
            return null;
        }

        try
        {
            return GroupAssociationIndex.Analyze(ratings, profiles, axes, options);
        }
        catch (ArgumentException ex)
        {
            notes.Add($"The GAI of the {who} could not be computed: {ex.Message}");
            return null;
        }
    }

    // A marker whose group on its axis is smaller than the minimum is dropped: the rater stays (in everyone else), in no group.
    private static List<RaterProfile> Blank(IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, int min)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var list = profiles.Select(p => new RaterProfile(p.Rater, new Dictionary<string, string?>(p.Markers, StringComparer.Ordinal))).ToList();
        foreach (var axis in axes)
        {
            var small = list.Where(p => !string.IsNullOrEmpty(p.Markers.GetValueOrDefault(axis))).GroupBy(p => p.Markers[axis]!, StringComparer.Ordinal)
                .Where(g => g.Count() < min).SelectMany(g => g).ToList();
            foreach (var p in small)
            {
                ((Dictionary<string, string?>)p.Markers)[axis] = null;
            }
        }

        return list;
    }
}
