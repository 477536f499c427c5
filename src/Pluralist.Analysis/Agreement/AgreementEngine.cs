using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pluralist.Analysis.Agreement;

/// <summary>Within-group reliability (Krippendorff's α) and cross reliability (xRR) of one group against all other raters.</summary>
internal readonly record struct GroupReliability(
    double Irr, double IrrObserved, double IrrExpected, int Pairable,
    double Xrr, double XrrObserved, double XrrExpected, int CommonItems, int GroupRatings, int OtherRatings);

/// <summary>
/// Computes, for a labelling of raters into groups, every group's α (Krippendorff 2011) and its
/// xRR against everyone else (Wong, Paritosh and Aroyo 2021), in one pass over the items.
/// <para>
/// α: D_o = (1/n) Σ_u 1/(m_u − 1) Σ_{i≠j in u} δ(v_i, v_j), D_e = 1/(n(n − 1)) Σ_{c,k} n_c n_k δ_ck,
/// over items with m_u ≥ 2 values, α = 1 − D_o/D_e.
/// xRR of pools X, Y on items rated by both: d_o = Σ_u (r_u + s_u)/(r_u s_u) Σ_{i,j} δ(x_ui, y_uj) / Σ_u (r_u + s_u),
/// d_e = Σ_{i,j} δ(x_i, y_j) / (R S) over the pooled values, xRR = 1 − d_o/d_e.
/// </para>
/// Nominal, ordinal and ratio data accumulate coincidence matrices (V × V per group, V distinct
/// values) and apply δ at the end (the ordinal δ needs the marginals); interval data accumulate
/// count, sum and sum of squares only, since Σ_{i,j}(x_i − y_j)² = S·ΣX² + R·ΣY² − 2 ΣX ΣY.
/// A workspace is not thread-safe: use one per thread.
/// </summary>
internal sealed class AgreementEngine
{
    private readonly CodedRatings _data;
    private readonly MeasurementLevel _level;
    private readonly int _groups;
    private readonly int _v;
    private readonly bool _moments;
    private readonly bool _withinOnly;
    private readonly double[] _centered;
    private readonly double[]? _fixedDelta;

    // Per-item scratch.
    private readonly int[] _itemCount;
    private readonly List<int> _itemValues = [];
    private readonly int[] _m;
    private readonly List<int> _touched = [];
    private readonly int[] _cnt;
    private readonly double[] _s1;
    private readonly double[] _s2;

    // Accumulators (coincidence path).
    private readonly double[] _within;
    private readonly double[] _cross;
    private readonly double[] _marg;
    private readonly double[] _hg;
    private readonly double[] _hr;

    // Accumulators shared by both paths.
    private readonly double[] _withinSum;
    private readonly int[] _pairable;
    private readonly double[] _crossSum;
    private readonly double[] _crossDen;
    private readonly int[] _commonItems;
    private readonly double[] _gN;
    private readonly double[] _gS1;
    private readonly double[] _gS2;
    private readonly double[] _rN;
    private readonly double[] _rS1;
    private readonly double[] _rS2;
    private readonly double[] _pS1;
    private readonly double[] _pS2;

    /// <summary>Above this many distinct values the V × V coincidence matrices get too large.</summary>
    public const int MaxCategories = 1024;

    /// <summary>
    /// An engine for <paramref name="groups"/> groups. With <paramref name="withinOnly"/> it computes each group's α only
    /// (the cross-reliability fields are NaN): the per-item work then touches only the groups' members, with the same
    /// additions in the same order, so α has the same bits as with the full computation.
    /// </summary>
    public AgreementEngine(CodedRatings data, MeasurementLevel level, int groups, bool withinOnly = false)
    {
        _data = data;
        _level = level;
        _groups = groups;
        _withinOnly = withinOnly;
        _v = data.Values.Length;
        _moments = level == MeasurementLevel.Interval;
        if (!_moments && _v > MaxCategories)
        {
            throw new ArgumentException($"{level} data has {_v} distinct values; at most {MaxCategories} are supported (use the interval level for continuous values)");
        }

        if (level == MeasurementLevel.Ratio && _v > 0 && data.Values[0] < 0)
        {
            throw new ArgumentException($"ratio data must be non-negative; found {data.Values[0]}");
        }

        // Interval differences do not depend on the origin: centre for numerical stability of S2 − S1².
        var mean = _v == 0 ? 0 : data.Values.Average();
        _centered = data.Values.Select(x => x - mean).ToArray();
        _fixedDelta = level switch
        {
            MeasurementLevel.Nominal => Delta(level, data.Values, null),
            MeasurementLevel.Ratio => Delta(level, data.Values, null),
            _ => null,
        };

        _itemCount = new int[_v];
        _m = new int[groups];
        _s1 = new double[groups];
        _s2 = new double[groups];
        var gv = _moments ? 0 : groups * _v;
        var gvv = _moments ? 0 : groups * _v * _v;
        _cnt = new int[gv];
        _within = new double[gvv];
        _cross = new double[gvv];
        _marg = new double[gv];
        _hg = new double[gv];
        _hr = new double[gv];
        _withinSum = new double[groups];
        _pairable = new int[groups];
        _crossSum = new double[groups];
        _crossDen = new double[groups];
        _commonItems = new int[groups];
        _gN = new double[groups];
        _gS1 = new double[groups];
        _gS2 = new double[groups];
        _rN = new double[groups];
        _rS1 = new double[groups];
        _rS2 = new double[groups];
        _pS1 = new double[groups];
        _pS2 = new double[groups];
    }

