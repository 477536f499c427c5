using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Agreement;

/// <summary>A synthetic rater's rating: the item, the persona that steered it (a key; empty = none), and the value.</summary>
public readonly record struct SyntheticRating(string Item, string Persona, double Value)
{
    public bool Steered => Persona.Length > 0;
}

/// <summary>Options of <see cref="SyntheticRepresentation.Analyze"/>.</summary>
public sealed record RepresentationOptions
{
    /// <summary>Groups with fewer people are not reported (the study's minimum group size).</summary>
    public int MinGroupSize { get; init; } = 5;

    /// <summary>Items a group needs (rated by its people, its personas and the rater without persona) to be scored.</summary>
    public int MinItems { get; init; } = 5;

    public bool Intersections { get; init; } = true;

    public BootstrapOptions Bootstrap { get; init; } = new(1000);
}

/// <summary>
/// One group's representation by a synthetic judge: DIVE's measure, Pearson's r between the group's mean human rating of
/// each item and the mean rating of the personas of that group (steered), and of the judge without persona (unsteered),
/// over the items all three rated; the gain r(steered) - r(unsteered); percentile bootstrap intervals over items.
/// </summary>
public sealed record GroupRepresentation(
    string Axis, string Group, int People, int Personas, int Items,
    double Steered, Interval SteeredInterval, double Unsteered, Interval UnsteeredInterval, double Gain, Interval GainInterval);

/// <summary>Every group's representation (the first row is everyone), groups left out (too few people or items) with the reason.</summary>
public sealed record RepresentationReport(IReadOnlyList<GroupRepresentation> Groups, IReadOnlyList<string> Skipped)
{
    /// <summary>The scored groups (everyone excluded) from the worst represented (lowest steered r) up.</summary>
    public IReadOnlyList<GroupRepresentation> Worst(int count) =>
        [.. Groups.Skip(1).Where(g => !double.IsNaN(g.Steered)).OrderBy(g => g.Steered).ThenBy(g => g.Axis, StringComparer.Ordinal).ThenBy(g => g.Group, StringComparer.Ordinal).Take(count)];
}

/// <summary>
/// How well synthetic raters represent the groups of the people who took part (DIVE, section 5: the correlation of an
/// LLM's ratings, given a rater's demographics, with the ratings of that rater's group, against the same without them).
/// </summary>
public static class SyntheticRepresentation
{
    /// <summary>Everyone's row: axis and group names.</summary>
    public const string Everyone = "everyone";

    /// <param name="human">People's ratings (item, rater, value), on the same scale and orientation as the synthetic ones.</param>
    /// <param name="people">People's consented markers.</param>
    /// <param name="synthetic">Synthetic ratings; <see cref="SyntheticRating.Persona"/> keys into <paramref name="personas"/>.</param>
    /// <param name="personas">Each persona's markers (<see cref="RaterProfile.Rater"/> = persona key).</param>
    /// <param name="axes">The identity axes to group by.</param>
    /// <param name="options">Sizes and bootstrap.</param>
    public static RepresentationReport Analyze(
        IEnumerable<Rating> human, IEnumerable<RaterProfile> people, IEnumerable<SyntheticRating> synthetic, IEnumerable<RaterProfile> personas,
        IReadOnlyList<string> axes, RepresentationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(human);
        ArgumentNullException.ThrowIfNull(people);
        ArgumentNullException.ThrowIfNull(synthetic);
        ArgumentNullException.ThrowIfNull(personas);
        ArgumentNullException.ThrowIfNull(axes);
        options ??= new RepresentationOptions();
        var humanList = human.ToList();
        var syntheticList = synthetic.ToList();
        var peopleList = people.ToList();
        var unsteered = Means(syntheticList.Where(s => !s.Steered).Select(s => (s.Item, s.Value)));
        var personaGroups = IdentityGroups.Assign(personas, axes, options.Intersections).ToDictionary(kv => kv.Key, kv => kv.Value);
        var rows = new List<GroupRepresentation>();
        var skipped = new List<string>();

        var everyone = Score(Everyone, Everyone, peopleList.Select(p => p.Rater).ToHashSet(StringComparer.Ordinal), null, humanList, syntheticList, unsteered, options, skipped, force: true);
        rows.Add(everyone!);
        foreach (var ((axis, group), members) in IdentityGroups.Assign(peopleList, axes, options.Intersections))
        {
            if (members.Count < options.MinGroupSize)
            {
                skipped.Add($"{axis}={group}: {members.Count} people, fewer than {options.MinGroupSize}");
                continue;
            }

            var steeredBy = personaGroups.GetValueOrDefault((axis, group)) ?? [];
            if (Score(axis, group, members, steeredBy, humanList, syntheticList, unsteered, options, skipped, force: false) is { } row)
            {
                rows.Add(row);
            }
        }

        return new RepresentationReport(rows, skipped);
    }

