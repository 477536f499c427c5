using Pluralist.Analysis.Agreement;

namespace Pluralist.Analysis.Tests;

/// <summary>The GAI of synthetic raters beside the people's, checked against alpha and xRR computed from their definitions.</summary>
public class SyntheticAssociationTests
{
    private static readonly double[] Values = [-0.9, -0.5, -0.2, 0.1, 0.3, 0.6, 0.8, 1.0];

    // People: 6 of group a (rate v_i), 6 of group b (rate -v_i), 2 of group c (below the minimum size of 5).
    // Personas: 3 of a, 3 of b; a persona of a group of one (d), and the rater without persona.
    private static (List<Rating> Human, List<RaterProfile> People, List<SyntheticRating> Synthetic, List<RaterProfile> Personas) World()
    {
        var human = new List<Rating>();
        var people = new List<RaterProfile>();
        for (int p = 0; p < 14; p++)
        {
            var group = p < 6 ? "a" : p < 12 ? "b" : "c";
            people.Add(new RaterProfile($"p{p}", new Dictionary<string, string?> { ["g"] = group }));
            for (int i = 0; i < Values.Length; i++)
            {
                if ((p + i) % 5 == 0)
                {
                    continue; // not everyone rates everything
                }

                var noise = (((p * 7) + (i * 3)) % 5 - 2) * 0.07;
                human.Add(new Rating($"i{i}", $"p{p}", (group == "b" ? -Values[i] : Values[i]) + noise));
            }
        }

        var synthetic = new List<SyntheticRating>();
        var personas = new List<RaterProfile>();
        foreach (var (key, group) in new[] { ("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("b2", "b"), ("b3", "b"), ("d1", "d") })
        {
            personas.Add(new RaterProfile(key, new Dictionary<string, string?> { ["g"] = group }));
            for (int i = 0; i < Values.Length; i++)
            {
                var noise = ((key[1] * 5 + i) % 4 - 1.5) * 0.1;
                synthetic.Add(new SyntheticRating($"i{i}", key, (group == "b" ? -Values[i] * 0.5 : Values[i]) + noise));
            }
        }

        synthetic.AddRange(Values.Select((v, i) => new SyntheticRating($"i{i}", "", v)));
        return (human, people, synthetic, personas);
    }

    [Fact]
    public void Each_groups_gai_among_people_and_personas_matches_alpha_over_xrr_from_the_definitions()
    {
        var (human, people, synthetic, personas) = World();
        var report = SyntheticAssociation.Analyze(human, people, synthetic, personas, ["g"], 5, new GaiOptions { Permutations = 50, Seed = 3 });

        // c (2 people) and d (1 persona) are in no group; a and b are reported for both.
        Assert.Equal(["a", "b"], report.Groups.Select(g => g.Group));
        Assert.Empty(report.Notes);
        var steered = synthetic.Where(s => s.Steered).Select(s => new Rating(s.Item, s.Persona, s.Value)).ToList();
        foreach (var row in report.Groups)
        {
            var members = people.Where(p => p.Markers["g"] == row.Group).Select(p => p.Rater).ToHashSet();
            var (irr, xrr) = Naive(human, members);
            Assert.Equal(6, row.People);
            Assert.Equal(irr / xrr, row.HumanGai, 9);

            var mine = personas.Where(p => p.Markers["g"] == row.Group).Select(p => p.Rater).ToHashSet();
            var (sIrr, sXrr) = Naive(steered, mine);
            Assert.Equal(3, row.Personas);
            Assert.Equal(sIrr / sXrr, row.SyntheticGai, 9);
            Assert.InRange(row.HumanP, 0, 1);
            Assert.InRange(row.SyntheticP, 0, 1);
        }

        // a and b oppose each other: each agrees within itself (IRR > 0) and against the rest below chance (xRR < 0), so
        // GAI is negative for people and personas alike.
        Assert.All(report.Groups, g => Assert.True(g.HumanGai < -1 && g.SyntheticGai < -1, $"{g}"));
    }

    [Fact]
    public void Too_few_personas_is_a_note_not_an_error()
    {
        var (human, people, synthetic, personas) = World();
        var one = synthetic.Where(s => s.Persona is "a1" or "").ToList();
        var report = SyntheticAssociation.Analyze(human, people, one, personas, ["g"], 5, new GaiOptions { Permutations = 0 });
        Assert.Equal(2, report.Groups.Count);
        Assert.All(report.Groups, g => Assert.True(double.IsNaN(g.SyntheticGai)));
        Assert.Contains(report.Notes, n => n.Contains("synthetic raters needs at least two raters", StringComparison.Ordinal));
        Assert.False(double.IsNaN(report.Groups[0].HumanGai));
    }

    // IRR: Krippendorff's alpha (interval) within the group by its definition (NaiveAlpha). xRR (Wong, Paritosh and Aroyo
    // 2021) of the group X against everyone else Y over the items both rated: d_o = sum_u (r_u + s_u)/(r_u s_u)
    // sum_{i,j} (x_ui - y_uj)^2 / sum_u (r_u + s_u), d_e = sum_{i,j} (x_i - y_j)^2 / (R S) over those items' values.
    private static (double Irr, double Xrr) Naive(List<Rating> ratings, HashSet<string> members)
    {
        var inside = ratings.Where(r => members.Contains(r.Rater)).ToList();
        var outside = ratings.Where(r => !members.Contains(r.Rater)).ToList();
        var irr = NaiveAlpha.Compute(inside, MeasurementLevel.Interval);
        var common = inside.Select(r => r.Item).Intersect(outside.Select(r => r.Item)).ToList();
        double num = 0, den = 0;
        foreach (var u in common)
        {
            var x = inside.Where(r => r.Item == u).Select(r => r.Value).ToList();
            var y = outside.Where(r => r.Item == u).Select(r => r.Value).ToList();
            num += (double)(x.Count + y.Count) / (x.Count * y.Count) * x.Sum(a => y.Sum(b => (a - b) * (a - b)));
            den += x.Count + y.Count;
        }

        var xs = inside.Where(r => common.Contains(r.Item)).Select(r => r.Value).ToList();
        var ys = outside.Where(r => common.Contains(r.Item)).Select(r => r.Value).ToList();
        var de = xs.Sum(a => ys.Sum(b => (a - b) * (a - b))) / (xs.Count * ys.Count);
        return (irr, 1 - (num / den / de));
    }
}
