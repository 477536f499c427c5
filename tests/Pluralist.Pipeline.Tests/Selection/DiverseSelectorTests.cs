using Pluralist.Pipeline.Selection;

namespace Pluralist.Pipeline.Tests.Selection;

public class DiverseSelectorTests
{
    // Five items: 0 and 1 near-duplicates, 2 and 3 near-duplicates, 4 in between.
    // Least similar pair: (1, 3) at -0.5. Then max similarity to {1, 3}: 0 -> 0.9, 2 -> 0.95, 4 -> 0.3: pick 4.
    // Then 0 -> max(0.9, -0.4, 0.2) = 0.9, 2 -> max(-0.3, 0.95, 0.25) = 0.95: pick 0.
    private static readonly double[,] Five =
    {
        { 1.0, 0.9, -0.3, -0.4, 0.2 },
        { 0.9, 1.0, -0.3, -0.5, 0.3 },
        { -0.3, -0.3, 1.0, 0.95, 0.25 },
        { -0.4, -0.5, 0.95, 1.0, 0.1 },
        { 0.2, 0.3, 0.25, 0.1, 1.0 },
    };

    [Fact]
    public void Greedy_starts_from_least_similar_pair_then_adds_lowest_max_similarity()
    {
        Assert.Equal([1, 3], DiverseSelector.Greedy(Five, 2));
        Assert.Equal([1, 3, 4], DiverseSelector.Greedy(Five, 3));
        Assert.Equal([1, 3, 4, 0], DiverseSelector.Greedy(Five, 4));
        Assert.Equal([1, 3, 4, 0, 2], DiverseSelector.Greedy(Five, 9));
    }

    [Fact]
    public void Greedy_keeps_one_of_each_duplicate_cluster()
    {
        // Three clusters of two identical items (similarity 1 inside, 0 across).
        var s = new double[6, 6];
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                s[i, j] = i / 2 == j / 2 ? 1 : 0;
            }
        }

        var chosen = DiverseSelector.Greedy(s, 3);
        Assert.Equal([0, 2, 4], chosen); // ties resolve to the lowest index
        Assert.Equal(3, Vendi.Score(s, chosen), 9);
    }

    [Fact]
    public void Greedy_breaks_ties_by_lowest_index()
    {
        var s = new double[4, 4];
        for (int i = 0; i < 4; i++)
        {
            s[i, i] = 1;
        }

        Assert.Equal([0, 1, 2], DiverseSelector.Greedy(s, 3));
    }

    [Fact]
    public void Mmr_with_lambda_one_is_ranking_by_relevance_and_zero_is_diversity()
    {
        double[] rel = [0.1, 0.9, 0.5, 0.8, 0.3];
        Assert.Equal([1, 3, 2], DiverseSelector.Mmr(Five, rel, 3, lambda: 1));
        // lambda 0: the first pick is the most relevant (1), then lowest max similarity to {1}: 3 (-0.5), then 4.
        Assert.Equal([1, 3, 4], DiverseSelector.Mmr(Five, rel, 3, lambda: 0));
        // lambda 0.5 from {1}: score(i) = 0.5 rel - 0.5 S[i,1]: 0 -> -0.4, 2 -> 0.4, 3 -> 0.65, 4 -> 0: pick 3;
        // then max sim to {1,3}: 0 -> 0.9, 2 -> 0.95, 4 -> 0.3; scores 0 -> -0.4, 2 -> -0.225, 4 -> 0: pick 4.
        Assert.Equal([1, 3, 4], DiverseSelector.Mmr(Five, rel, 3, lambda: 0.5));
    }

    [Fact]
    public void Quality_weighting_avoids_a_low_quality_item_that_plain_greedy_takes()
    {
        Assert.Equal(DiverseSelector.Greedy(Five, 4), DiverseSelector.QualityWeighted(Five, [1, 1, 1, 1, 1], 4));
        // Item 3 is broken (quality 0.05): w d of (1, 3) drops to 0.075; (0, 2) and (1, 2) tie at 1.3 and the lower
        // index wins; then 4 (w (1 - 0.25) = 0.75) beats 1 (0.1) and 3 (0.0025).
        double[] q = [1, 1, 1, 0.05, 1];
        Assert.Equal([0, 2, 4], DiverseSelector.QualityWeighted(Five, q, 3));
        Assert.Equal(DiverseSelector.Greedy(Five, 3), DiverseSelector.QualityWeighted(Five, q, 3, alpha: 0));
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_the_reason()
    {
        var ex = Assert.Throws<ArgumentException>(() => DiverseSelector.Greedy(new double[2, 3], 1));
        Assert.Contains("square", ex.Message, StringComparison.Ordinal);
        var nan = (double[,])Five.Clone();
        nan[2, 3] = double.NaN;
        Assert.Contains("similarity[2, 3]", Assert.Throws<ArgumentException>(() => DiverseSelector.Greedy(nan, 2)).Message, StringComparison.Ordinal);
        Assert.Contains("quality[3]", Assert.Throws<ArgumentException>(() => DiverseSelector.QualityWeighted(Five, [1, 1, 1, -1, 1], 2)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_subsets_are_seeded_and_distinct()
    {
        var a = DiverseSelector.Random(20, 4, new Random(7));
        var b = DiverseSelector.Random(20, 4, new Random(7));
        Assert.Equal(a, b);
        Assert.Equal(4, a.Distinct().Count());
        Assert.All(a, i => Assert.InRange(i, 0, 19));
    }

    [Fact]
    public void Method_tokens_round_trip()
    {
        foreach (var m in Enum.GetValues<SelectionMethod>())
        {
            Assert.True(SelectionMethods.TryParse(m.ToToken(), out var back));
            Assert.Equal(m, back);
        }

        Assert.Equal(["greedy", "mmr", "quality-weighted", "random"], SelectionMethods.All);
        Assert.False(SelectionMethods.TryParse("max-min", out _));
    }
}