    /// <summary>Reliability of every group 0..groups−1; <paramref name="labelOfRater"/> −1 puts a rater in no group (but among "everyone else").</summary>
    public GroupReliability[] Compute(ReadOnlySpan<int> labelOfRater) => Compute(labelOfRater, 1);

    /// <summary>
    /// Reliability of every group of several labellings at once (the axes of a study and their intersections): rater r's
    /// group in labelling l is <paramref name="labels"/>[l · R + r] (R raters; −1: none), the labellings' groups numbered
    /// apart. Each group's sums are those one labelling at a time gives, added in the same order, so the same bits,
    /// while the ratings and the items' totals are read once for all labellings.
    /// </summary>
    public GroupReliability[] Compute(ReadOnlySpan<int> labels, int layers)
    {
        if (layers > 1 && _withinOnly)
        {
            throw new InvalidOperationException("several labellings at once are for the full computation");
        }

        Clear();
        var raters = layers == 1 ? 0 : labels.Length / layers;
        var start = _data.ItemStart;
        for (var u = 0; u + 1 < start.Length; u++)
        {
            if (_moments)
            {
                if (_withinOnly)
                {
                    ItemMomentsWithin(start[u], start[u + 1], labels);
                }
                else
                {
                    ItemMoments(start[u], start[u + 1], labels, layers, raters);
                }
            }
            else if (_withinOnly)
            {
                ItemCoincidencesWithin(start[u], start[u + 1], labels);
            }
            else
            {
                ItemCoincidences(start[u], start[u + 1], labels, layers, raters);
            }
        }

        var result = new GroupReliability[_groups];
        for (var g = 0; g < _groups; g++)
        {
            result[g] = _moments ? FinishMoments(g) : FinishCoincidences(g);
        }

        return result;
    }

    /// <summary>How many groups <see cref="WithinIrrOfGroups"/> takes at once: one per lane of a 256-bit vector of doubles.</summary>
    public const int GroupLanes = 4;

    /// <summary>Above this many distinct values <see cref="ComputeLanes"/> is not offered for nominal, ordinal and ratio data (its V × V cells per group grow).</summary>
    public const int MaxLaneCategories = 16;

    // Per-rater lane masks and per-value lane accumulators of WithinIrrOfGroups, made at first use.
    private Vector256<double>[]? _laneMask;
    private Vector256<double>[]? _laneCnt;
    private Vector256<double>[]? _laneWithin;
    private Vector256<double>[]? _laneMarg;
    private double[]? _laneScratch;

    /// <summary>
    /// Krippendorff's α within each of up to <see cref="GroupLanes"/> groups at once, for the permutation tests (random
    /// subsets of one parent group): rater r is in group l when bit l of <paramref name="groupsOfRater"/>[r] is set, and
    /// <paramref name="irr"/>[l] gets the α that <see cref="Compute(ReadOnlySpan{int})"/> gives for group l alone (its
    /// members labelled 0, everyone else −1), to the bit. The ratings are read once for all the groups: each group is a
    /// lane of a vector, and a rating adds its value ANDed with the rater's mask for that lane, i.e. the value for a
    /// member and +0.0 for anyone else. Adding +0.0 leaves a sum unchanged (a sum that starts at +0.0 is never −0.0), so
    /// each lane's sums are the scalar path's, the same terms in the same order, and an item's terms are added to a
    /// group's totals only where the group has two or more members on it, as there.
    /// </summary>
    public void WithinIrrOfGroups(ReadOnlySpan<byte> groupsOfRater, Span<double> irr)
    {
        var raters = _data.RaterIds.Length;
        if (groupsOfRater.Length != raters)
        {
            throw new ArgumentException($"expected one entry per rater ({raters}); got {groupsOfRater.Length}", nameof(groupsOfRater));
        }

        if (irr.Length < GroupLanes)
        {
            throw new ArgumentException($"expected room for {GroupLanes} values; got {irr.Length}", nameof(irr));
        }

        var mask = _laneMask ??= new Vector256<double>[raters];
        for (var r = 0; r < raters; r++)
        {
            var b = groupsOfRater[r];
            mask[r] = Vector256.Create((b & 1) != 0 ? -1L : 0L, (b & 2) != 0 ? -1L : 0L, (b & 4) != 0 ? -1L : 0L, (b & 8) != 0 ? -1L : 0L).AsDouble();
        }

        if (_moments)
        {
            LaneMoments(mask, irr);
        }
        else
        {
            LaneCoincidences(mask, irr);
        }
    }

