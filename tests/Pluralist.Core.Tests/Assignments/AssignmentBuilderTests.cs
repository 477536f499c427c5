using Pluralist.Core.Assignments;
using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Assignments;

public class AssignmentBuilderTests
{
    private static readonly string[] Six = ["accessibility", "safety", "comfort", "invitingness", "inclusivity", "diversity"];

    private static Dictionary<string, long> Tally() => new(StringComparer.Ordinal);

    [Fact]
    public void A_seed_gives_the_draws_it_gave_before_the_builder_existed()
    {
        // Produced by CriteriaBalancer.Choose(Six, shown, 3, random) then random.Next(2) == 0, as the demo seeder and
        // the closed experiment drew before this type: seeded demos and experiments must not change.
        (string[] Criteria, bool Left)[] golden =
        [
            (["inclusivity", "comfort", "safety"], false),
            (["invitingness", "diversity", "accessibility"], true),
            (["invitingness", "safety", "diversity"], false),
            (["accessibility", "inclusivity", "comfort"], false),
            (["safety", "invitingness", "accessibility"], false),
            (["diversity", "inclusivity", "comfort"], true),
        ];
        var builder = new AssignmentBuilder(Six, 3);
        var random = new Random(42);
        var shown = Tally();
        foreach (var (criteria, left) in golden)
        {
            var draw = builder.Draw(shown, random);
            Assert.Equal(criteria, draw.Criteria);
            Assert.Equal(left, draw.Image0OnLeft);
        }
    }

