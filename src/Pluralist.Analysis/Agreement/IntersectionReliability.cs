using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Agreement;

/// <summary>
/// An intersectional group against one of its parent groups (woman×18-29 against woman on the gender axis): both groups'
/// inter-rater reliability (Krippendorff's α within the group), the difference IRR(intersection) − IRR(parent), and a
/// permutation p-value for "the intersection agrees more than its parent".
/// </summary>
public sealed record IntersectionVsParent(
    string Axis, string Group, int Raters, double Irr,
    string ParentAxis, string ParentGroup, int ParentRaters, double ParentIrr,
    double Difference, double PGreater, double QGreater, bool Exact, int Permutations);

/// <summary>
/// DIVE's claim that intersectional groups agree more than their parent groups, as a test. For an intersection G and a
/// parent P ⊇ G (the raters sharing G's value on one of its axes), the statistic is d = α(G) − α(P). Under H0 (belonging
/// to G, rather than to the rest of P, is unrelated to how one rates) G's members are exchangeable within P, so a
/// permuted G is a random subset of P of G's size (membership shuffled between the intersection and the rest of the
/// parent; α(P) does not change). p = (1 + #{d* ≥ d})/(1 + B) over B random subsets, or, when P has no more subsets of
/// that size than B, #{d* ≥ d}/C over all C of them (the observed one among them). Benjamini-Hochberg over every row.
/// </summary>
public static class IntersectionReliability
{
    /// <summary>
    /// Every intersection group (two or more axes) with at least <paramref name="minGroupSize"/> raters for which
    /// <paramref name="shown"/> is true, against each of its parents (also shown). A parent equal to the intersection
    /// (no rest to shuffle with) gets p NaN.
    /// </summary>
    public static IReadOnlyList<IntersectionVsParent> Analyze(
        IEnumerable<Rating> ratings, IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, MeasurementLevel level,
        int minGroupSize, int permutations, int seed, Func<string, string, bool>? shown = null) =>
        Analyze(ratings, profiles, axes, level, minGroupSize, permutations, seed, shown, restrictToParent: true, batched: true);

    /// <remarks>
    /// Every α here is a within-group α of a subset of one parent, which depends only on the subset's ratings: with
    /// <paramref name="restrictToParent"/> each parent's permutations run on an engine over the parent's ratings alone,
    /// computing α only (a parent is a third to a half of the raters, so each permutation touches that share of the
    /// ratings); without, on the whole data with the cross reliabilities as well, as before. Same values to the bit
    /// (IntersectionReliabilityTests compares the two). With <paramref name="batched"/> (and
    /// <paramref name="restrictToParent"/>) the permuted subsets are evaluated <see cref="AgreementEngine.GroupLanes"/> at a
    /// time in one pass over the parent's ratings (<see cref="AgreementEngine.WithinIrrOfGroups"/>), again to the bit;
    /// without, one labelling per pass.
    /// </remarks>
    internal static IReadOnlyList<IntersectionVsParent> Analyze(
        IEnumerable<Rating> ratings, IEnumerable<RaterProfile> profiles, IReadOnlyList<string> axes, MeasurementLevel level,
        int minGroupSize, int permutations, int seed, Func<string, string, bool>? shown, bool restrictToParent, bool batched)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(axes);
        shown ??= (_, _) => true;
        minGroupSize = Math.Max(2, minGroupSize);
        var data = CodedRatings.Build(ratings);
        var raters = data.RaterIds.Length;
        var index = data.RaterIds.Select((r, i) => (r, i)).ToDictionary(t => t.r, t => t.i, StringComparer.Ordinal);
        var rated = profiles.Where(p => index.ContainsKey(p.Rater)).ToList();
        var groups = IdentityGroups.Assign(rated, axes, intersections: true)
            .ToDictionary(kv => kv.Key, kv => kv.Value.Select(r => index[r]).Order().ToArray());
        var whole = new AgreementEngine(data, level, 1, withinOnly: restrictToParent);
        var engines = new Dictionary<(string, string), AgreementEngine>();
        var labels = new int[raters];

        AgreementEngine ParentEngine((string Axis, string Group) parent, int[] members)
        {
            if (!restrictToParent)
            {
                return whole;
            }

            if (!engines.TryGetValue(parent, out var engine))
            {
                var keep = new bool[raters];
                foreach (var m in members)
                {
                    keep[m] = true;
                }

                engine = new AgreementEngine(data.Restrict(keep), level, 1, withinOnly: true);
                engines[parent] = engine;
            }

            return engine;
        }

        double Irr(AgreementEngine engine, IEnumerable<int> members)
        {
            Array.Fill(labels, -1);
            foreach (var m in members)
            {
                labels[m] = 0;
            }

            return engine.Compute(labels)[0].Irr;
        }

        var bits = new byte[raters];
        var lanes = new double[AgreementEngine.GroupLanes];

