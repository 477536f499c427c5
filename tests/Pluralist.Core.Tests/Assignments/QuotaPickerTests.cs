using Pluralist.Core.Assignments;
using Pluralist.Core.Model;

namespace Pluralist.Core.Tests.Assignments;

public class QuotaPickerTests
{
    // DIVE's design, small: 2 genders x 3 age bands.
    private static GroupQuotas Dive(int perGroup, int unstratified = 0) => new()
    {
        Dimensions =
        [
            new QuotaDimension { Marker = "gender", Values = ["woman", "man"] },
            new QuotaDimension { Marker = "age-band", Values = ["18-29", "30-49", "50+"] },
        ],
        PerGroup = perGroup,
        Unstratified = unstratified,
    };

    private static Dictionary<string, string> Answers(params (string Marker, string Value)[] answers) =>
        answers.ToDictionary(a => a.Marker, a => a.Value);

    [Fact]
    public void A_participant_is_in_the_group_of_their_consented_values_in_the_listed_spelling()
    {
        var q = Dive(2);
        Assert.Equal("woman/30-49", QuotaPicker.GroupOf(q, Answers(("gender", " Woman "), ("age-band", "30-49"))));
        Assert.Equal(6, QuotaPicker.ListedGroups(q).Count);
        Assert.Contains("man/50+", QuotaPicker.ListedGroups(q));
    }

    [Theory]
    [InlineData(null, "30-49")] // did not consent to (or did not answer) gender
    [InlineData("woman", null)]
    [InlineData("someone else", "30-49")] // a value the quotas do not list
    public void Outside_every_group_is_the_unstratified_remainder(string? gender, string? age)
    {
        var answers = new Dictionary<string, string>();
        if (gender is not null)
        {
            answers["gender"] = gender;
        }

        if (age is not null)
        {
            answers["age-band"] = age;
        }

        Assert.Equal(QuotaPicker.Unstratified, QuotaPicker.GroupOf(Dive(2), answers));
        Assert.Equal(0, QuotaPicker.QuotaOf(Dive(2), QuotaPicker.Unstratified));
        Assert.Equal(3, QuotaPicker.QuotaOf(Dive(2, unstratified: 3), QuotaPicker.Unstratified));
    }

    [Fact]
    public void Without_listed_values_every_answer_is_its_own_group()
    {
        var q = new GroupQuotas { Dimensions = [new QuotaDimension { Marker = "neighbourhood" }], PerGroup = 1 };
        Assert.Equal("Plateau", QuotaPicker.GroupOf(q, Answers(("neighbourhood", "Plateau"))));
        Assert.Empty(QuotaPicker.ListedGroups(q));
    }

    [Fact]
    public void Open_items_are_least_filled_first_and_full_or_held_items_are_left_out()
    {
        var candidates = new[] { new QuotaCandidate(1, 2), new QuotaCandidate(2, 0), new QuotaCandidate(3, 1), new QuotaCandidate(4, 3), new QuotaCandidate(5, 0) };
        var order = QuotaPicker.Open(candidates, new HashSet<long> { 5 }, quota: 3, new Random(1));
        Assert.Equal([2L, 3, 1], order);
        Assert.Empty(QuotaPicker.Open(candidates, new HashSet<long>(), quota: 0, new Random(1)));
    }

    [Fact]
    public void The_free_slot_is_the_smallest_untaken_number_up_to_the_quota()
    {
        Assert.Equal(1, QuotaPicker.FreeSlot([], 2));
        Assert.Equal(2, QuotaPicker.FreeSlot([1, 3], 3));
        Assert.Null(QuotaPicker.FreeSlot([1, 2], 2));
    }

    [Fact]
    public void Every_group_quota_is_filled_exactly_and_never_exceeded()
    {
        // Hand-made pool: 6 listed groups with 4, 3, 5, 2, 6 and 3 participants, 3 unstratified
        // people, 12 items, 2 per group and 1 unstratified per item. Participants arrive in random order
        // and each takes items until none is open to them; the slot store refuses a taken number as
        // the unique index does.
        var q = Dive(perGroup: 2, unstratified: 1);
        var random = new Random(42);
        var groups = QuotaPicker.ListedGroups(q);
        var sizes = new[] { 4, 3, 5, 2, 6, 3 };
        var people = groups.SelectMany((g, i) => Enumerable.Repeat(g, sizes[i])).Concat(Enumerable.Repeat(QuotaPicker.Unstratified, 3))
            .Select((g, i) => (Id: (long)i, Group: g)).ToList();
        var items = Enumerable.Range(1, 12).Select(i => (long)i).ToList();
        var slots = new HashSet<(long Item, string Group, int Slot)>();
        var held = people.ToDictionary(p => p.Id, _ => new HashSet<long>());
        var active = people.ToList();
        while (active.Count > 0)
        {
            var p = active[random.Next(active.Count)];
            var quota = QuotaPicker.QuotaOf(q, p.Group);
            var candidates = items.Select(i => new QuotaCandidate(i, slots.Count(s => s.Item == i && s.Group == p.Group))).ToList();
            var order = QuotaPicker.Open(candidates, held[p.Id], quota, random);
            if (order.Count == 0)
            {
                active.Remove(p);
                continue;
            }

            var item = order[0];
            var free = QuotaPicker.FreeSlot(slots.Where(s => s.Item == item && s.Group == p.Group).Select(s => s.Slot).ToList(), quota);
            Assert.NotNull(free);
            Assert.True(slots.Add((item, p.Group, free.Value)));
            held[p.Id].Add(item);
        }

        foreach (var item in items)
        {
            foreach (var g in groups)
            {
                Assert.Equal(2, slots.Count(s => s.Item == item && s.Group == g));
            }

            Assert.Equal(1, slots.Count(s => s.Item == item && s.Group == QuotaPicker.Unstratified));
        }

        // The 6 participants of the largest group share its 24 places; each item at most once per person.
        var big = groups[4];
        Assert.Equal(24, people.Where(p => p.Group == big).Sum(p => held[p.Id].Count));
        // A group of 2 with a quota of 2 answers every item; no one holds an item twice (sets).
        Assert.All(people.Where(p => p.Group == groups[3]), p => Assert.Equal(12, held[p.Id].Count));
    }

    [Fact]
    public void Settings_are_checked_field_by_field()
    {
        var bad = new GroupQuotas
        {
            Dimensions =
            [
                new QuotaDimension { Marker = "gender", Values = ["woman", "Woman"] },
                new QuotaDimension { Marker = "shoe-size" },
                new QuotaDimension { Marker = "gender", Values = ["a/b"] },
            ],
            PerGroup = 0,
            Unstratified = -1,
        };
        var problems = QuotaPicker.Problems(bad, ["gender", "age-band"]).Select(p => p.Field).ToList();
        Assert.Equal(["dimensions[0].values", "dimensions[1].marker", "dimensions[2].marker", "dimensions[2].values", "perGroup", "unstratified"], problems);
        Assert.Equal("dimensions", Assert.Single(QuotaPicker.Problems(new GroupQuotas { PerGroup = 1 }, ["gender"])).Field);
        Assert.Empty(QuotaPicker.Problems(Dive(20), ["gender", "age-band"]));
    }
}
