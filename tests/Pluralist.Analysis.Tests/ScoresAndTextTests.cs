using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Ranking;
using Pluralist.Analysis.Statistics;
using Pluralist.Analysis.Text;

namespace Pluralist.Analysis.Tests;

public class ScoresAndTextTests
{
    private static readonly RaterProfile[] Profiles =
    [
        new("r1", new Dictionary<string, string?> { ["gender"] = "woman", ["disability"] = "yes" }),
        new("r2", new Dictionary<string, string?> { ["gender"] = "woman", ["disability"] = "no" }),
        new("r3", new Dictionary<string, string?> { ["gender"] = "man", ["disability"] = "no" }),
    ];

    [Fact]
    public void Group_means_with_t_intervals_by_hand()
    {
        CriterionScore[] scores =
        [
            new("aligned", "r1", "safety", 1), new("aligned", "r2", "safety", 2), new("aligned", "r3", "safety", 3),
            new("aligned", "r1", "comfort", 5), new("aligned", "r3", "comfort", 1),
        ];
        var rows = IntersectionalScores.FromScores(scores, Profiles, ["gender", "disability"]);
        var all = rows.Single(r => r.Axis == IntersectionalScores.Everyone && r.Criterion == "safety");
        Assert.Equal(2, all.Mean, 12);
        Assert.Equal(1, all.StandardDeviation, 12);
        Assert.Equal(2 - (4.302653 / Math.Sqrt(3)), all.Interval.Lower, 5);
        var women = rows.Single(r => r.Axis == "gender" && r.Group == "woman" && r.Criterion == "safety");
        Assert.Equal(1.5, women.Mean, 12);
        Assert.Equal(2, women.Raters);
        var single = rows.Single(r => r.Axis == "gender×disability" && r.Group == "woman×yes" && r.Criterion == "comfort");
        Assert.Equal(5, single.Mean);
        Assert.True(double.IsNaN(single.Interval.Lower));
    }

    [Fact]
    public void Group_bradley_terry_scores_follow_each_groups_answers()
    {
        var answers = new List<CriterionPreference>();
        for (var k = 0; k < 6; k++)
        {
            answers.Add(new("a", "b", "r1", "safety", -0.8)); // r1 (woman) prefers a
            answers.Add(new("a", "b", "r3", "safety", 0.6));  // r3 (man) prefers b
        }

        var rows = IntersectionalScores.FromPreferences(answers, Profiles, ["gender"], options: new BradleyTerryOptions { BootstrapReplicates = 0 });
        double Theta(string group, string item) => rows.Single(r => r.Group == group && r.Item == item).Theta;
        Assert.True(Theta("woman", "a") > Theta("woman", "b"));
        Assert.True(Theta("man", "b") > Theta("man", "a"));
        Assert.Equal(0, Theta(IntersectionalScores.Everyone, "a"), 6);
    }

    [Fact]
    public void Answer_spread_by_hand()
    {
        var spread = IntersectionalScores.Spread([("safety", -1), ("safety", 0), ("safety", 1), ("safety", 0), ("comfort", 0.5)]);
        var safety = spread.Single(s => s.Criterion == "safety");
        Assert.Equal(2.0 / 3, safety.Variance, 12);
        Assert.Equal(0.5, safety.NeutralShare, 12);
        Assert.Equal(4, safety.N);
    }

    [Fact]
    public void Tokenizer_is_documented_behaviour()
    {
        Assert.Equal(["kids", "bike", "lane", "in", "montréal", "2025"], PromptDivergence.Tokenize("Kids' bike-lane, in MONTRÉAL (2025)!"));
        Assert.Equal(["ﬁ".Normalize(System.Text.NormalizationForm.FormKC)], PromptDivergence.Tokenize("ﬁ"));
        Assert.Empty(PromptDivergence.Tokenize(" ,;- "));
    }

    [Fact]
    public void Jensen_shannon_by_hand()
    {
        var none = new BootstrapOptions(0);
        Assert.Equal(0, PromptDivergence.Compare(["a b"], ["b a"], none).Divergence, 12);
        Assert.Equal(1, PromptDivergence.Compare(["a a"], ["b b"], none).Divergence, 12);
        // P = (½, ½, 0), Q = (½, 0, ½), M = (½, ¼, ¼): JSD = ½(½·1) + ½(½·1) = ½.
        var r = PromptDivergence.Compare(["a b"], ["a c"], none);
        Assert.Equal(0.5, r.Divergence, 12);
        Assert.Equal(3, r.Vocabulary);
    }

    [Fact]
    public void Jensen_shannon_bootstrap_interval_separates_different_wordings()
    {
        var rng = new Random(9);
        string[] park = ["park", "bench", "tree", "shade", "path", "children", "play"];
        string[] street = ["street", "car", "lane", "bus", "crossing", "shop", "path"];
        string Prompt(string[] words) => string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[rng.Next(words.Length)]));
        var human = Enumerable.Range(0, 40).Select(_ => Prompt(park)).ToList();
        var llm = Enumerable.Range(0, 40).Select(_ => Prompt(street)).ToList();
        var human2 = Enumerable.Range(0, 40).Select(_ => Prompt(park)).ToList();
        var different = PromptDivergence.Compare(human, llm, new BootstrapOptions(300, 2));
        var same = PromptDivergence.Compare(human, human2, new BootstrapOptions(300, 2));
        Assert.True(different.Divergence > 0.7);
        Assert.True(different.Interval.Contains(different.Divergence));
        Assert.True(same.Divergence < 0.05);
        Assert.True(same.Interval.Upper < different.Interval.Lower);
    }
}