        // α of each of the first count subsets into lanes[0..count).
        void Irrs(AgreementEngine engine, int[][] subsets, int count)
        {
            if (!(batched && restrictToParent))
            {
                for (var j = 0; j < count; j++)
                {
                    lanes[j] = Irr(engine, subsets[j]);
                }

                return;
            }

            Array.Clear(bits);
            for (var j = 0; j < count; j++)
            {
                foreach (var m in subsets[j])
                {
                    bits[m] |= (byte)(1 << j);
                }
            }

            engine.WithinIrrOfGroups(bits, lanes);
        }

        var results = new List<IntersectionVsParent>();
        foreach (var ((axis, group), members) in groups)
        {
            var parts = axis.Split(IdentityGroups.Separator);
            if (parts.Length < 2 || members.Length < minGroupSize || !shown(axis, group))
            {
                continue;
            }

            var values = group.Split(IdentityGroups.Separator);
            var irr = Irr(whole, members);
            for (var a = 0; a < parts.Length; a++)
            {
                if (!groups.TryGetValue((parts[a], values[a]), out var parent) || !shown(parts[a], values[a]))
                {
                    continue;
                }

                var engine = ParentEngine((parts[a], values[a]), parent);
                var parentIrr = Irr(engine, parent);
                var d = irr - parentIrr;
                var (p, exact, b) = parent.Length == members.Length || double.IsNaN(d)
                    ? (double.NaN, false, 0)
                    : PValue(d, parent, members.Length, parentIrr, (subsets, count) => { Irrs(engine, subsets, count); return lanes; }, permutations, Seeds.For(seed, results.Count));
                results.Add(new IntersectionVsParent(axis, group, members.Length, irr, parts[a], values[a], parent.Length, parentIrr, d, p, double.NaN, exact, b));
            }
        }

        var q = MultipleTesting.BenjaminiHochberg(results.Select(r => r.PGreater).ToArray());
        return results.Select((r, i) => r with { QGreater = q[i] }).ToList();
    }

    // The α of the first count subsets (at most AgreementEngine.GroupLanes), at the start of the array returned.
    private delegate double[] SubsetIrrs(int[][] subsets, int count);

    // The subsets are drawn as before (permutation b from its own seed, the exact path's combinations in lexicographic order)
    // and counted in that order; only their α are computed a few at a time.
    private static (double P, bool Exact, int Count) PValue(double observed, int[] parent, int size, double parentIrr, SubsetIrrs irrs, int permutations, int seed)
    {
        const double eps = 1e-12;
        var lanes = AgreementEngine.GroupLanes;
        var subsets = new int[lanes][];
        for (var j = 0; j < lanes; j++)
        {
            subsets[j] = new int[size];
        }

        var combinations = Binomial(parent.Length, size);
        if (combinations <= Math.Max(permutations, 0))
        {
            var pick = Enumerable.Range(0, size).ToArray();
            long atLeast = 0, total = 0;
            var more = true;
            while (more)
            {
                var count = 0;
                while (more && count < lanes)
                {
                    for (var i = 0; i < size; i++)
                    {
                        subsets[count][i] = parent[pick[i]];
                    }

                    count++;
                    more = NextCombination(pick, parent.Length);
                }

                var irr = irrs(subsets, count);
                for (var j = 0; j < count; j++)
                {
                    var d = irr[j] - parentIrr;
                    if (!double.IsNaN(d))
                    {
                        total++;
                        atLeast += d >= observed - eps ? 1 : 0;
                    }
                }
            }

            return total == 0 ? (double.NaN, true, 0) : ((double)atLeast / total, true, (int)total);
        }

        if (permutations <= 0)
        {
            return (double.NaN, false, 0);
        }

        var order = new int[parent.Length];
        var found = 0;
        var used = 0;
        for (var b0 = 0; b0 < permutations; b0 += lanes)
        {
            var count = Math.Min(lanes, permutations - b0);
            for (var j = 0; j < count; j++)
            {
                var rng = new Random(Seeds.For(seed, b0 + j));
                Array.Copy(parent, order, parent.Length);
                for (var i = order.Length - 1; i > 0; i--)
                {
                    var k = rng.Next(i + 1);
                    (order[i], order[k]) = (order[k], order[i]);
                }

                Array.Copy(order, subsets[j], size);
            }

            var irr = irrs(subsets, count);
            for (var j = 0; j < count; j++)
            {
                var d = irr[j] - parentIrr;
                if (double.IsNaN(d))
                {
                    continue;
                }

                used++;
                found += d >= observed - eps ? 1 : 0;
            }
        }

        return used == 0 ? (double.NaN, false, 0) : ((1.0 + found) / (1.0 + used), false, used);
    }

    private static double Binomial(int n, int k)
    {
        var c = 1.0;
        for (var i = 1; i <= k; i++)
        {
            c = c * (n - k + i) / i;
        }

        return Math.Round(c);
    }

    // Next k-subset of 0..n−1 in lexicographic order; false after the last.
    private static bool NextCombination(int[] pick, int n)
    {
        var k = pick.Length;
        var i = k - 1;
        while (i >= 0 && pick[i] == n - k + i)
        {
            i--;
        }

        if (i < 0)
        {
            return false;
        }

        pick[i]++;
        for (var j = i + 1; j < k; j++)
        {
            pick[j] = pick[j - 1] + 1;
        }

        return true;
    }
}
