using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Evaluation;
using Pluralist.Analysis.Statistics;

namespace Pluralist.Analysis.Tests;

public class ABStudyTests
{
    [Fact]
    public void Livs_published_totals()
    {
        // LIVS evaluation: 700 answers preferred the aligned model, 300 the base model, 1,100 were neutral.
        var c = new WinTieLoss(700, 1100, 300);
        Assert.Equal(0.700, c.WinRate, 3);
        Assert.Equal(0.671, c.WinRateInterval.Lower, 3);
        Assert.Equal(0.728, c.WinRateInterval.Upper, 3);
        // Ties as half: (700 + 1100/2) / 2100 = 1250 / 2100. (The 56.8% is 1250 / 2200: it needs 2,200 answers.)
        Assert.Equal(1250.0 / 2100, c.WinRateTiesHalf, 12);
        Assert.Equal(0.595, c.WinRateTiesHalf, 3);
        Assert.Equal(1100.0 / 2100, c.NeutralShare, 12);
        Assert.True(c.SignTestP < 1e-30);
    }

    [Fact]
    public void Wilson_and_sign_test_by_hand()
    {
        var w = Proportions.Wilson(8, 10);
        Assert.Equal(0.4902, w.Lower, 4);
        Assert.Equal(0.9433, w.Upper, 4);
        // 7 wins, 2 losses: 2 * (C(9,0) + C(9,1) + C(9,2)) / 2^9 = 92 / 512.
        Assert.Equal(92.0 / 512, Proportions.SignTest(7, 2), 12);
        Assert.Equal(1.0, Proportions.SignTest(5, 5), 12);
        Assert.Equal(1.0, Proportions.SignTest(0, 0), 12);
        Assert.True(double.IsNaN(Proportions.Wilson(0, 0).Lower));
    }

    [Fact]
    public void Benjamini_hochberg_by_hand()
    {
        var q = MultipleTesting.BenjaminiHochberg([0.01, 0.04, 0.03, 0.2, double.NaN]);
        Assert.Equal(0.04, q[0], 12);
        Assert.Equal(0.16 / 3, q[1], 12);
        Assert.Equal(0.16 / 3, q[2], 12);
        Assert.Equal(0.2, q[3], 12);
        Assert.True(double.IsNaN(q[4]));
    }

    [Fact]
    public void Directional_permutation_p()
    {
        double[] permuted = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        Assert.Equal((5.0, 0.6), PermutationTest.DirectionalP(5, permuted));
        Assert.Equal((5.0, 0.1), PermutationTest.DirectionalP(0, permuted));
        Assert.Equal((5.0, 0.2), PermutationTest.DirectionalP(9, permuted));
    }

    private static List<ABJudgement> Synthetic(int seed, double pAligned, double pNeutral, int prompts = 30, int participants = 20, string source = "human", double participantSpread = 0)
    {
        var rng = new Random(seed);
        var list = new List<ABJudgement>();
        var bias = Enumerable.Range(0, participants).Select(_ => (rng.NextDouble() - 0.5) * participantSpread).ToArray();
        for (var p = 0; p < participants; p++)
        {
            for (var q = 0; q < prompts; q++)
            {
                foreach (var criterion in new[] { "safety", "comfort" })
                {
                    var x = rng.NextDouble();
                    var pref = x < pNeutral ? ABPreference.Neutral
                        : rng.NextDouble() < Math.Clamp(pAligned + bias[p], 0, 1) ? ABPreference.Aligned : ABPreference.Base;
                    list.Add(new ABJudgement($"{source}-{q}", $"p{p}", criterion, pref, source));
                }
            }
        }

        return list;
    }

    [Fact]
    public void Overview_counts_per_criterion_and_clustered_intervals()
    {
        var data = Synthetic(1, 0.7, 0.5, participantSpread: 0.8);
        var overview = ABStudy.Overview(data, new BootstrapOptions(500, 3));
        Assert.Equal(data.Count, overview.Overall.Counts.Total);
        Assert.Equal(["comfort", "safety"], overview.PerCriterion.Select(s => s.Scope));
        Assert.Equal(overview.Overall.Counts.Wins, overview.PerCriterion.Sum(s => s.Counts.Wins));
        var rate = overview.Overall.Counts.WinRate;
        Assert.True(overview.Overall.ByParticipantBootstrap.Contains(rate));
        Assert.True(overview.Overall.ByPromptBootstrap.Contains(rate));
        // Participants differ strongly here, so resampling participants gives a wider interval than Wilson's.
        var wilson = overview.Overall.Counts.WinRateInterval;
        var byParticipant = overview.Overall.ByParticipantBootstrap;
        Assert.True(byParticipant.Upper - byParticipant.Lower > 1.5 * (wilson.Upper - wilson.Lower));
        // Same seed, same interval.
        Assert.Equal(byParticipant, ABStudy.Overview(data, new BootstrapOptions(500, 3)).Overall.ByParticipantBootstrap);
    }

    [Fact]
    public void By_participant_and_identity()
    {
        var data = Synthetic(2, 0.6, 0.3, prompts: 5, participants: 4);
        var perParticipant = ABStudy.ByParticipant(data);
        Assert.Equal(4, perParticipant.Count);
        Assert.All(perParticipant, p => Assert.Equal(10, p.Counts.Total));
        var profiles = new[]
        {
            new RaterProfile("p0", new Dictionary<string, string?> { ["gender"] = "woman", ["age"] = "young" }),
            new RaterProfile("p1", new Dictionary<string, string?> { ["gender"] = "woman", ["age"] = "old" }),
            new RaterProfile("p2", new Dictionary<string, string?> { ["gender"] = "man", ["age"] = "old" }),
            new RaterProfile("p3", new Dictionary<string, string?> { ["gender"] = "man" }),
        };
        var groups = ABStudy.ByIdentity(data, profiles, ["gender", "age"], bootstrap: new BootstrapOptions(100));
        var women = groups.Single(g => g.Axis == "gender" && g.Group == "woman");
        Assert.Equal(2, women.Participants);
        Assert.Equal(perParticipant[0].Counts.Wins + perParticipant[1].Counts.Wins, women.Summary.Counts.Wins);
        Assert.Single(groups, g => g.Axis == "gender×age" && g.Group == "man×old");
        // p3 gave no age, so is in no intersection.
        Assert.Equal(["man×old", "woman×old", "woman×young"], groups.Where(g => g.Axis == "gender×age").Select(g => g.Group));
    }

    [Fact]
    public void Prompt_source_difference_is_detected_only_when_present()
    {
        var human = Synthetic(3, 0.7, 0.6, source: "human");
        var llm = Synthetic(4, 0.7, 0.3, source: "llm1");
        var same = Synthetic(5, 0.7, 0.6, source: "llm2");
        var all = human.Concat(llm).Concat(same).ToList();
        var sources = ABStudy.ByPromptSource(all);
        Assert.Equal(["human", "llm1", "llm2"], sources.Select(s => s.Source));
        Assert.All(sources, s => Assert.Equal(30, s.Prompts));

        var different = ABStudy.ComparePromptSources(all, "human", "llm1", permutations: 500);
        Assert.True(different.NeutralShareDifference > 0.2);
        Assert.True(different.NeutralSharePermutationP < 0.01);
        Assert.True(different.NeutralShareZP < 0.01);

        var alike = ABStudy.ComparePromptSources(all, "human", "llm2", permutations: 500);
        Assert.True(alike.NeutralSharePermutationP > 0.05);
        Assert.True(alike.WinRatePermutationP > 0.05);
    }
}
