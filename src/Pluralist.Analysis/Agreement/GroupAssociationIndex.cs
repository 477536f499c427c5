using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Agreement;

/// <summary>Options of <see cref="GroupAssociationIndex.Analyze"/>.</summary>
public sealed record GaiOptions
{
    public MeasurementLevel Level { get; init; } = MeasurementLevel.Interval;

    /// <summary>Permutations of identity profiles across raters; 0 skips the test (p and q are NaN).</summary>
    public int Permutations { get; init; } = 1000;

    public int Seed { get; init; } = 1;

    /// <summary>Also score every intersection of two or more axes (groups named <c>a×b</c>).</summary>
    public bool Intersections { get; init; } = true;

    /// <summary>Intersection groups with fewer raters are skipped (and listed); a primary-axis group that small is an error.</summary>
    public int MinGroupSize { get; init; } = 2;

    /// <summary>Threads for the permutation loop; results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Permutations scored in one pass over the ratings (their labellings stacked, groups numbered apart); the results do
    /// not depend on it (GroupAssociationTests compares 1 with the default). A pass then has independent sums to add
    /// for each rating instead of one chain of additions per group.
    /// </summary>
    internal int PermutationsPerPass { get; init; } = 4;

    /// <summary>
    /// <see cref="AgreementEngine.GroupLanes"/> permutations per pass scored as the lanes of vectors
    /// (<see cref="AgreementEngine.ComputeLanes"/>; interval data, or at most <see cref="AgreementEngine.MaxLaneCategories"/>
    /// distinct values) rather than stacked; again the same bits (GroupAssociationTests).
    /// </summary>
    internal bool LanePasses { get; init; } = true;
}

/// <summary>
/// One group's association: its own reliability (IRR, Krippendorff's α within the group), its
/// cross reliability with everyone else (xRR), GAI = IRR / xRR, the permutation p-value (one-sided,
/// in the direction of the observed deviation from the permutation median) and the
/// Benjamini-Hochberg adjusted value over every group reported.
/// </summary>
public sealed record GroupAssociation(
    string Axis, string Group, int Raters, int Ratings, double Irr, double Xrr, double Gai,
    double PermutationMedian, double PGai, double QGai);

/// <summary>The GAI of every group; Dsi maps each axis to its largest GAI (diversity sensitivity index).</summary>
public sealed record GaiReport(
    AlphaResult Overall,
    IReadOnlyList<GroupAssociation> Groups,
    IReadOnlyDictionary<string, double> Dsi,
    int Permutations,
    IReadOnlyList<string> Skipped);