    // ItemMomentsWithin over every item, one group per lane, then FinishMoments' within part per lane.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LaneMoments(Vector256<double>[] mask, Span<double> irr)
    {
        var start = _data.ItemStart;
        var raterOf = _data.RaterOf;
        var valueOf = _data.ValueOf;
        var centered = _centered;
        var one = Vector256.Create(1.0);
        var two = Vector256.Create(2.0);
        var withinSum = Vector256<double>.Zero;
        var pairable = Vector256<double>.Zero;
        var pS1 = Vector256<double>.Zero;
        var pS2 = Vector256<double>.Zero;
        for (var u = 0; u + 1 < start.Length; u++)
        {
            int from = start[u], to = start[u + 1];
            if (to - from < 2)
            {
                continue;
            }

            var m = Vector256<double>.Zero;
            var s1 = Vector256<double>.Zero;
            var s2 = Vector256<double>.Zero;
            for (var i = from; i < to; i++)
            {
                var lane = mask[raterOf[i]];
                var x = centered[valueOf[i]];
                m += one & lane;
                s1 += Vector256.Create(x) & lane;
                s2 += Vector256.Create(x * x) & lane;
            }

            var pairs = Vector256.GreaterThanOrEqual(m, two);
            if (pairs == Vector256<double>.Zero)
            {
                continue;
            }

            // Σ_{i,j} (x_i − x_j)² = 2 m S2 − 2 S1², as in ItemMomentsWithin.
            var term = ((two * m * s2) - (two * s1 * s1)) / (m - one);
            withinSum = Vector256.ConditionalSelect(pairs, withinSum + term, withinSum);
            pairable = Vector256.ConditionalSelect(pairs, pairable + m, pairable);
            pS1 = Vector256.ConditionalSelect(pairs, pS1 + s1, pS1);
            pS2 = Vector256.ConditionalSelect(pairs, pS2 + s2, pS2);
        }

        for (var l = 0; l < GroupLanes; l++)
        {
            var n = pairable.GetElement(l);
            var (dObs, dExp) = WithinFromMoments(withinSum.GetElement(l), n, pS1.GetElement(l), pS2.GetElement(l));
            irr[l] = Ratio(dObs, dExp, n >= 2);
        }
    }

    // ItemCoincidencesWithin over every item, one group per lane, then FinishCoincidences' within part per lane. A value
    // no member of a lane's group gave on an item adds +0.0 to that lane's cells, where the scalar path adds nothing.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LaneCoincidences(Vector256<double>[] mask, Span<double> irr)
    {
        var v = _v;
        var cnt = _laneCnt ??= new Vector256<double>[v];
        var within = _laneWithin ??= new Vector256<double>[v * v];
        var marg = _laneMarg ??= new Vector256<double>[v];
        Array.Clear(within);
        Array.Clear(marg);
        var start = _data.ItemStart;
        var raterOf = _data.RaterOf;
        var valueOf = _data.ValueOf;
        var values = _itemValues;
        var one = Vector256.Create(1.0);
        var two = Vector256.Create(2.0);
        var pairable = Vector256<double>.Zero;
        for (var u = 0; u + 1 < start.Length; u++)
        {
            int from = start[u], to = start[u + 1];
            if (to - from < 2)
            {
                continue;
            }

            var m = Vector256<double>.Zero;
            for (var i = from; i < to; i++)
            {
                var c = valueOf[i];
                if (_itemCount[c]++ == 0)
                {
                    values.Add(c);
                }

                var member = one & mask[raterOf[i]];
                cnt[c] += member;
                m += member;
            }

            var pairs = Vector256.GreaterThanOrEqual(m, two);
            if (pairs != Vector256<double>.Zero)
            {
                // o_ck += h_c h_k / (m − 1), c ≠ k, in the lanes with two or more members.
                var inv = one / (m - one);
                pairable = Vector256.ConditionalSelect(pairs, pairable + m, pairable);
                foreach (var c in values)
                {
                    var a = cnt[c];
                    marg[c] = Vector256.ConditionalSelect(pairs, marg[c] + a, marg[c]);
                    var row = c * v;
                    foreach (var k in values)
                    {
                        if (k != c)
                        {
                            var cell = within[row + k];
                            within[row + k] = Vector256.ConditionalSelect(pairs, cell + (a * cnt[k] * inv), cell);
                        }
                    }
                }
            }

            foreach (var c in values)
            {
                cnt[c] = Vector256<double>.Zero;
                _itemCount[c] = 0;
            }

            values.Clear();
        }

        var scratch = _laneScratch ??= new double[(v * v) + v];
        var laneWithin = scratch.AsSpan(0, v * v);
        var laneMarg = scratch.AsSpan(v * v, v);
        for (var l = 0; l < GroupLanes; l++)
        {
            for (var j = 0; j < v * v; j++)
            {
                laneWithin[j] = within[j].GetElement(l);
            }

            for (var c = 0; c < v; c++)
            {
                laneMarg[c] = marg[c].GetElement(l);
            }

            var n = pairable.GetElement(l);
            var (dObs, dExp) = WithinFromCoincidences(laneWithin, laneMarg, n);
            irr[l] = Ratio(dObs, dExp, n >= 2);
        }
    }

    /// <summary>
    /// Every group's α and xRR for <see cref="GroupLanes"/> labellings at once (interval data, or at most
    /// <see cref="MaxLaneCategories"/> distinct values) (permutations of the same
    /// layouts), labelling j of layer l being <paramref name="labels"/>[((j · layers) + l) · R + r] (groups 0..groups−1 of the
    /// engine, −1: none). Result [j · groups + g] is what <see cref="Compute(ReadOnlySpan{int}, int)"/> gives for labelling j
    /// alone, to the bit: a rating's value is added to its group's sums lane by lane, in the same order, and each item's
    /// terms are formed for the four labellings at once with the same operations, added only in the lanes where the scalar
    /// path adds them (the group has two members on the item for α; one, and someone outside, for xRR).
    /// </summary>
    public GroupReliability[] ComputeLanes(ReadOnlySpan<int> labels, int layers)
    {
        if (_withinOnly || (!_moments && _v > MaxLaneCategories))
        {
            throw new InvalidOperationException($"labellings in lanes are for the full computation on interval data or at most {MaxLaneCategories} distinct values");
        }

        var raters = _data.RaterIds.Length;
        if (labels.Length != GroupLanes * layers * raters)
        {
            throw new ArgumentException($"expected {GroupLanes} x {layers} labellings of {raters} raters; got {labels.Length} labels", nameof(labels));
        }

        var g4 = _groups * GroupLanes;
        if (!_moments)
        {
            return LanesOfCoincidences(labels, layers, raters);
        }

        if (_laneItem is null || _laneItem.Length != 3 * g4)
        {
            _laneItem = new double[3 * g4];
            _laneSums = new Vector256<double>[13 * _groups];
        }

        Array.Clear(_laneSums!);
        LaneItemMoments(labels, layers, raters);
        var result = new GroupReliability[g4];
        var sums = _laneSums!;
        var gs = _groups;
        for (var j = 0; j < GroupLanes; j++)
        {
            for (var g = 0; g < gs; g++)
            {
                double At(int k) => sums[(k * gs) + g].GetElement(j);
                var pairable = (int)At(1);
                double n = pairable;
                var (dObs, dExp) = WithinFromMoments(At(0), n, At(2), At(3));
                result[(j * gs) + g] = CrossFromMoments(Ratio(dObs, dExp, n >= 2), dObs, dExp, pairable,
                    At(4), At(5), (int)At(6), At(7), At(8), At(9), At(10), At(11), At(12));
            }
        }

        return result;
    }

