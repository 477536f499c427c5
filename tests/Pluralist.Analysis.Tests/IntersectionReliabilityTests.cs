using Pluralist.Analysis.Agreement;

namespace Pluralist.Analysis.Tests;

public class IntersectionReliabilityTests
{
    // 10 raters on 12 items: women W1..W6 (W1..W3 young), men M1..M4 (M1, M2 young). The young women share an
    // item-specific shift, so they agree among themselves more than the women as a whole.
    private static (List<Rating> Ratings, List<RaterProfile> Profiles) Study()
    {
        var rng = new Random(11);
        var truth = Enumerable.Range(0, 12).Select(_ => rng.Next(1, 6)).ToArray();
        var shift = Enumerable.Range(0, 12).Select(_ => rng.Next(-2, 3)).ToArray();
        var ratings = new List<Rating>();
        var profiles = new List<RaterProfile>();
        void Rater(string name, string gender, string age, bool shifted)
        {
            profiles.Add(new RaterProfile(name, new Dictionary<string, string?> { ["gender"] = gender, ["age"] = age }));
            for (var i = 0; i < 12; i++)
            {
                var v = truth[i] + (shifted ? shift[i] : 0) + (rng.NextDouble() < 0.3 ? rng.Next(-1, 2) : 0);
                ratings.Add(new Rating($"i{i}", name, Math.Clamp(v, 1, 5)));
            }
        }

        for (var w = 1; w <= 6; w++)
        {
            Rater($"W{w}", "woman", w <= 3 ? "young" : "old", w <= 3);
        }

        for (var m = 1; m <= 4; m++)
        {
            Rater($"M{m}", "man", m <= 2 ? "young" : "old", false);
        }

        return (ratings, profiles);
    }

    private static double Alpha(List<Rating> ratings, IEnumerable<string> members)
    {
        var set = members.ToHashSet(StringComparer.Ordinal);
        return NaiveAlpha.Compute(ratings.Where(r => set.Contains(r.Rater)).ToList(), MeasurementLevel.Ordinal);
    }

    [Fact]
    public void Irr_and_exact_p_match_a_naive_alpha_over_every_subset_of_the_parent()
    {
        var (ratings, profiles) = Study();
        var rows = IntersectionReliability.Analyze(ratings, profiles, ["gender", "age"], MeasurementLevel.Ordinal, minGroupSize: 2, permutations: 1000, seed: 1);
        var row = rows.Single(r => r.Group == "woman×young" && r.ParentAxis == "gender");
        string[] women = ["W1", "W2", "W3", "W4", "W5", "W6"];
        Assert.Equal(Alpha(ratings, ["W1", "W2", "W3"]), row.Irr, 9);
        Assert.Equal(Alpha(ratings, women), row.ParentIrr, 9);
        Assert.Equal((3, 6), (row.Raters, row.ParentRaters));
        Assert.Equal(row.Irr - row.ParentIrr, row.Difference, 12);

        // All C(6, 3) = 20 subsets of the women, by three nested loops.
        var diffs = new List<double>();
        for (var a = 0; a < 6; a++)
        {
            for (var b = a + 1; b < 6; b++)
            {
                for (var c = b + 1; c < 6; c++)
                {
                    diffs.Add(Alpha(ratings, [women[a], women[b], women[c]]) - row.ParentIrr);
                }
            }
        }

        Assert.True(row.Exact);
        Assert.Equal(20, row.Permutations);
        Assert.Equal(diffs.Count(d => d >= row.Difference - 1e-12) / 20.0, row.PGreater, 12);
        Assert.True(row.Difference > 0);
        Assert.Equal(0.05, row.PGreater, 12); // the planted subset is the most agreeing of the 20

        // Intersections are compared with both parents: woman×young also against young (W1..W3, M1, M2).
        var young = rows.Single(r => r.Group == "woman×young" && r.ParentAxis == "age");
        Assert.Equal(Alpha(ratings, ["W1", "W2", "W3", "M1", "M2"]), young.ParentIrr, 9);
        Assert.Equal(10, young.Permutations); // C(5, 3)
    }

    [Fact]
    public void Random_subsets_when_there_are_more_than_B_small_groups_are_left_out_and_q_is_adjusted()
    {
        var (ratings, profiles) = Study();
        var rows = IntersectionReliability.Analyze(ratings, profiles, ["gender", "age"], MeasurementLevel.Ordinal, minGroupSize: 3, permutations: 9, seed: 2);
        // Only woman×young (3) and woman×old (3) have 3 raters; man×young and man×old have 2.
        Assert.Equal(["woman×old", "woman×young"], rows.Select(r => r.Group).Distinct().Order(StringComparer.Ordinal));
        var r = rows.Single(x => x.Group == "woman×young" && x.ParentAxis == "gender");
        Assert.False(r.Exact); // 20 subsets > 9 permutations
        Assert.Equal(9, r.Permutations);
        Assert.InRange(r.PGreater, 0.1, 1);
        Assert.Equal(Math.Round(r.PGreater * 10), r.PGreater * 10, 9); // (1 + k)/(1 + 9)
        Assert.All(rows, x => Assert.True(x.QGreater >= x.PGreater));

        var hidden = IntersectionReliability.Analyze(ratings, profiles, ["gender", "age"], MeasurementLevel.Ordinal, 3, 9, 2, (axis, group) => group != "woman×old");
        Assert.DoesNotContain(hidden, x => x.Group == "woman×old");
    }

