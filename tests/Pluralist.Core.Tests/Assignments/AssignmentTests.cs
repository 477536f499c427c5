using Pluralist.Core.Assignments;
using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Assignments;

public class CriteriaBalancerTests
{
    private static readonly string[] Six = Defaults.LivsCriteria().Select(c => c.Key).ToArray();

    [Fact]
    public void Every_criterion_is_shown_about_equally_often_over_6000_assignments()
    {
        var random = new Random(7);
        var counts = Six.ToDictionary(k => k, _ => 0L);
        var firstPosition = Six.ToDictionary(k => k, _ => 0);
        for (var i = 0; i < 6000; i++)
        {
            var chosen = CriteriaBalancer.Choose(Six, counts, 3, random);
            Assert.Equal(3, chosen.Count);
            Assert.Equal(3, chosen.Distinct().Count());
            foreach (var key in chosen)
            {
                counts[key]++;
            }

            firstPosition[chosen[0]]++;
        }

        var total = counts.Values.Sum();
        foreach (var (key, n) in counts)
        {
            Assert.InRange((double)n / total, 1.0 / 6 - 0.02, 1.0 / 6 + 0.02);
        }

        // Order is random too: each criterion leads about a sixth of the time.
        foreach (var (key, n) in firstPosition)
        {
            Assert.InRange(n / 6000.0, 1.0 / 6 - 0.03, 1.0 / 6 + 0.03);
        }
    }

    [Fact]
    public void Least_shown_criteria_come_first()
    {
        var counts = new Dictionary<string, long> { ["a"] = 5, ["b"] = 1, ["c"] = 9, ["d"] = 0 };
        var chosen = CriteriaBalancer.Choose(["a", "b", "c", "d"], counts, 2, new Random(1));
        Assert.Equal(["b", "d"], chosen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Asking_for_more_than_exist_returns_all_of_them()
    {
        var chosen = CriteriaBalancer.Choose(["a", "b"], new Dictionary<string, long>(), 3, new Random(1));
        Assert.Equal(["a", "b"], chosen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void No_criteria_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => CriteriaBalancer.Choose([], new Dictionary<string, long>(), 3, new Random(1)));
    }
}

public class PairPickerTests
{
    private static PairCandidate P(long id, int times = 0, PairKind kind = PairKind.Annotation, int order = 0) => new(id, kind, times, order);

    [Fact]
    public void Never_hands_out_a_pair_the_participant_has_seen()
    {
        var pick = PairPicker.Pick([P(1), P(2)], new HashSet<long> { 1 }, PairDistribution.Random, 1, 0, 0, new Random(3));
        Assert.Equal(2, pick!.PairId);
        Assert.Null(PairPicker.Pick([P(1)], new HashSet<long> { 1 }, PairDistribution.Random, 1, 0, 0, new Random(3)));
    }

    [Fact]
    public void Least_answered_prefers_the_pair_with_fewest_assignments()
    {
        var pick = PairPicker.Pick([P(1, 3), P(2, 1), P(3, 2)], new HashSet<long>(), PairDistribution.LeastAnswered, 5, 0, 0, new Random(3));
        Assert.Equal(2, pick!.PairId);
    }

    [Fact]
    public void Fixed_order_follows_the_order_among_pairs_under_the_overlap_target()
    {
        var pick = PairPicker.Pick([P(1, 2, order: 0), P(2, 0, order: 1), P(3, 0, order: 2)], new HashSet<long>(), PairDistribution.Fixed, 2, 0, 0, new Random(3));
        Assert.Equal(2, pick!.PairId);
    }

    [Fact]
    public void No_pair_goes_beyond_its_overlap_even_when_the_participant_has_seen_nothing_else()
    {
        Assert.Null(PairPicker.Pick([P(1, 2), P(2, 3)], new HashSet<long>(), PairDistribution.LeastAnswered, 2, 0, 0, new Random(3)));
        Assert.Equal(2, PairPicker.Pick([P(1, 2), P(2, 1)], new HashSet<long>(), PairDistribution.Random, 2, 0, 0, new Random(3))!.PairId);
    }

    [Fact]
    public void Started_pairs_reach_their_overlap_before_fresh_pairs_are_opened()
    {
        var candidates = new[] { P(1, 0, order: 0), P(2, 1, order: 1), P(3, 2, order: 2), P(4, 3, order: 3), P(5, 0, order: 4) };
        foreach (var distribution in Enum.GetValues<PairDistribution>())
        {
            for (var seed = 0; seed < 20; seed++)
            {
                var pick = PairPicker.Pick(candidates, new HashSet<long>(), distribution, 3, 0, 0, new Random(seed))!;
                Assert.Contains(pick.PairId, new long[] { 2, 3 });
            }
        }

        // Once the participant has seen the started pairs, a fresh one opens; the full one never comes back.
        Assert.Equal(1, PairPicker.Pick(candidates, new HashSet<long> { 2, 3 }, PairDistribution.Fixed, 3, 0, 0, new Random(3))!.PairId);
        Assert.Null(PairPicker.Pick(candidates, new HashSet<long> { 1, 2, 3, 5 }, PairDistribution.Random, 3, 0, 0, new Random(3)));
    }

    [Fact]
    public void A_new_batch_asks_for_three_raters_per_pair() => Assert.Equal(3, new Batch().Overlap);

    [Fact]
    public void Attention_checks_are_mixed_in_at_about_the_study_rate()
    {
        var random = new Random(11);
        var candidates = Enumerable.Range(1, 50).Select(i => P(i)).Append(P(100, kind: PairKind.AttentionCheck)).Append(P(101, kind: PairKind.Gold)).ToList();
        var checks = 0;
        var gold = 0;
        for (var i = 0; i < 4000; i++)
        {
            var pick = PairPicker.Pick(candidates, new HashSet<long>(), PairDistribution.Random, 1, 0.10, 0.05, random)!;
            checks += pick.Kind == PairKind.AttentionCheck ? 1 : 0;
            gold += pick.Kind == PairKind.Gold ? 1 : 0;
        }

        Assert.InRange(checks / 4000.0, 0.08, 0.12);
        Assert.InRange(gold / 4000.0, 0.035, 0.065);
    }
}