    // Per item, per group and lane: the count of each value at [(g·V + c)·4 + j] and the members at [G·V·4 + g·4 + j].
    private double[]? _laneCounts;

    // Accumulated over items per group, a lane per labelling: within and cross coincidences [g·V·V + c·V + k], marginals,
    // the group's and the rest's value counts [g·V + c], and pairable, crossDen, commonItems, gN, rN at [k·G + g].
    private Vector256<double>[]? _laneWithinSums;
    private Vector256<double>[]? _laneCrossSums;
    private Vector256<double>[]? _laneMargSums;
    private Vector256<double>[]? _laneHg;
    private Vector256<double>[]? _laneHr;
    private Vector256<double>[]? _laneCounters;

    private GroupReliability[] LanesOfCoincidences(ReadOnlySpan<int> labels, int layers, int raters)
    {
        var (v, gs) = (_v, _groups);
        if (_laneCounts is null)
        {
            _laneCounts = new double[((gs * v) + gs) * GroupLanes];
            _laneWithinSums = new Vector256<double>[gs * v * v];
            _laneCrossSums = new Vector256<double>[gs * v * v];
            _laneMargSums = new Vector256<double>[gs * v];
            _laneHg = new Vector256<double>[gs * v];
            _laneHr = new Vector256<double>[gs * v];
            _laneCounters = new Vector256<double>[5 * gs];
        }

        Array.Clear(_laneWithinSums!);
        Array.Clear(_laneCrossSums!);
        Array.Clear(_laneMargSums!);
        Array.Clear(_laneHg!);
        Array.Clear(_laneHr!);
        Array.Clear(_laneCounters!);
        LaneItemCoincidences(labels, layers, raters);
        var result = new GroupReliability[gs * GroupLanes];
        var within = new double[v * v];
        var cross = new double[v * v];
        var marg = new double[v];
        var hg = new double[v];
        var hr = new double[v];
        var counters = _laneCounters!;
        for (var j = 0; j < GroupLanes; j++)
        {
            for (var g = 0; g < gs; g++)
            {
                for (var x = 0; x < v * v; x++)
                {
                    within[x] = _laneWithinSums![(g * v * v) + x].GetElement(j);
                    cross[x] = _laneCrossSums![(g * v * v) + x].GetElement(j);
                }

                for (var c = 0; c < v; c++)
                {
                    marg[c] = _laneMargSums![(g * v) + c].GetElement(j);
                    hg[c] = _laneHg![(g * v) + c].GetElement(j);
                    hr[c] = _laneHr![(g * v) + c].GetElement(j);
                }

                result[(j * gs) + g] = FinishCoincidences(within, marg, (int)counters[g].GetElement(j), hg, hr, cross,
                    counters[gs + g].GetElement(j), (int)counters[(2 * gs) + g].GetElement(j), counters[(3 * gs) + g].GetElement(j), counters[(4 * gs) + g].GetElement(j));
            }
        }

        return result;
    }