    [Theory]
    [InlineData(MeasurementLevel.Interval)]
    [InlineData(MeasurementLevel.Ordinal)]
    [InlineData(MeasurementLevel.Nominal)]
    public void Permutations_on_each_parents_own_ratings_give_the_bits_of_the_whole_data_computation(MeasurementLevel level)
    {
        // 46 raters (gender 3 ways, age 2 ways, a few without a marker), 80 items each rated by a random 40% of the
        // raters (so some items have no rating of a parent's members), values on a fine grid for interval data and 1-5
        // otherwise; a small intersection (nonbinary×young, 3 of 5) takes the exact path against its gender, the others
        // random subsets.
        var rng = new Random(5);
        var ratings = new List<Rating>();
        var profiles = new List<RaterProfile>();
        for (var r = 0; r < 46; r++)
        {
            var gender = r < 5 ? "nonbinary" : r % 2 == 0 ? "woman" : "man";
            var age = r < 5 ? (r < 3 ? "young" : "old") : r % 3 == 0 ? "old" : "young";
            profiles.Add(new RaterProfile($"r{r}", new Dictionary<string, string?> { ["gender"] = r == 45 ? null : gender, ["age"] = age }));
            for (var i = 0; i < 80; i++)
            {
                if (rng.NextDouble() < 0.4)
                {
                    var v = level == MeasurementLevel.Interval ? Math.Round((rng.NextDouble() * 2) - 1, 2) : rng.Next(1, 6);
                    ratings.Add(new Rating($"i{i}", $"r{r}", v));
                }
            }
        }

        // The shipped path (each parent's own ratings, four permuted subsets per pass), one labelling per pass on the
        // parent's ratings, and the whole data with the cross reliabilities: the same bits.
        var batched = IntersectionReliability.Analyze(ratings, profiles, ["gender", "age"], level, 3, 150, 9, null, restrictToParent: true, batched: true);
        var restricted = IntersectionReliability.Analyze(ratings, profiles, ["gender", "age"], level, 3, 150, 9, null, restrictToParent: true, batched: false);
        var whole = IntersectionReliability.Analyze(ratings, profiles, ["gender", "age"], level, 3, 150, 9, null, restrictToParent: false, batched: false);
        Assert.Equal(10, whole.Count); // five intersections of at least 3 raters (nonbinary×old has 2), two parents each
        Assert.Contains(whole, r => r.Exact);
        Assert.Contains(whole, r => !r.Exact && r.Permutations == 150);
        AssertSameBits(whole, restricted);
        AssertSameBits(whole, batched);
    }

    private static void AssertSameBits(IReadOnlyList<IntersectionVsParent> expected, IReadOnlyList<IntersectionVsParent> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var (a, b) = (expected[i], actual[i]);
            Assert.Equal((a.Axis, a.Group, a.ParentAxis, a.ParentGroup, a.Raters, a.ParentRaters, a.Exact, a.Permutations), (b.Axis, b.Group, b.ParentAxis, b.ParentGroup, b.Raters, b.ParentRaters, b.Exact, b.Permutations));
            foreach (var (x, y) in new[] { (a.Irr, b.Irr), (a.ParentIrr, b.ParentIrr), (a.Difference, b.Difference), (a.PGreater, b.PGreater), (a.QGreater, b.QGreater) })
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(x), BitConverter.DoubleToInt64Bits(y));
            }
        }
    }

    [Theory]
    [InlineData(MeasurementLevel.Interval)]
    [InlineData(MeasurementLevel.Ordinal)]
    [InlineData(MeasurementLevel.Nominal)]
    [InlineData(MeasurementLevel.Ratio)]
    public void Alpha_of_four_groups_in_one_pass_gives_the_bits_of_one_labelling_per_pass(MeasurementLevel level)
    {
        // 30 raters, 60 items each rated by a random share of the raters in random order (so an item's ratings are not in
        // rater order), values on a fine grid for interval data and 0-6 otherwise; 400 draws of up to four random groups
        // of every size, from empty to everyone, so that lanes with no member, one member or none on an item occur.
        var rng = new Random(17);
        var ratings = new List<Rating>();
        for (var i = 0; i < 60; i++)
        {
            var share = rng.NextDouble();
            foreach (var r in Enumerable.Range(0, 30).OrderBy(_ => rng.Next()))
            {
                if (rng.NextDouble() < share)
                {
                    var v = level == MeasurementLevel.Interval ? Math.Round((rng.NextDouble() * 6) - 2, 3) : rng.Next(0, 7);
                    ratings.Add(new Rating($"i{i}", $"r{r}", v));
                }
            }
        }

        var data = CodedRatings.Build(ratings);
        var raters = data.RaterIds.Length;
        var one = new AgreementEngine(data, level, 1, withinOnly: true);
        var lanes = new AgreementEngine(data, level, 1, withinOnly: true);
        var labels = new int[raters];
        var bits = new byte[raters];
        var irr = new double[AgreementEngine.GroupLanes];
        var defined = 0;
        for (var draw = 0; draw < 400; draw++)
        {
            var count = 1 + rng.Next(AgreementEngine.GroupLanes);
            var groups = Enumerable.Range(0, count).Select(_ =>
            {
                var size = rng.Next(raters + 1);
                return Enumerable.Range(0, raters).OrderBy(_ => rng.Next()).Take(size).ToArray();
            }).ToArray();
            Array.Clear(bits);
            for (var j = 0; j < count; j++)
            {
                foreach (var m in groups[j])
                {
                    bits[m] |= (byte)(1 << j);
                }
            }

            lanes.WithinIrrOfGroups(bits, irr);
            for (var j = 0; j < count; j++)
            {
                Array.Fill(labels, -1);
                foreach (var m in groups[j])
                {
                    labels[m] = 0;
                }

                var expected = one.Compute(labels)[0].Irr;
                defined += double.IsNaN(expected) ? 0 : 1;
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(irr[j]));
            }
        }

        Assert.True(defined > 400, $"only {defined} groups had a defined alpha");
    }
}
