using Pluralist.Analysis.Agreement;
using Xunit.Abstractions;

namespace Pluralist.Analysis.Tests;

public class GroupAssociationTests(ITestOutputHelper output)
{
    /// <summary>
    /// A synthetic study: items with a latent value, raters with independent noise, and the
    /// members of the planted group sharing an item-specific shift (a shared perspective).
    /// Axis "view" holds the planted group "shared" and the group "other"; axis "age" is drawn at
    /// random, independent of everything, so its groups carry no effect.
    /// </summary>
    internal static (List<Rating> Ratings, List<RaterProfile> Profiles) Simulate(int seed, int raters = 30, int planted = 10, int items = 30, double shift = 1.0)
    {
        var rng = new Random(seed);
        var latent = Enumerable.Range(0, items).Select(_ => Normal(rng)).ToArray();
        var perspective = Enumerable.Range(0, items).Select(_ => shift * Normal(rng)).ToArray();
        var ratings = new List<Rating>();
        var profiles = new List<RaterProfile>();
        for (var r = 0; r < raters; r++)
        {
            var inPlanted = r < planted;
            profiles.Add(new RaterProfile($"r{r}", new Dictionary<string, string?>
            {
                ["view"] = inPlanted ? "shared" : "other",
                ["age"] = rng.Next(2) == 0 ? "young" : "old",
            }));
            for (var u = 0; u < items; u++)
            {
                if (rng.NextDouble() < 0.85)
                {
                    var value = latent[u] + (inPlanted ? perspective[u] : 0) + Normal(rng);
                    ratings.Add(new Rating($"i{u}", $"r{r}", Math.Round(value, 2)));
                }
            }
        }

        return (ratings, profiles);
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void Gai_is_irr_over_xrr_computed_directly()
    {
        var (ratings, profiles) = Simulate(3);
        var report = GroupAssociationIndex.Analyze(ratings, profiles, ["view", "age"], new GaiOptions { Permutations = 0 });
        foreach (var group in report.Groups.Where(g => !g.Axis.Contains('×')))
        {
            var members = profiles.Where(p => p.Markers[group.Axis] == group.Group).Select(p => p.Rater).ToHashSet();
            var inside = ratings.Where(r => members.Contains(r.Rater)).ToList();
            var outside = ratings.Where(r => !members.Contains(r.Rater)).ToList();
            var irr = Krippendorff.Alpha(inside, MeasurementLevel.Interval).Alpha;
            var xrr = Krippendorff.CrossReliability(inside, outside, MeasurementLevel.Interval).Xrr;
            Assert.Equal(irr, group.Irr, 10);
            Assert.Equal(xrr, group.Xrr, 10);
            Assert.Equal(irr / xrr, group.Gai, 10);
            Assert.Equal(members.Count, group.Raters);
        }

        Assert.Equal(8, report.Groups.Count); // 2 + 2 + 4 intersections
        Assert.Equal(report.Groups.Where(g => g.Axis == "view").Max(g => g.Gai), report.Dsi["view"]);
    }

    [Fact]
    public void Planted_group_is_found_over_repeated_seeds()
    {
        var found = 0;
        for (var seed = 0; seed < 20; seed++)
        {
            var (ratings, profiles) = Simulate(1000 + seed);
            var report = GroupAssociationIndex.Analyze(ratings, profiles, ["view"], new GaiOptions { Permutations = 199, Seed = seed });
            var shared = report.Groups.Single(g => g.Group == "shared");
            if (shared.Gai > 1 && shared.PGai < 0.05)
            {
                found++;
            }
        }

        output.WriteLine($"planted group: GAI > 1 and p < 0.05 in {found} of 20 studies");
        Assert.True(found >= 18, $"planted group detected in {found} of 20 studies");
    }

    [Fact]
    public void Unplanted_group_false_positive_rate_is_near_five_percent()
    {
        // 200 simulated studies with 199 permutations each (a moderate count to fit the test budget).
        var positives = 0;
        var below = 0;
        for (var seed = 0; seed < 200; seed++)
        {
            var (ratings, profiles) = Simulate(5000 + seed, raters: 24, planted: 8, items: 20);
            var report = GroupAssociationIndex.Analyze(
                ratings, profiles, ["view", "age"], new GaiOptions { Permutations = 199, Seed = seed, Intersections = false });
            var young = report.Groups.Single(g => g.Axis == "age" && g.Group == "young");
            if (young.Gai > 1 && young.PGai < 0.05)
            {
                positives++;
            }

            if (young.PGai < 0.05)
            {
                below++;
            }
        }

        output.WriteLine($"unplanted group: GAI > 1 and p < 0.05 in {positives} of 200 studies; p < 0.05 either way in {below}");
        // Expected 10 of 200 (binomial sd about 3); a broken test would give far more (or none at all in both directions).
        Assert.InRange(positives, 2, 20);
        Assert.InRange(below, 8, 34);
    }

    [Fact]
    public void Results_do_not_depend_on_thread_count()
    {
        var (ratings, profiles) = Simulate(11);
        var one = GroupAssociationIndex.Analyze(ratings, profiles, ["view", "age"], new GaiOptions { Permutations = 60, MaxDegreeOfParallelism = 1 });
        var many = GroupAssociationIndex.Analyze(ratings, profiles, ["view", "age"], new GaiOptions { Permutations = 60, MaxDegreeOfParallelism = 4 });
        Assert.Equal(one.Groups, many.Groups);
    }

    [Theory]
    [InlineData(MeasurementLevel.Interval, 4)]
    [InlineData(MeasurementLevel.Ordinal, 4)]
    [InlineData(MeasurementLevel.Nominal, 3)]
    [InlineData(MeasurementLevel.Interval, 7)]
    public void Several_permutations_per_pass_give_the_bits_of_one_permutation_per_pass(MeasurementLevel level, int perPass)
    {
        // With lanes (the default; four permutations per pass whatever perPass says) and stacked.
        Compare(level, perPass, lanePasses: true);
        Compare(level, perPass, lanePasses: false);
    }

    [Theory]
    [InlineData(MeasurementLevel.Interval)]
    [InlineData(MeasurementLevel.Ordinal)]
    [InlineData(MeasurementLevel.Nominal)]
    [InlineData(MeasurementLevel.Ratio)]
    public void Four_labellings_in_lanes_give_the_bits_of_one_pass_each(MeasurementLevel level)
    {
        // 36 raters, 50 items each rated by a random share of them in random order (values on a fine grid for interval
        // data, 0-6 otherwise); two layers (4 and 7
        // groups, some raters in none), four random labellings each, 100 draws; groups of one member, none on an item, or
        // everyone on an item occur. Every field of every group compared with the scalar pass of that labelling alone.
        var rng = new Random(21);
        var ratings = new List<Rating>();
        for (var i = 0; i < 50; i++)
        {
            var share = rng.NextDouble();
            foreach (var r in Enumerable.Range(0, 36).OrderBy(_ => rng.Next()))
            {
                if (rng.NextDouble() < share)
                {
                    ratings.Add(new Rating($"i{i}", $"r{r}", level == MeasurementLevel.Interval ? Math.Round((rng.NextDouble() * 8) - 3, 3) : rng.Next(0, 7)));
                }
            }
        }

        var data = CodedRatings.Build(ratings);
        var raters = data.RaterIds.Length;
        var lanes = new AgreementEngine(data, level, 11);
        var one = new AgreementEngine(data, level, 11);
        var labels = new int[AgreementEngine.GroupLanes * 2 * raters];
        for (var draw = 0; draw < 100; draw++)
        {
            for (var x = 0; x < labels.Length; x++)
            {
                var layer = (x / raters) % 2;
                labels[x] = rng.Next(10) == 0 ? -1 : layer == 0 ? rng.Next(draw % 2 == 0 ? 4 : 1) : 4 + rng.Next(7);
            }

            var together = lanes.ComputeLanes(labels, 2);
            for (var j = 0; j < AgreementEngine.GroupLanes; j++)
            {
                var alone = one.Compute(labels.AsSpan(j * 2 * raters, 2 * raters), 2);
                for (var g = 0; g < 11; g++)
                {
                    var (a, b) = (alone[g], together[(j * 11) + g]);
                    Assert.Equal((a.Pairable, a.CommonItems, a.GroupRatings, a.OtherRatings), (b.Pairable, b.CommonItems, b.GroupRatings, b.OtherRatings));
                    foreach (var (x, y) in new[] { (a.Irr, b.Irr), (a.IrrObserved, b.IrrObserved), (a.IrrExpected, b.IrrExpected), (a.Xrr, b.Xrr), (a.XrrObserved, b.XrrObserved), (a.XrrExpected, b.XrrExpected) })
                    {
                        Assert.Equal(BitConverter.DoubleToInt64Bits(x), BitConverter.DoubleToInt64Bits(y));
                    }
                }
            }
        }
    }

    private static void Compare(MeasurementLevel level, int perPass, bool lanePasses)
    {
        // Two axes and their intersection; 62 permutations, so the last pass has fewer than perPass. Every field of every
        // group (the permutation median and p come from the permuted GAIs) compared bit for bit.
        var (ratings, profiles) = Simulate(13);
        if (level != MeasurementLevel.Interval)
        {
            ratings = ratings.Select(r => r with { Value = Math.Clamp(Math.Round((r.Value * 2) + 3), 1, 5) }).ToList();
        }

        GaiReport Run(int n, int threads) => GroupAssociationIndex.Analyze(ratings, profiles, ["view", "age"], new GaiOptions
        {
            Level = level,
            Permutations = 62,
            PermutationsPerPass = n,
            LanePasses = n > 1 && lanePasses,
            MaxDegreeOfParallelism = threads,
        });
        var one = Run(1, 1);
        var batched = Run(perPass, 2);
        Assert.Equal(one.Groups.Count, batched.Groups.Count);
        Assert.True(one.Groups.Count >= 5, $"{one.Groups.Count} groups");
        for (var g = 0; g < one.Groups.Count; g++)
        {
            var (a, b) = (one.Groups[g], batched.Groups[g]);
            Assert.Equal((a.Axis, a.Group, a.Raters, a.Ratings), (b.Axis, b.Group, b.Raters, b.Ratings));
            foreach (var (x, y) in new[] { (a.Irr, b.Irr), (a.Xrr, b.Xrr), (a.Gai, b.Gai), (a.PermutationMedian, b.PermutationMedian), (a.PGai, b.PGai), (a.QGai, b.QGai) })
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(x), BitConverter.DoubleToInt64Bits(y));
            }
        }
    }

    [Fact]
    public void Nominal_and_ordinal_levels_run_on_likert_data()
    {
        var (ratings, profiles) = Simulate(21, shift: 2);
        var likert = ratings.Select(r => r with { Value = Math.Clamp(Math.Round(r.Value) + 3, 1, 5) }).ToList();
        foreach (var level in new[] { MeasurementLevel.Nominal, MeasurementLevel.Ordinal, MeasurementLevel.Ratio })
        {
            var report = GroupAssociationIndex.Analyze(likert, profiles, ["view"], new GaiOptions { Level = level, Permutations = 50 });
            var shared = report.Groups.Single(g => g.Group == "shared");
            var members = profiles.Where(p => p.Markers["view"] == "shared").Select(p => p.Rater).ToHashSet();
            var inside = likert.Where(r => members.Contains(r.Rater)).ToList();
            var outside = likert.Where(r => !members.Contains(r.Rater)).ToList();
            Assert.Equal(Krippendorff.Alpha(inside, level).Alpha, shared.Irr, 10);
            Assert.Equal(Krippendorff.CrossReliability(inside, outside, level).Xrr, shared.Xrr, 10);
            Assert.True(shared.Gai > 1);
        }
    }

    [Fact]
    public void Group_with_one_member_is_rejected_with_its_name()
    {
        var (ratings, profiles) = Simulate(1);
        profiles[0] = profiles[0] with { Markers = new Dictionary<string, string?> { ["view"] = "alone" } };
        var ex = Assert.Throws<ArgumentException>(() => GroupAssociationIndex.Analyze(ratings, profiles, ["view"]));
        Assert.Contains("'alone'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1 rater", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Small_intersections_are_skipped_and_listed()
    {
        var (ratings, profiles) = Simulate(2);
        // Make exactly one rater of group "shared" young.
        for (var i = 0; i < profiles.Count; i++)
        {
            var view = profiles[i].Markers["view"];
            profiles[i] = profiles[i] with { Markers = new Dictionary<string, string?> { ["view"] = view, ["age"] = i == 0 || view == "other" && i % 2 == 0 ? "young" : "old" } };
        }

        var report = GroupAssociationIndex.Analyze(ratings, profiles, ["view", "age"], new GaiOptions { Permutations = 0 });
        Assert.Contains("view×age: shared×young (1 rater)", report.Skipped);
        Assert.DoesNotContain(report.Groups, g => g.Group == "shared×young");
    }

    [Fact]
    public void No_markers_means_no_groups()
    {
        var (ratings, _) = Simulate(4);
        var report = GroupAssociationIndex.Analyze(ratings, [], ["view"], new GaiOptions { Permutations = 20 });
        Assert.Empty(report.Groups);
        Assert.Empty(report.Dsi);
        Assert.True(report.Overall.Alpha > 0);
        Assert.Throws<ArgumentException>(() => GroupAssociationIndex.Analyze(ratings.Where(r => r.Rater == "r0"), [], ["view"]));
    }

    [Theory]
    [InlineData(MeasurementLevel.Interval)]
    [InlineData(MeasurementLevel.Ordinal)]
    [InlineData(MeasurementLevel.Nominal)]
    public void Several_labellings_in_one_pass_give_the_bits_of_one_pass_each(MeasurementLevel level)
    {
        // 40 raters on 70 items (each rated by a random half), three labellings like two axes and their intersection
        // (some raters in no group of a labelling), scored in one pass and one pass per labelling.
        var rng = new Random(8);
        var ratings = new List<Rating>();
        for (var r = 0; r < 40; r++)
        {
            for (var i = 0; i < 70; i++)
            {
                if (rng.NextDouble() < 0.5)
                {
                    ratings.Add(new Rating($"i{i}", $"r{r}", level == MeasurementLevel.Interval ? Math.Round((rng.NextDouble() * 2) - 1, 2) : rng.Next(1, 6)));
                }
            }
        }

        var data = CodedRatings.Build(ratings);
        var raters = data.RaterIds.Length;
        int[][] layouts =
        [
            [.. Enumerable.Range(0, raters).Select(r => r % 7 == 0 ? -1 : r % 3)],
            [.. Enumerable.Range(0, raters).Select(r => r % 2)],
            [.. Enumerable.Range(0, raters).Select(r => r % 7 == 0 ? -1 : ((r % 3) * 2) + (r % 2))],
        ];
        int[] sizes = [3, 2, 6];
        var stacked = new int[3 * raters];
        var offset = 0;
        for (var l = 0; l < 3; l++)
        {
            for (var r = 0; r < raters; r++)
            {
                stacked[(l * raters) + r] = layouts[l][r] < 0 ? -1 : layouts[l][r] + offset;
            }

            offset += sizes[l];
        }

        var together = new AgreementEngine(data, level, 11).Compute(stacked, 3);
        var separate = layouts.Select((labels, l) => new AgreementEngine(data, level, sizes[l]).Compute(labels)).SelectMany(x => x).ToArray();
        Assert.Equal(separate.Length, together.Length);
        for (var g = 0; g < separate.Length; g++)
        {
            var (a, b) = (separate[g], together[g]);
            Assert.Equal((a.Pairable, a.CommonItems, a.GroupRatings, a.OtherRatings), (b.Pairable, b.CommonItems, b.GroupRatings, b.OtherRatings));
            foreach (var (x, y) in new[] { (a.Irr, b.Irr), (a.IrrObserved, b.IrrObserved), (a.IrrExpected, b.IrrExpected), (a.Xrr, b.Xrr), (a.XrrObserved, b.XrrObserved), (a.XrrExpected, b.XrrExpected) })
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(x), BitConverter.DoubleToInt64Bits(y));
            }

            Assert.True(double.IsFinite(a.Irr) && double.IsFinite(a.Xrr));
        }
    }
}