    // ItemCoincidences for four labellings at once: each value count per group and lane, then each group's terms for the
    // four lanes with the scalar path's operations, added in the lanes where it adds them. A value a lane's group did not
    // give (or that everyone else did not give) adds +0.0 to that lane's cells, where the scalar path adds nothing.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LaneItemCoincidences(ReadOnlySpan<int> labels, int layers, int raters)
    {
        var (v, gs) = (_v, _groups);
        var start = _data.ItemStart;
        var raterOf = _data.RaterOf;
        var valueOf = _data.ValueOf;
        var counts = _laneCounts.AsSpan();
        var members = counts[(gs * v * GroupLanes)..];
        var withinSums = _laneWithinSums.AsSpan();
        var crossSums = _laneCrossSums.AsSpan();
        var marg = _laneMargSums.AsSpan();
        var hg = _laneHg.AsSpan();
        var hr = _laneHr.AsSpan();
        var counters = _laneCounters.AsSpan();
        var values = _itemValues;
        var laneStride = layers * raters;
        var one = Vector256.Create(1.0);
        var two = Vector256.Create(2.0);
        for (var u = 0; u + 1 < start.Length; u++)
        {
            int from = start[u], to = start[u + 1];
            var mu = to - from;
            if (mu < 2)
            {
                continue;
            }

            for (var i = from; i < to; i++)
            {
                var c = valueOf[i];
                if (_itemCount[c]++ == 0)
                {
                    values.Add(c);
                }

                var r = raterOf[i];
                for (var j = 0; j < GroupLanes; j++)
                {
                    var at = (j * laneStride) + r;
                    for (var l = 0; l < layers; l++, at += raters)
                    {
                        var g = labels[at];
                        if (g >= 0)
                        {
                            members[(g * GroupLanes) + j]++;
                            counts[(((g * v) + c) * GroupLanes) + j]++;
                        }
                    }
                }
            }

            var vmu = Vector256.Create((double)mu);
            for (var g = 0; g < gs; g++)
            {
                var mg = Vector256.Create(members[g * GroupLanes], members[(g * GroupLanes) + 1], members[(g * GroupLanes) + 2], members[(g * GroupLanes) + 3]);
                if (mg == Vector256<double>.Zero)
                {
                    continue;
                }

                members.Slice(g * GroupLanes, GroupLanes).Clear();
                var mr = vmu - mg;
                var gv = g * v;
                var pairs = Vector256.GreaterThanOrEqual(mg, two);
                if (pairs != Vector256<double>.Zero)
                {
                    // o_ck += h_c h_k / (m − 1), c ≠ k.
                    var inv = one / (mg - one);
                    Add(counters, g, pairs, mg);
                    foreach (var c in values)
                    {
                        var a = Count(counts, gv + c);
                        Add(marg, gv + c, pairs, a);
                        var row = (gv + c) * v;
                        foreach (var k in values)
                        {
                            if (k != c)
                            {
                                Add(withinSums, row + k, pairs, a * Count(counts, gv + k) * inv);
                            }
                        }
                    }
                }

                var crossed = Vector256.GreaterThanOrEqual(mg, one) & Vector256.GreaterThanOrEqual(mr, one);
                if (crossed != Vector256<double>.Zero)
                {
                    // Cross coincidences weighted (r_u + s_u)/(r_u s_u).
                    var w = vmu / (mg * mr);
                    Add(counters, gs + g, crossed, vmu);
                    Add(counters, (2 * gs) + g, crossed, one);
                    Add(counters, (3 * gs) + g, crossed, mg);
                    Add(counters, (4 * gs) + g, crossed, mr);
                    foreach (var c in values)
                    {
                        var a = Count(counts, gv + c);
                        Add(hg, gv + c, crossed, a);
                        Add(hr, gv + c, crossed, Vector256.Create((double)_itemCount[c]) - a);
                        var row = (gv + c) * v;
                        foreach (var k in values)
                        {
                            if (k != c)
                            {
                                var b = Vector256.Create((double)_itemCount[k]) - Count(counts, gv + k);
                                Add(crossSums, row + k, crossed, w * a * b);
                            }
                        }
                    }
                }

                foreach (var c in values)
                {
                    counts.Slice((gv + c) * GroupLanes, GroupLanes).Clear();
                }
            }

            foreach (var c in values)
            {
                _itemCount[c] = 0;
            }

            values.Clear();
        }

        static Vector256<double> Count(Span<double> counts, int cell) =>
            Vector256.Create(counts[cell * GroupLanes], counts[(cell * GroupLanes) + 1], counts[(cell * GroupLanes) + 2], counts[(cell * GroupLanes) + 3]);

        static void Add(Span<Vector256<double>> sums, int at, Vector256<double> where, Vector256<double> term)
        {
            ref var sum = ref sums[at];
            sum = Vector256.ConditionalSelect(where, sum + term, sum);
        }
    }

    // Per item, per group and lane: count, S1, S2 at [g·4 + j], [G·4 + g·4 + j], [2·G·4 + g·4 + j].
    private double[]? _laneItem;