/// <summary>
/// The Group Association Index of GRASP and DIVE: GAI(g) = IRR(g) / xRR(g, everyone else).
/// A group whose members share a perspective agrees more among themselves than with others,
/// so GAI &gt; 1. Significance comes from permuting identity profiles across raters (each rater
/// keeps their ratings), which keeps group sizes and the rating design and breaks any link
/// between identity and ratings.
/// </summary>
public static class GroupAssociationIndex
{
    /// <summary>Scores every group on every axis (and intersection of axes).</summary>
    /// <exception cref="ArgumentException">A group on a primary axis has fewer than <see cref="GaiOptions.MinGroupSize"/> raters, or there are fewer than two raters.</exception>
    public static GaiReport Analyze(IEnumerable<Rating> ratings, IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, GaiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(axes);
        options ??= new GaiOptions();
        if (options.MinGroupSize < 2)
        {
            throw new ArgumentException("the minimum group size must be at least 2: a group's IRR needs two raters", nameof(options));
        }

        var data = CodedRatings.Build(ratings);
        var raters = data.RaterIds.Length;
        if (raters < 2)
        {
            throw new ArgumentException($"agreement needs at least two raters; the ratings have {raters}", nameof(ratings));
        }

        var byRater = new Dictionary<string, RaterProfile>(StringComparer.Ordinal);
        foreach (var p in profiles)
        {
            byRater[p.Rater] = p;
        }

        // Marker values of each rater (index = rater), one column per primary axis.
        var markers = new string?[raters][];
        for (var r = 0; r < raters; r++)
        {
            markers[r] = new string?[axes.Count];
            if (byRater.TryGetValue(data.RaterIds[r], out var p))
            {
                for (var a = 0; a < axes.Count; a++)
                {
                    markers[r][a] = p.Markers.TryGetValue(axes[a], out var m) && !string.IsNullOrEmpty(m) ? m : null;
                }
            }
        }

        var skipped = new List<string>();
        var layouts = new List<AxisLayout>();
        foreach (var combo in IdentityGroups.Combinations(axes.Count, options.Intersections))
        {
            var layout = AxisLayout.Build(axes, combo, markers, options.MinGroupSize, skipped);
            if (layout.Groups.Length > 0)
            {
                layouts.Add(layout);
            }
        }

        var overall = Krippendorff.Alpha(data, options.Level);
        // Every layout's groups numbered one after the other (layout l's from offset[l]), and each layout's labels so
        // numbered, stacked: one pass over the ratings scores every group of every layout (AgreementEngine.Compute with
        // layers; each group's sums are those of a pass per layout, so the same bits).
        var totalGroups = layouts.Sum(l => l.Groups.Length);
        var stacked = new int[layouts.Count * raters];
        for (int l = 0, offset = 0; l < layouts.Count; offset += layouts[l].Groups.Length, l++)
        {
            for (var r = 0; r < raters; r++)
            {
                var g = layouts[l].Labels[r];
                stacked[(l * raters) + r] = g < 0 ? -1 : g + offset;
            }
        }

        var engines = new ThreadLocal<AgreementEngine>(() => new AgreementEngine(data, options.Level, totalGroups));
        GroupReliability[] all = layouts.Count == 0 ? [] : engines.Value!.Compute(stacked, layouts.Count);
        var observed = new List<(AxisLayout Layout, GroupReliability[] Reliability)>();
        for (int l = 0, offset = 0; l < layouts.Count; offset += layouts[l].Groups.Length, l++)
        {
            observed.Add((layouts[l], all[offset..(offset + layouts[l].Groups.Length)]));
        }

        var permuted = new double[Math.Max(0, options.Permutations) * totalGroups];
        if (options.Permutations > 0 && totalGroups > 0)
        {
            // A few permutations per pass: as the four lanes of vectors (ComputeLanes), or else their labellings stacked after
            // one another, permutation j's groups numbered from j · totalGroups. Either way each group's sums are those of a
            // pass of its own, added in the same order: the same bits.
            var lanes = options.LanePasses && (options.Level == MeasurementLevel.Interval || data.Values.Length <= AgreementEngine.MaxLaneCategories);
            var perPass = lanes ? AgreementEngine.GroupLanes : Math.Max(1, options.PermutationsPerPass);
            var passEngines = new ThreadLocal<AgreementEngine>(() => new AgreementEngine(data, options.Level, lanes ? totalGroups : perPass * totalGroups));
            Parallel.For(
                0,
                (options.Permutations + perPass - 1) / perPass,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) },
                () => new PermutationScratch(raters, perPass * stacked.Length),
                (pass, _, scratch) =>
                {
                    var first = pass * perPass;
                    var count = Math.Min(perPass, options.Permutations - first);
                    for (var j = 0; j < count; j++)
                    {
                        // The permutation of profiles depends only on (seed, p): results do not depend on the thread count.
                        scratch.Shuffle(Seeds.For(options.Seed, first + j));
                        var shift = lanes ? 0 : j * totalGroups;
                        for (var l = 0; l < layouts.Count; l++)
                        {
                            var row = l * raters;
                            var to = ((j * layouts.Count) + l) * raters;
                            for (var r = 0; r < raters; r++)
                            {
                                var g = stacked[row + scratch.Order[r]];
                                scratch.Labels[to + r] = g < 0 ? -1 : g + shift;
                            }
                        }
                    }

                    GroupReliability[] rel;
                    if (lanes)
                    {
                        // Lanes past the last permutation: nobody in any group (their results are not read).
                        Array.Fill(scratch.Labels, -1, count * stacked.Length, (perPass - count) * stacked.Length);
                        rel = passEngines.Value!.ComputeLanes(scratch.Labels, layouts.Count);
                    }
                    else
                    {
                        rel = passEngines.Value!.Compute(scratch.Labels.AsSpan(0, count * stacked.Length), count * layouts.Count);
                    }

                    var at = first * totalGroups;
                    for (var g = 0; g < count * totalGroups; g++)
                    {
                        permuted[at++] = Gai(rel[g]);
                    }

                    return scratch;
                },
                _ => { });
            passEngines.Dispose();
        }

        engines.Dispose();

        var results = new List<GroupAssociation>();
        var column = 0;
        foreach (var (layout, rel) in observed)
        {
            for (var g = 0; g < layout.Groups.Length; g++, column++)
            {
                var gai = Gai(rel[g]);
                var nullDistribution = new List<double>(options.Permutations);
                for (var p = 0; p < options.Permutations; p++)
                {
                    var x = permuted[(p * totalGroups) + column];
                    if (!double.IsNaN(x))
                    {
                        nullDistribution.Add(x);
                    }
                }

                var (median, pValue) = PermutationTest.DirectionalP(gai, nullDistribution);
                results.Add(new GroupAssociation(
                    layout.Name, layout.Groups[g], layout.Sizes[g], rel[g].GroupRatings, rel[g].Irr, rel[g].Xrr, gai, median, pValue, double.NaN));
            }
        }

        var q = MultipleTesting.BenjaminiHochberg(results.Select(r => r.PGai).ToArray());
        results = results.Select((r, i) => r with { QGai = q[i] }).ToList();

        var dsi = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var axis in results.GroupBy(r => r.Axis))
        {
            var finite = axis.Where(r => double.IsFinite(r.Gai)).ToList();
            dsi[axis.Key] = finite.Count == 0 ? double.NaN : finite.Max(r => r.Gai);
        }

        return new GaiReport(overall, results, dsi, options.Permutations, skipped);
    }

    private static double Gai(GroupReliability g) => g.Irr / g.Xrr;

    /// <summary>The groups of one axis (or intersection) and the label of each rater (−1: no group).</summary>
    private sealed class AxisLayout
    {
        private AxisLayout(string name, string[] groups, int[] sizes, int[] labels)
        {
            Name = name;
            Groups = groups;
            Sizes = sizes;
            Labels = labels;
        }

        public string Name { get; }

        public string[] Groups { get; }

        public int[] Sizes { get; }

        public int[] Labels { get; }

        public static AxisLayout Build(IReadOnlyList<string> axes, int[] combo, string?[][] markers, int minSize, List<string> skipped)
        {
            var name = string.Join(IdentityGroups.Separator, combo.Select(a => axes[a]));
            var keys = new string?[markers.Length];
            for (var r = 0; r < markers.Length; r++)
            {
                var parts = combo.Select(a => markers[r][a]).ToArray();
                keys[r] = parts.Any(p => p is null) ? null : string.Join(IdentityGroups.Separator, parts);
            }

            var counts = keys.Where(k => k is not null).GroupBy(k => k!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var kept = new List<string>();
            foreach (var (group, size) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (size >= minSize)
                {
                    kept.Add(group);
                }
                else if (combo.Length == 1)
                {
                    throw new ArgumentException(
                        $"group '{group}' on axis '{name}' has {size} rater{(size == 1 ? "" : "s")}; the group association index needs at least {minSize} raters per group");
                }
                else
                {
                    skipped.Add($"{name}: {group} ({size} rater{(size == 1 ? "" : "s")})");
                }
            }

            var index = kept.Select((g, i) => (g, i)).ToDictionary(t => t.g, t => t.i, StringComparer.Ordinal);
            var labels = keys.Select(k => k is not null && index.TryGetValue(k, out var i) ? i : -1).ToArray();
            return new AxisLayout(name, [.. kept], kept.Select(g => counts[g]).ToArray(), labels);
        }
    }

    private sealed class PermutationScratch(int raters, int labels)
    {
        public int[] Order { get; } = new int[raters];

        public int[] Labels { get; } = new int[labels];

        /// <summary>Fisher-Yates shuffle of the identity profiles: rater r takes the profile of rater Order[r].</summary>
        public void Shuffle(int seed)
        {
            var rng = new Random(seed);
            for (var i = 0; i < Order.Length; i++)
            {
                Order[i] = i;
            }

            for (var i = Order.Length - 1; i > 0; i--)
            {
                var j = rng.Next(i + 1);
                (Order[i], Order[j]) = (Order[j], Order[i]);
            }
        }
    }
}
