using Pluralist.Core.Model;
using Pluralist.Core.Preferences;
using static Pluralist.Core.Tests.Cleaning.RowFactory;

namespace Pluralist.Core.Tests.Preferences;

public class LabelProtocolTests
{
    // Scores as shown with image_0 on the left: negative prefers image_0. Expected label_0 or null (dropped).
    [Theory]
    [InlineData(new[] { -0.5, -0.2, 0.3 }, 1.0)]    // 2-1 split for image_0
    [InlineData(new[] { 0.5, 0.2, -0.3 }, 0.0)]     // 2-1 split for image_1
    [InlineData(new[] { -0.5, 0.5 }, null)]         // tie
    [InlineData(new[] { -0.5, 0.0, 0.5 }, null)]    // tie with a neutral dropped
    [InlineData(new[] { 0.0, 0.0, 0.0 }, null)]     // all neutral
    [InlineData(new[] { -0.01 }, 1.0)]              // one criterion, weak
    [InlineData(new[] { 1.0 }, 0.0)]                // one criterion, strong
    [InlineData(new[] { 0.0, 0.0, 0.9 }, 0.0)]      // neutrals do not vote
    [InlineData(new[] { -0.1, -0.1, 1.0 }, 1.0)]    // majority of signs, not of magnitudes
    public void LivsHandCheckedCases(double[] scores, double? expected)
    {
        var rows = Answer(1, 10, scores.Select(s => (double?)s).ToArray());
        var labels = Labeler.Build(rows, new LabelOptions());
        if (expected is null)
        {
            Assert.Empty(labels);
        }
        else
        {
            var l = Assert.Single(labels);
            Assert.Equal(expected.Value, l.Label0);
            Assert.Null(l.Criterion);
            Assert.Equal(rows.Select(r => r.AnswerId), l.SourceAnswers);
        }
    }

    [Fact]
    public void LivsUsesOrientedPreferenceWhenImage0WasOnTheRight()
    {
        var rows = Answer(1, 10, -0.6, -0.4).Select(r => r with { Image0OnLeft = false }).ToList();
        Assert.Equal(0.0, Assert.Single(Labeler.Build(rows, new LabelOptions())).Label0);
    }

    [Fact]
    public void PerCriterionSkipsNeutralsAndUnansweredAndRespectsSubset()
    {
        var rows = Answer(1, 10, -0.5, 0.0, 0.3, null);
        var all = Labeler.Build(rows, new LabelOptions { Protocol = LabelProtocol.PerCriterion });
        Assert.Equal([("safety", 1.0), ("inclusivity", 0.0)], all.Select(l => (l.Criterion!, l.Label0)));
        Assert.Equal([rows[0].AnswerId], all[0].SourceAnswers);
        var subset = Labeler.Build(rows, new LabelOptions { Protocol = LabelProtocol.PerCriterion, Criteria = new HashSet<string> { "inclusivity" } });
        Assert.Equal("inclusivity", Assert.Single(subset).Criterion);
    }

    [Fact]
    public void SoftKeepsNeutralsAsHalf()
    {
        var rows = Answer(1, 10, -1.0, 0.0, 0.5);
        var l = Assert.Single(Labeler.Build(rows, new LabelOptions { Protocol = LabelProtocol.Soft }));
        Assert.Equal((1.0 + 0.5 + 0.25) / 3, l.SoftLabel, 12);
        Assert.Equal(1.0, l.Label0);
        var per = Labeler.Build(rows, new LabelOptions { Protocol = LabelProtocol.Soft, SoftPerCriterion = true });
        Assert.Equal([1.0, 0.5, 0.25], per.Select(x => x.SoftLabel));
        Assert.Equal([1.0, 0.5, 0.0], per.Select(x => x.Label0));
        var neutral = Labeler.Build(Answer(1, 11, 0.0, 0.0), new LabelOptions { Protocol = LabelProtocol.Soft });
        Assert.Equal(0.5, Assert.Single(neutral).Label0);
    }

    [Fact]
    public void AggregateMeanMajorityAndBradleyTerry()
    {
        var rows = Answer(1, 10, -0.8, -0.6).Concat(Answer(2, 10, -0.2)).Concat(Answer(3, 10, 0.4, 0.4))
            .Concat(Answer(1, 11, 0.5)).ToList();
        var mean = Labeler.Build(rows, new LabelOptions { Protocol = LabelProtocol.Aggregate, Aggregate = AggregateMethod.Mean });
        Assert.Equal(2, mean.Count);
        Assert.Equal(1.0, mean[0].Label0);                                  // mean(-0.7, -0.2, 0.4) < 0
        Assert.Equal(Labeler.SoftOf((-0.7 - 0.2 + 0.4) / 3), mean[0].SoftLabel, 12);
        Assert.Null(mean[0].ParticipantId);
        Assert.Equal(5, mean[0].SourceAnswers.Count);
        var majority = Labeler.Build(rows, new LabelOptions { Protocol = LabelProtocol.Aggregate, Aggregate = AggregateMethod.Majority });
        Assert.Equal(2.0 / 3, majority[0].SoftLabel, 12);
        var bt = Labeler.Build(rows, new LabelOptions { Protocol = LabelProtocol.Aggregate, Aggregate = AggregateMethod.BradleyTerry });
        Assert.True(bt[0].SoftLabel > 0.5);
        Assert.True(bt[1].SoftLabel < 0.5);
    }

    [Fact]
    public void GroupRestrictionAndWeighting()
    {
        var rows = Answer(1, 10, -0.5).Concat(Answer(2, 10, 0.5)).Concat(Answer(3, 10, 0.5)).ToList();
        var groups = new Dictionary<long, string> { [1] = "A", [2] = "B" };
        var onlyA = Labeler.Build(rows, new LabelOptions { Groups = groups, RestrictToGroup = "A" });
        Assert.Equal(("A", 1L), (Assert.Single(onlyA).Group!, onlyA[0].ParticipantId!.Value));
        var weighted = Labeler.Build(rows, new LabelOptions { Groups = groups, GroupWeights = new Dictionary<string, double> { ["A"] = 3 } });
        Assert.Equal([3.0, 1.0, 1.0], weighted.Select(l => l.Weight));
        Assert.Equal([(string?)"A", "B", null], weighted.Select(l => l.Group));
        var one = Labeler.Build(rows, new LabelOptions { Participants = new HashSet<long> { 3 } });
        Assert.Equal(3L, Assert.Single(one).ParticipantId);
    }

    [Fact]
    public void CheckPairsAreNotLabelled()
    {
        var rows = Answer(1, 10, -0.5).Select(r => r with { PairKind = PairKind.AttentionCheck }).ToList();
        Assert.Empty(Labeler.Build(rows, new LabelOptions()));
    }

    [Fact]
    public void PromptSplitIsSeededAndDisjoint()
    {
        var prompts = Enumerable.Range(1, 100).Select(i => (long)i).ToList();
        var a = PromptSplitter.Split(prompts, 7);
        var b = PromptSplitter.Split(prompts.AsEnumerable().Reverse(), 7);
        var c = PromptSplitter.Split(prompts, 8);
        Assert.Equal(a.OrderBy(kv => kv.Key), b.OrderBy(kv => kv.Key));
        Assert.NotEqual(a.OrderBy(kv => kv.Key), c.OrderBy(kv => kv.Key));
        Assert.Equal(100, a.Count);
        Assert.Equal(10, a.Values.Count(v => v == "test"));
        Assert.Equal(10, a.Values.Count(v => v == "validation"));
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptSplitter.Split(prompts, 1, 0.6, 0.6));
    }
}