    // Accumulated over items, per group (a lane per labelling), 13 sums at [k·G + g]: withinSum, pairable, pS1, pS2,
    // crossSum, crossDen, commonItems, gN, gS1, gS2, rN, rS1, rS2 (the scalar path's arrays of the same names).
    private Vector256<double>[]? _laneSums;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LaneItemMoments(ReadOnlySpan<int> labels, int layers, int raters)
    {
        var start = _data.ItemStart;
        var raterOf = _data.RaterOf;
        var valueOf = _data.ValueOf;
        var centered = _centered;
        var gs = _groups;
        var g4 = gs * GroupLanes;
        var item = _laneItem!.AsSpan();
        var m = item[..g4];
        var s1 = item.Slice(g4, g4);
        var s2 = item.Slice(2 * g4, g4);
        var sums = _laneSums!.AsSpan();
        var laneStride = layers * raters;
        var one = Vector256.Create(1.0);
        var two = Vector256.Create(2.0);
        for (var u = 0; u + 1 < start.Length; u++)
        {
            int from = start[u], to = start[u + 1];
            var mu = to - from;
            if (mu < 2)
            {
                continue;
            }

            double t1 = 0, t2 = 0;
            for (var i = from; i < to; i++)
            {
                var x = centered[valueOf[i]];
                var xx = x * x;
                t1 += x;
                t2 += xx;
                var r = raterOf[i];
                for (var j = 0; j < GroupLanes; j++)
                {
                    var at = (j * laneStride) + r;
                    for (var l = 0; l < layers; l++, at += raters)
                    {
                        var g = labels[at];
                        if (g >= 0)
                        {
                            var cell = (g * GroupLanes) + j;
                            m[cell]++;
                            s1[cell] += x;
                            s2[cell] += xx;
                        }
                    }
                }
            }

            var vmu = Vector256.Create((double)mu);
            var vt1 = Vector256.Create(t1);
            var vt2 = Vector256.Create(t2);
            for (var g = 0; g < gs; g++)
            {
                var cell = g * GroupLanes;
                var mg = Vector256.Create(m[cell], m[cell + 1], m[cell + 2], m[cell + 3]);
                if (mg == Vector256<double>.Zero)
                {
                    continue;
                }

                var gs1 = Vector256.Create(s1[cell], s1[cell + 1], s1[cell + 2], s1[cell + 3]);
                var gs2 = Vector256.Create(s2[cell], s2[cell + 1], s2[cell + 2], s2[cell + 3]);
                m.Slice(cell, GroupLanes).Clear();
                s1.Slice(cell, GroupLanes).Clear();
                s2.Slice(cell, GroupLanes).Clear();
                var mr = vmu - mg;

                var pairs = Vector256.GreaterThanOrEqual(mg, two);
                if (pairs != Vector256<double>.Zero)
                {
                    // Σ_{i,j} (x_i − x_j)² = 2 m S2 − 2 S1², as in ItemMoments.
                    var within = ((two * mg * gs2) - (two * gs1 * gs1)) / (mg - one);
                    Add(sums, g, pairs, within);
                    Add(sums, gs + g, pairs, mg);
                    Add(sums, (2 * gs) + g, pairs, gs1);
                    Add(sums, (3 * gs) + g, pairs, gs2);
                }

                var crossed = Vector256.GreaterThanOrEqual(mg, one) & Vector256.GreaterThanOrEqual(mr, one);
                if (crossed != Vector256<double>.Zero)
                {
                    var r1 = vt1 - gs1;
                    var r2 = vt2 - gs2;
                    var cross = (mg * r2) + (mr * gs2) - (two * gs1 * r1);
                    Add(sums, (4 * gs) + g, crossed, vmu / (mg * mr) * cross);
                    Add(sums, (5 * gs) + g, crossed, vmu);
                    Add(sums, (6 * gs) + g, crossed, one);
                    Add(sums, (7 * gs) + g, crossed, mg);
                    Add(sums, (8 * gs) + g, crossed, gs1);
                    Add(sums, (9 * gs) + g, crossed, gs2);
                    Add(sums, (10 * gs) + g, crossed, mr);
                    Add(sums, (11 * gs) + g, crossed, r1);
                    Add(sums, (12 * gs) + g, crossed, r2);
                }
            }
        }

        static void Add(Span<Vector256<double>> sums, int at, Vector256<double> where, Vector256<double> term)
        {
            ref var sum = ref sums[at];
            sum = Vector256.ConditionalSelect(where, sum + term, sum);
        }
    }

    private void Clear()
    {
        Array.Clear(_within);
        Array.Clear(_cross);
        Array.Clear(_marg);
        Array.Clear(_hg);
        Array.Clear(_hr);
        Array.Clear(_withinSum);
        Array.Clear(_pairable);
        Array.Clear(_crossSum);
        Array.Clear(_crossDen);
        Array.Clear(_commonItems);
        Array.Clear(_gN);
        Array.Clear(_gS1);
        Array.Clear(_gS2);
        Array.Clear(_rN);
        Array.Clear(_rS1);
        Array.Clear(_rS2);
        Array.Clear(_pS1);
        Array.Clear(_pS2);
    }

    // Hot loops of a one-shot report process: compiled optimised at the first call rather than at tier 0 (HotKernelCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ItemCoincidences(int from, int to, ReadOnlySpan<int> label, int layers, int raters)
    {
        var mu = to - from;
        if (mu < 2)
        {
            return;
        }

        var v = _v;
        for (var i = from; i < to; i++)
        {
            var c = _data.ValueOf[i];
            if (_itemCount[c]++ == 0)
            {
                _itemValues.Add(c);
            }

            var r = _data.RaterOf[i];
            for (var l = 0; l < layers; l++)
            {
                var g = label[(l * raters) + r];
                if (g >= 0)
                {
                    if (_m[g]++ == 0)
                    {
                        _touched.Add(g);
                    }

                    _cnt[(g * v) + c]++;
                }
            }
        }

        var values = _itemValues;
        foreach (var g in _touched)
        {
            var mg = _m[g];
            var mr = mu - mg;
            var gv = g * v;
            if (mg >= 2)
            {
                // Coincidences o_ck += h_c h_k / (m − 1), c ≠ k (Krippendorff 2011, eq. for o_ck).
                var inv = 1.0 / (mg - 1);
                _pairable[g] += mg;
                foreach (var c in values)
                {
                    var a = _cnt[gv + c];
                    if (a == 0)
                    {
                        continue;
                    }

                    _marg[gv + c] += a;
                    var row = (gv + c) * v;
                    foreach (var k in values)
                    {
                        var b = _cnt[gv + k];
                        if (k != c && b != 0)
                        {
                            _within[row + k] += a * b * inv;
                        }
                    }
                }
            }

            if (mr >= 1)
            {
                // Cross coincidences weighted (r_u + s_u)/(r_u s_u) (Wong et al. 2021).
                var w = (double)mu / ((double)mg * mr);
                _crossDen[g] += mu;
                _commonItems[g]++;
                _gN[g] += mg;
                _rN[g] += mr;
                foreach (var c in values)
                {
                    var a = _cnt[gv + c];
                    _hg[gv + c] += a;
                    _hr[gv + c] += _itemCount[c] - a;
                    if (a == 0)
                    {
                        continue;
                    }

                    var row = (gv + c) * v;
                    foreach (var k in values)
                    {
                        var b = _itemCount[k] - _cnt[gv + k];
                        if (k != c && b != 0)
                        {
                            _cross[row + k] += w * a * b;
                        }
                    }
                }
            }
        }

        foreach (var g in _touched)
        {
            _m[g] = 0;
            var gv = g * v;
            foreach (var c in values)
            {
                _cnt[gv + c] = 0;
            }
        }

        foreach (var c in values)
        {
            _itemCount[c] = 0;
        }

        _touched.Clear();
        _itemValues.Clear();
    }