    [Fact]
    public void A_draw_takes_from_the_random_what_the_balancer_and_one_coin_take()
    {
        for (var seed = 0; seed < 40; seed++)
        {
            for (var n = 1; n <= Six.Length; n++)
            {
                var criteria = Six[..n];
                var perPair = 1 + (seed % 7);
                var builder = new AssignmentBuilder(criteria, perPair);
                Random ours = new(seed), reference = new(seed);
                Dictionary<string, long> ourShown = Tally(), referenceShown = Tally();
                for (var i = 0; i < 5; i++)
                {
                    var draw = builder.Draw(ourShown, ours);
                    var chosen = CriteriaBalancer.Choose(criteria, referenceShown, perPair, reference);
                    foreach (var key in chosen)
                    {
                        referenceShown[key] = referenceShown.GetValueOrDefault(key) + 1;
                    }

                    Assert.Equal(chosen, draw.Criteria);
                    Assert.Equal(reference.Next(2) == 0, draw.Image0OnLeft);
                }

                Assert.Equal(referenceShown, ourShown);
                Assert.Equal(reference.Next(), ours.Next()); // the same state afterwards: callers' later draws stay in step
            }
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_draws_and_another_seed_others()
    {
        static List<AssignmentDraw> Run(int seed)
        {
            var builder = new AssignmentBuilder(Six, 3);
            var random = new Random(seed);
            var shown = Tally();
            return [.. Enumerable.Range(0, 200).Select(_ => builder.Draw(shown, random))];
        }

        static string Text(IEnumerable<AssignmentDraw> draws) => string.Join(";", draws.Select(d => string.Join(",", d.Criteria) + (d.Image0OnLeft ? "L" : "R")));

        Assert.Equal(Text(Run(11)), Text(Run(11)));
        Assert.NotEqual(Text(Run(11)), Text(Run(12)));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(6, 6)]
    [InlineData(7, 6)]
    [InlineData(100, 6)]
    public void A_pair_shows_the_requested_number_of_criteria_capped_at_those_there_are(int requested, int shown)
    {
        var builder = new AssignmentBuilder(Six, requested);
        Assert.Equal(shown, builder.CriteriaPerPair);
        var random = new Random(3);
        var tally = Tally();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(shown, builder.Draw(tally, random).Criteria.Count);
        }
    }

    [Fact]
    public void A_draw_never_repeats_a_criterion_and_only_shows_the_given_ones()
    {
        var builder = new AssignmentBuilder(["a", "b", "c", "d", "e"], 4);
        var random = new Random(5);
        var shown = Tally();
        for (var i = 0; i < 1000; i++)
        {
            var draw = builder.Draw(shown, random);
            Assert.Equal(4, draw.Criteria.Distinct(StringComparer.Ordinal).Count());
            Assert.All(draw.Criteria, key => Assert.Contains(key, builder.Criteria));
        }
    }

    [Fact]
    public void Draws_are_recorded_so_criteria_stay_balanced_at_every_step()
    {
        var builder = new AssignmentBuilder(Six, 3);
        var random = new Random(9);
        var shown = Tally();
        for (var i = 1; i <= 600; i++)
        {
            builder.Draw(shown, random);
            Assert.Equal(3L * i, shown.Values.Sum());
            Assert.True(Six.Max(k => shown.GetValueOrDefault(k)) - Six.Min(k => shown.GetValueOrDefault(k)) <= 1, $"draw {i}: {string.Join(", ", shown)}");
        }

        Assert.All(Six, k => Assert.Equal(300, shown[k]));
    }

    [Fact]
    public void Image_0_is_on_the_left_about_half_the_time_whatever_the_criteria()
    {
        var builder = new AssignmentBuilder(Six, 3);
        var random = new Random(7);
        var shown = Tally();
        var draws = Enumerable.Range(0, 12000).Select(_ => builder.Draw(shown, random)).ToList();
        Assert.InRange(draws.Count(d => d.Image0OnLeft) / 12000.0, 0.48, 0.52);
        foreach (var group in draws.GroupBy(d => d.Criteria[0]))
        {
            Assert.InRange(group.Count(d => d.Image0OnLeft) / (double)group.Count(), 0.45, 0.55);
        }
    }

    [Fact]
    public void A_study_draws_its_active_criteria_in_position_order()
    {
        var study = new Study
        {
            Key = "s",
            CriteriaPerPair = 2,
            Criteria =
            [
                new Criterion { Key = "c", Position = 2 },
                new Criterion { Key = "gone", Position = 0, Retired = true },
                new Criterion { Key = "a", Position = 1 },
                new Criterion { Key = "d", Position = 3 },
            ],
        };
        var builder = AssignmentBuilder.For(study);
        Assert.Equal(["a", "c", "d"], builder.Criteria);
        Assert.Equal(2, builder.CriteriaPerPair);

        // The study's rules are the same rules as the list they stand for.
        Dictionary<string, long> a = Tally(), b = Tally();
        Random ra = new(4), rb = new(4);
        var direct = new AssignmentBuilder(["a", "c", "d"], 2);
        for (var i = 0; i < 20; i++)
        {
            var (draw, expected) = (builder.Draw(a, ra), direct.Draw(b, rb));
            Assert.DoesNotContain("gone", draw.Criteria);
            Assert.Equal(expected.Criteria, draw.Criteria);
            Assert.Equal(expected.Image0OnLeft, draw.Image0OnLeft);
        }
    }

    [Fact]
    public void No_criteria_is_an_error_that_says_so()
    {
        var e = Assert.Throws<ArgumentException>(() => new AssignmentBuilder([], 3));
        Assert.Equal("criteria", e.ParamName);
        Assert.Contains("at least one criterion", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void Fewer_than_one_criterion_per_pair_is_an_error_naming_the_value(int perPair)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AssignmentBuilder(Six, perPair));
        Assert.Equal("criteriaPerPair", e.ParamName);
        Assert.Contains($"criteriaPerPair is {perPair}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_criterion_listed_twice_is_an_error_naming_it_and_where()
    {
        var e = Assert.Throws<ArgumentException>(() => new AssignmentBuilder(["a", "b", "a"], 2));
        Assert.Contains("'a' is listed twice (at 0 and 2)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void An_empty_key_is_an_error_naming_its_position(string key)
    {
        var e = Assert.Throws<ArgumentException>(() => new AssignmentBuilder(["a", key], 1));
        Assert.Contains("Criterion 1 has an empty key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_study_without_active_criteria_or_with_zero_per_pair_is_an_error_naming_the_study()
    {
        var retired = new Study { Key = "all-retired", Criteria = [new Criterion { Key = "a", Retired = true }] };
        var e = Assert.Throws<ArgumentException>(() => AssignmentBuilder.For(retired));
        Assert.Contains("Study 'all-retired' has no active criterion", e.Message, StringComparison.Ordinal);

        var zero = new Study { Key = "zero", CriteriaPerPair = 0, Criteria = [new Criterion { Key = "a" }] };
        e = Assert.Throws<ArgumentException>(() => AssignmentBuilder.For(zero));
        Assert.Contains("Study 'zero': criteriaPerPair is 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_draw_becomes_the_assignment_that_records_it()
    {
        var draw = new AssignmentDraw(["safety", "comfort"], Image0OnLeft: true);
        var served = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var assignment = draw.ToAssignment(participantId: 7, pairId: 11, batchId: 3, language: "fr", servedAt: served);
        Assert.Equal(7, assignment.ParticipantId);
        Assert.Equal(11, assignment.PairId);
        Assert.Equal(3, assignment.BatchId);
        Assert.Equal(["safety", "comfort"], assignment.CriteriaShown);
        Assert.True(assignment.Image0OnLeft);
        Assert.Equal("fr", assignment.Language);
        Assert.Equal(served, assignment.ServedAt);
        Assert.Equal(0, assignment.Id);

        assignment.CriteriaShown.Add("diversity"); // the row owns its list
        Assert.Equal(2, draw.Criteria.Count);
    }
}