    private static GroupRepresentation? Score(
        string axis, string group, HashSet<string> members, HashSet<string>? personas,
        List<Rating> human, List<SyntheticRating> synthetic, Dictionary<string, double> unsteered, RepresentationOptions options, List<string> skipped, bool force)
    {
        var people = Means(human.Where(r => members.Contains(r.Rater)).Select(r => (r.Item, r.Value)));
        var steered = Means(synthetic.Where(s => s.Steered && (personas is null || personas.Contains(s.Persona))).Select(s => (s.Item, s.Value)));
        var items = people.Keys.Where(k => steered.ContainsKey(k) && unsteered.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        int personaCount = synthetic.Where(s => s.Steered && (personas is null || personas.Contains(s.Persona))).Select(s => s.Persona).Distinct().Count();
        if (items.Count < options.MinItems && !force)
        {
            skipped.Add($"{axis}={group}: {items.Count} items rated by its people, its personas ({personaCount}) and the unsteered rater, fewer than {options.MinItems}");
            return null;
        }

        var h = items.Select(i => people[i]).ToArray();
        var s = items.Select(i => steered[i]).ToArray();
        var u = items.Select(i => unsteered[i]).ToArray();
        double rs = Pearson(h, s, null), ru = Pearson(h, u, null);
        var bs = new List<double>();
        var bu = new List<double>();
        var bg = new List<double>();
        var draw = new int[items.Count];
        for (int b = 0; b < options.Bootstrap.Replicates && items.Count > 2; b++)
        {
            var rng = new Random(Seeds.For(options.Bootstrap.Seed, b));
            for (int k = 0; k < draw.Length; k++)
            {
                draw[k] = rng.Next(draw.Length);
            }

            double xs = Pearson(h, s, draw), xu = Pearson(h, u, draw);
            bs.Add(xs);
            bu.Add(xu);
            bg.Add(xs - xu);
        }

        var level = options.Bootstrap.Level;
        return new GroupRepresentation(axis, group, members.Count, personaCount, items.Count,
            rs, Bootstrap.Percentile(bs, level), ru, Bootstrap.Percentile(bu, level), rs - ru, Bootstrap.Percentile(bg, level));
    }

    private static Dictionary<string, double> Means(IEnumerable<(string Item, double Value)> values) =>
        values.GroupBy(v => v.Item, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(v => v.Value), StringComparer.Ordinal);

    /// <summary>Pearson's r of x and y (over the indices in <paramref name="draw"/> when given); NaN when either is constant or fewer than 3 values.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<int>? draw)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int n = draw?.Count ?? x.Count;
        if (n < 3)
        {
            return double.NaN;
        }

        double mx = 0, my = 0;
        for (int k = 0; k < n; k++)
        {
            int i = draw?[k] ?? k;
            mx += x[i];
            my += y[i];
        }

        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int k = 0; k < n; k++)
        {
            int i = draw?[k] ?? k;
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx <= 0 || syy <= 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