    // ItemCoincidences without the cross coincidences: the members' counts per value, then the within-group part with the
    // same terms (each cell of _within and _marg gets one addition per item, so the order the values are visited in does
    // not matter).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ItemCoincidencesWithin(int from, int to, ReadOnlySpan<int> label)
    {
        if (to - from < 2)
        {
            return;
        }

        var v = _v;
        var raterOf = _data.RaterOf;
        var valueOf = _data.ValueOf;
        for (var i = from; i < to; i++)
        {
            var g = label[raterOf[i]];
            if (g >= 0)
            {
                var c = valueOf[i];
                if (_itemCount[c]++ == 0)
                {
                    _itemValues.Add(c);
                }

                if (_m[g]++ == 0)
                {
                    _touched.Add(g);
                }

                _cnt[(g * v) + c]++;
            }
        }

        var values = _itemValues;
        foreach (var g in _touched)
        {
            var mg = _m[g];
            var gv = g * v;
            if (mg >= 2)
            {
                var inv = 1.0 / (mg - 1);
                _pairable[g] += mg;
                foreach (var c in values)
                {
                    var a = _cnt[gv + c];
                    if (a == 0)
                    {
                        continue;
                    }

                    _marg[gv + c] += a;
                    var row = (gv + c) * v;
                    foreach (var k in values)
                    {
                        var b = _cnt[gv + k];
                        if (k != c && b != 0)
                        {
                            _within[row + k] += a * b * inv;
                        }
                    }
                }
            }

            _m[g] = 0;
            foreach (var c in values)
            {
                _cnt[gv + c] = 0;
            }
        }

        foreach (var c in values)
        {
            _itemCount[c] = 0;
        }

        _touched.Clear();
        _itemValues.Clear();
    }

