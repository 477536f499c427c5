using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Tests;

public class SyntheticRepresentationTests
{
    [Fact]
    public void Pearson_matches_the_textbook_value_and_is_undefined_for_a_constant()
    {
        // x = 1..5, y = 2, 4, 5, 4, 5: r = 6 / sqrt(10 * 6) = 0.7745967
        Assert.Equal(0.7745967, SyntheticRepresentation.Pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5], null), 6);
        Assert.True(double.IsNaN(SyntheticRepresentation.Pearson([1, 2, 3], [1, 1, 1], null)));
        Assert.Equal(1, SyntheticRepresentation.Pearson([1, 2, 3, 9], [2, 4, 6, 0], [0, 1, 2, 2]), 9);
    }

    // Two groups who disagree on every item: group A rates item i as v_i, group B as -v_i. A persona of A that says v_i,
    // a persona of B that says -v_i, and an unsteered rater that says v_i (it sides with A).
    private static (List<Rating> Human, List<RaterProfile> People, List<SyntheticRating> Synthetic, List<RaterProfile> Personas) World()
    {
        var values = new[] { -0.9, -0.5, -0.2, 0.1, 0.3, 0.6, 0.8, 1.0 };
        var human = new List<Rating>();
        var people = new List<RaterProfile>();
        for (int p = 0; p < 10; p++)
        {
            var group = p < 5 ? "a" : "b";
            people.Add(new RaterProfile($"p{p}", new Dictionary<string, string?> { ["g"] = group }));
            for (int i = 0; i < values.Length; i++)
            {
                var noise = ((p * 7) + i) % 3 * 0.05;
                human.Add(new Rating($"i{i}", $"p{p}", (group == "a" ? values[i] : -values[i]) + noise));
            }
        }

        var synthetic = new List<SyntheticRating>();
        for (int i = 0; i < values.Length; i++)
        {
            synthetic.Add(new SyntheticRating($"i{i}", "g=a", values[i]));
            synthetic.Add(new SyntheticRating($"i{i}", "g=b", -values[i]));
            synthetic.Add(new SyntheticRating($"i{i}", "", values[i]));
        }

        List<RaterProfile> personas = [new("g=a", new Dictionary<string, string?> { ["g"] = "a" }), new("g=b", new Dictionary<string, string?> { ["g"] = "b" })];
        return (human, people, synthetic, personas);
    }

    [Fact]
    public void A_group_the_unsteered_rater_opposes_is_named_worst_only_without_its_persona()
    {
        var (human, people, synthetic, personas) = World();
        var report = SyntheticRepresentation.Analyze(human, people, synthetic, personas, ["g"], new RepresentationOptions { MinGroupSize = 5, MinItems = 5, Bootstrap = new BootstrapOptions(200) });

        var a = report.Groups.Single(g => g.Group == "a");
        var b = report.Groups.Single(g => g.Group == "b");
        Assert.Equal((5, 1, 8), (b.People, b.Personas, b.Items));
        Assert.True(a.Steered > 0.95 && a.Unsteered > 0.95, $"{a}");
        Assert.True(b.Steered > 0.95, $"{b}");
        Assert.True(b.Unsteered < -0.95, $"{b}");
        Assert.True(b.Gain > 1.9 && b.GainInterval.Lower > 1.5, $"{b}");
        Assert.InRange(b.Steered, b.SteeredInterval.Lower, b.SteeredInterval.Upper);

        // Everyone: the two groups cancel out, so the everyone row has no variance to speak of, but it is there first.
        Assert.Equal(SyntheticRepresentation.Everyone, report.Groups[0].Axis);
        Assert.Equal(10, report.Groups[0].People);

        // Which group is represented worst with the persona: both are fine, so the order falls back on the names.
        Assert.Equal(2, report.Worst(5).Count);
    }

    [Fact]
    public void Small_groups_and_groups_without_enough_items_are_left_out_with_the_reason()
    {
        var (human, people, synthetic, personas) = World();
        var report = SyntheticRepresentation.Analyze(human, people, synthetic, personas, ["g"], new RepresentationOptions { MinGroupSize = 6, Bootstrap = new BootstrapOptions(50) });
        Assert.Single(report.Groups); // everyone only
        Assert.Contains(report.Skipped, s => s.StartsWith("g=a: 5 people", StringComparison.Ordinal));

        var fewItems = SyntheticRepresentation.Analyze(human, people, synthetic.Where(s => s.Item is "i0" or "i1" || !s.Steered).ToList(), personas, ["g"], new RepresentationOptions { MinGroupSize = 5, MinItems = 5, Bootstrap = new BootstrapOptions(50) });
        Assert.Contains(fewItems.Skipped, s => s.Contains("2 items", StringComparison.Ordinal));
    }

    [Fact]
    public void The_bootstrap_is_reproducible_for_a_seed()
    {
        var (human, people, synthetic, personas) = World();
        var options = new RepresentationOptions { MinGroupSize = 5, Bootstrap = new BootstrapOptions(100, Seed: 3) };
        var one = SyntheticRepresentation.Analyze(human, people, synthetic, personas, ["g"], options);
        var two = SyntheticRepresentation.Analyze(human, people, synthetic, personas, ["g"], options);
        Assert.Equal(one.Groups, two.Groups);
    }
}