    // ItemMoments without the item totals and the cross part: the members' S1 and S2 in rating order, then the within terms.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ItemMomentsWithin(int from, int to, ReadOnlySpan<int> label)
    {
        if (to - from < 2)
        {
            return;
        }

        var raterOf = _data.RaterOf;
        var valueOf = _data.ValueOf;
        var centered = _centered;
        for (var i = from; i < to; i++)
        {
            var g = label[raterOf[i]];
            if (g >= 0)
            {
                var x = centered[valueOf[i]];
                if (_m[g]++ == 0)
                {
                    _touched.Add(g);
                }

                _s1[g] += x;
                _s2[g] += x * x;
            }
        }

        foreach (var g in _touched)
        {
            double mg = _m[g];
            var s1 = _s1[g];
            var s2 = _s2[g];
            if (mg >= 2)
            {
                _withinSum[g] += ((2 * mg * s2) - (2 * s1 * s1)) / (mg - 1);
                _pairable[g] += (int)mg;
                _pS1[g] += s1;
                _pS2[g] += s2;
            }

            _m[g] = 0;
            _s1[g] = 0;
            _s2[g] = 0;
        }

        _touched.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ItemMoments(int from, int to, ReadOnlySpan<int> label, int layers, int raters)
    {
        var mu = to - from;
        if (mu < 2)
        {
            return;
        }

        double t1 = 0, t2 = 0;
        for (var i = from; i < to; i++)
        {
            var x = _centered[_data.ValueOf[i]];
            t1 += x;
            t2 += x * x;
            var r = _data.RaterOf[i];
            for (var l = 0; l < layers; l++)
            {
                var g = label[(l * raters) + r];
                if (g >= 0)
                {
                    if (_m[g]++ == 0)
                    {
                        _touched.Add(g);
                    }

                    _s1[g] += x;
                    _s2[g] += x * x;
                }
            }
        }

        foreach (var g in _touched)
        {
            double mg = _m[g];
            var mr = mu - mg;
            var s1 = _s1[g];
            var s2 = _s2[g];
            if (mg >= 2)
            {
                // Σ_{i,j} (x_i − x_j)² = 2 m S2 − 2 S1².
                _withinSum[g] += ((2 * mg * s2) - (2 * s1 * s1)) / (mg - 1);
                _pairable[g] += (int)mg;
                _pS1[g] += s1;
                _pS2[g] += s2;
            }

            if (mr >= 1)
            {
                var r1 = t1 - s1;
                var r2 = t2 - s2;
                var cross = (mg * r2) + (mr * s2) - (2 * s1 * r1);
                _crossSum[g] += mu / (mg * mr) * cross;
                _crossDen[g] += mu;
                _commonItems[g]++;
                _gN[g] += mg;
                _gS1[g] += s1;
                _gS2[g] += s2;
                _rN[g] += mr;
                _rS1[g] += r1;
                _rS2[g] += r2;
            }

            _m[g] = 0;
            _s1[g] = 0;
            _s2[g] = 0;
        }

        _touched.Clear();
    }

    private GroupReliability FinishMoments(int g)
    {
        double n = _pairable[g];
        var (dObs, dExp) = WithinFromMoments(_withinSum[g], n, _pS1[g], _pS2[g]);
        if (_withinOnly)
        {
            return WithinOnly(Ratio(dObs, dExp, n >= 2), dObs, dExp, _pairable[g]);
        }

        return CrossFromMoments(Ratio(dObs, dExp, n >= 2), dObs, dExp, _pairable[g],
            _crossSum[g], _crossDen[g], _commonItems[g], _gN[g], _gS1[g], _gS2[g], _rN[g], _rS1[g], _rS2[g]);
    }

    private static GroupReliability CrossFromMoments(double irr, double dObs, double dExp, int pairable,
        double crossSum, double crossDen, int commonItems, double gN, double gS1, double gS2, double rN, double rS1, double rS2)
    {
        var xObs = crossSum / crossDen;
        var xExp = ((gN * rS2) + (rN * gS2) - (2 * gS1 * rS1)) / (gN * rN);
        return new GroupReliability(
            irr, dObs, dExp, pairable,
            Ratio(xObs, xExp, commonItems > 0), xObs, xExp, commonItems, (int)gN, (int)rN);
    }

    private GroupReliability FinishCoincidences(int g)
    {
        var v = _v;
        var gv = g * v;
        return FinishCoincidences(_within.AsSpan(gv * v, v * v), _marg.AsSpan(gv, v), _pairable[g], _hg.AsSpan(gv, v), _hr.AsSpan(gv, v),
            _cross.AsSpan(gv * v, v * v), _crossDen[g], _commonItems[g], _gN[g], _rN[g]);
    }

    // A group's α and xRR from its coincidences (V × V, row c at c·V), marginals and counts.
    private GroupReliability FinishCoincidences(ReadOnlySpan<double> within, ReadOnlySpan<double> marg, int pairable, ReadOnlySpan<double> hg, ReadOnlySpan<double> hr,
        ReadOnlySpan<double> crossSums, double crossDen, int commonItems, double gN, double rN)
    {
        var v = _v;
        double n = pairable;
        var (dObs, dExp) = WithinFromCoincidences(within, marg, n);
        if (_withinOnly)
        {
            return WithinOnly(Ratio(dObs, dExp, n >= 2), dObs, dExp, pairable);
        }

        double[] crossDelta;
        if (_fixedDelta is null)
        {
            var pooled = new double[v];
            for (var c = 0; c < v; c++)
            {
                pooled[c] = hg[c] + hr[c];
            }

            crossDelta = Delta(_level, _data.Values, pooled);
        }
        else
        {
            crossDelta = _fixedDelta;
        }

        double xo = 0, xe = 0;
        for (var c = 0; c < v; c++)
        {
            var row = c * v;
            for (var k = 0; k < v; k++)
            {
                var d = crossDelta[(c * v) + k];
                xo += crossSums[row + k] * d;
                xe += hg[c] * hr[k] * d;
            }
        }

        var xObs = xo / crossDen;
        var xExp = xe / (gN * rN);
        return new GroupReliability(
            Ratio(dObs, dExp, n >= 2), dObs, dExp, pairable,
            Ratio(xObs, xExp, commonItems > 0), xObs, xExp, commonItems, (int)gN, (int)rN);
    }

    // D_o and D_e of a group from its within-group sums (moments path).
    private static (double Observed, double Expected) WithinFromMoments(double withinSum, double n, double pS1, double pS2) =>
        (withinSum / n, ((2 * n * pS2) - (2 * pS1 * pS1)) / (n * (n - 1)));

    // D_o and D_e of a group from its V × V within coincidences (row c at c·V) and its marginals.
    private (double Observed, double Expected) WithinFromCoincidences(ReadOnlySpan<double> within, ReadOnlySpan<double> marg, double n)
    {
        var v = _v;
        var delta = _fixedDelta ?? Delta(_level, _data.Values, marg.ToArray());
        double wObs = 0, wExp = 0;
        for (var c = 0; c < v; c++)
        {
            var row = c * v;
            for (var k = 0; k < v; k++)
            {
                var d = delta[(c * v) + k];
                wObs += within[row + k] * d;
                wExp += marg[c] * marg[k] * d;
            }
        }

        return (wObs / n, wExp / (n * (n - 1)));
    }

    private static GroupReliability WithinOnly(double irr, double observed, double expected, int pairable) =>
        new(irr, observed, expected, pairable, double.NaN, double.NaN, double.NaN, 0, 0, 0);

    private static double Ratio(double observed, double expected, bool defined) =>
        defined && expected > 0 ? 1 - (observed / expected) : double.NaN;

    /// <summary>The V × V difference matrix δ_ck (Krippendorff 2011, section on metric differences).</summary>
    internal static double[] Delta(MeasurementLevel level, double[] values, double[]? marginals)
    {
        var v = values.Length;
        var delta = new double[v * v];
        double[]? cumulative = null;
        if (level == MeasurementLevel.Ordinal)
        {
            ArgumentNullException.ThrowIfNull(marginals);
            cumulative = new double[v + 1];
            for (var c = 0; c < v; c++)
            {
                cumulative[c + 1] = cumulative[c] + marginals[c];
            }
        }

        for (var c = 0; c < v; c++)
        {
            for (var k = 0; k < v; k++)
            {
                if (c == k)
                {
                    continue;
                }

                delta[(c * v) + k] = level switch
                {
                    MeasurementLevel.Nominal => 1,
                    MeasurementLevel.Interval => Square(values[c] - values[k]),
                    MeasurementLevel.Ratio => values[c] + values[k] == 0 ? 0 : Square((values[c] - values[k]) / (values[c] + values[k])),
                    // (Σ_{g=lo..hi} n_g − (n_c + n_k)/2)²
                    _ => Square(cumulative![Math.Max(c, k) + 1] - cumulative[Math.Min(c, k)] - ((marginals![c] + marginals[k]) / 2)),
                };
            }
        }

        return delta;
    }

    private static double Square(double x) => x * x;
}
