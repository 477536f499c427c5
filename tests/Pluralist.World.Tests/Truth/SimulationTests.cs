using Pluralist.Core.Model;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;
using Pluralist.World.Truth;

namespace Pluralist.World.Tests.Truth;

public sealed class SimulationTests
{
    private static readonly IdentityProfile MobilityLimited = IdentityProfile.Baseline with { MobilityLimited = true };

    /// <summary>Pairs that differ only by the ramp: stairs only vs ramp and stairs, on random scenes.</summary>
    private static IEnumerable<(SceneSpec Without, SceneSpec With)> RampPairs(int n, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < n; i++)
        {
            var s = SceneDistribution.Prior(random, (Typology)random.Next(8));
            yield return (s with { Access = StepFreeAccess.Stairs }, s with { Access = StepFreeAccess.RampAndStairs });
        }
    }

    /// <summary>Share of non-neutral accessibility answers that prefer the ramp image, shown on random sides.</summary>
    private static (double RampShare, int NonNeutral) RampPreference(IdentityProfile profile, int participants)
    {
        int ramp = 0, nonNeutral = 0;
        var sides = new Random(99);
        for (int p = 0; p < participants; p++)
        {
            var sim = new SimulatedParticipant(profile, Behaviour.Careful, 1000 + p);
            foreach (var (without, with) in RampPairs(50, p))
            {
                bool rampOnLeft = sides.Next(2) == 0;
                var answer = sim.Answer(rampOnLeft ? with : without, rampOnLeft ? without : with, ["accessibility"]);
                if (answer.Scores[0] is { } s && s != 0)
                {
                    nonNeutral++;
                    ramp += (s < 0) == rampOnLeft ? 1 : 0;
                }
            }
        }

        return (nonNeutral == 0 ? 0 : (double)ramp / nonNeutral, nonNeutral);
    }

    [Fact]
    public void Mobility_limited_participants_prefer_the_ramp_on_accessibility()
    {
        var (share, nonNeutral) = RampPreference(MobilityLimited, 20);
        Assert.True(nonNeutral > 500, $"only {nonNeutral} non-neutral answers");
        Assert.True(share > 0.8, $"ramp preferred in {share:P1} of non-neutral answers");
    }

    [Fact]
    public void Participants_without_that_weight_do_not()
    {
        var (share, nonNeutral) = RampPreference(IdentityProfile.Baseline, 20);
        Assert.True(share < 0.7, $"ramp preferred in {share:P1} of {nonNeutral} non-neutral answers");
    }

    [Fact]
    public void Criteria_keys_are_the_default_studys()
    {
        Assert.Equal(Defaults.LivsCriteria().Select(c => c.Key), GroundTruth.Criteria);
        Assert.Equal(GroundTruth.Criteria.Order(), SimulatedParticipant.BaseSkipRates.Keys.Order());
    }

    [Fact]
    public void Ground_truth_utilities_are_in_range_and_follow_their_features()
    {
        var random = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var u = GroundTruth.Utilities(SceneDistribution.Prior(random, (Typology)(i % 8)));
            Assert.All(u.Values, v => Assert.InRange(v, 0, 1));
        }

        var dark = new SceneSpec { TimeOfDay = TimeOfDay.Night, Lights = 0 };
        Assert.True(GroundTruth.Utility(dark with { Lights = 4, LightCoverage = 1 }, "safety") > GroundTruth.Utility(dark, "safety") + 0.2);
        var plain = new SceneSpec();
        Assert.True(GroundTruth.Utility(plain with { Benches = 3, Canopy = true }, "comfort") > GroundTruth.Utility(plain, "comfort"));
        Assert.True(GroundTruth.Utility(plain with { Signs = 2, SignLanguages = 3 }, "inclusivity") > GroundTruth.Utility(plain with { Signs = 2, SignLanguages = 1 }, "inclusivity"));
        Assert.True(GroundTruth.Utility(plain with { Children = 2, Seniors = 1, WheelchairUsers = 1, Pedestrians = 2 }, "diversity") > GroundTruth.Utility(plain with { Pedestrians = 5 }, "diversity"));
        Assert.Throws<ArgumentException>(() => GroundTruth.Utility(plain, "beauty"));
    }

    [Fact]
    public void Scores_are_in_range_neutral_for_equal_images_and_grow_with_the_difference()
    {
        var sim = new SimulatedParticipant(MobilityLimited, Behaviour.Careful, 5);
        var stairs = new SceneSpec { Access = StepFreeAccess.Stairs, SmoothPath = false };
        var small = stairs with { TactilePaving = true };
        var large = stairs with { Access = StepFreeAccess.Ramp, SmoothPath = true, KerbCuts = true, PathWidth = 0.6 };
        double same = 0, smallSum = 0, largeSum = 0;
        for (int i = 0; i < 200; i++)
        {
            same += Math.Abs(sim.Answer(stairs, stairs, ["accessibility"]).Scores[0] ?? 0);
            smallSum += sim.Answer(stairs, small, ["accessibility"]).Scores[0] ?? 0;
            largeSum += sim.Answer(stairs, large, ["accessibility"]).Scores[0] ?? 0;
        }

        Assert.True(same / 200 < 0.05, $"equal images: mean |score| {same / 200}");
        Assert.True(largeSum > smallSum + 50, $"large difference {largeSum / 200} vs small {smallSum / 200}");
        Assert.True(largeSum / 200 > 0.8);
    }

    [Fact]
    public void Behaviours_differ_in_time_consistency_and_attention()
    {
        var good = new SceneSpec { Access = StepFreeAccess.Ramp, KerbCuts = true, SmoothPath = true, Lights = 4, Benches = 3, TimeOfDay = TimeOfDay.Evening };
        var bad = new SceneSpec { Access = StepFreeAccess.Stairs, SmoothPath = false, Litter = 3, Graffiti = true, Cars = 3, Lights = 0, TimeOfDay = TimeOfDay.Evening };
        string[] criteria = ["accessibility", "safety", "comfort"];

        // An attention check: the right image is clearly better on every criterion shown.
        double Failures(Behaviour b)
        {
            int failed = 0, n = 0;
            for (int p = 0; p < 20; p++)
            {
                var sim = new SimulatedParticipant(MobilityLimited, b, p);
                for (int i = 0; i < 20; i++, n++)
                {
                    var a = sim.Answer(bad, good, criteria);
                    failed += a.Scores.Any(s => s is < 0) ? 1 : 0;
                }
            }

            return (double)failed / n;
        }

        Assert.True(Failures(Behaviour.Careful) < 0.02);
        Assert.True(Failures(Behaviour.Inattentive) > 0.5);

        var liner = new SimulatedParticipant(MobilityLimited, Behaviour.StraightLiner, 3);
        var values = Enumerable.Range(0, 30).SelectMany(_ => liner.Answer(good, bad, criteria).Scores).Distinct().ToArray();
        Assert.Equal([liner.StraightValue], values.Select(v => v!.Value));

        double Median(Behaviour b)
        {
            var sim = new SimulatedParticipant(IdentityProfile.Baseline, b, 1);
            var d = Enumerable.Range(0, 101).Select(_ => sim.Answer(good, bad, criteria).ClientDurationMs).Order().ToArray();
            return d[50];
        }

        Assert.True(Median(Behaviour.Speeder) * 2.5 < Median(Behaviour.Careful));
    }

    [Fact]
    public void Skip_rates_follow_the_criterion_and_are_reproducible()
    {
        int skippedDiversity = 0, skippedSafety = 0, n = 0;
        var good = new SceneSpec { Benches = 2 };
        var bad = new SceneSpec { Litter = 2 };
        foreach (var sim in BehaviourMix.Parse("careful=1").Pool(100, 4))
        {
            for (int i = 0; i < 40; i++, n++)
            {
                var a = sim.Answer(good, bad, ["diversity", "safety", "comfort"]);
                skippedDiversity += a.Scores[0] is null ? 1 : 0;
                skippedSafety += a.Scores[1] is null ? 1 : 0;
            }
        }

        Assert.InRange((double)skippedDiversity / n, 0.06, 0.14); // base 0.10, personal factor mean 1
        Assert.InRange((double)skippedSafety / n, 0.01, 0.05); // base 0.03
        var first = BehaviourMix.Default.Pool(5, 9).Select(p => p.Answer(good, bad, ["safety"])).ToArray();
        var again = BehaviourMix.Default.Pool(5, 9).Select(p => p.Answer(good, bad, ["safety"])).ToArray();
        Assert.Equal(first.Select(a => (a.Scores[0], a.ClientDurationMs)), again.Select(a => (a.Scores[0], a.ClientDurationMs)));
    }

    [Fact]
    public void Profiles_differ_by_marker_and_intersection()
    {
        var seniorWoman = IdentityProfile.Baseline with { Age = AgeBand.Senior, Gender = Gender.Woman };
        Assert.Contains("woman+senior", ProfileWeights.Keys(seniorWoman));
        int dark = SceneFeatures.Index("darkUnlit");
        double Weight(IdentityProfile p) => ProfileWeights.For(p)["safety"][dark];
        Assert.True(Weight(seniorWoman) < Weight(IdentityProfile.Baseline with { Gender = Gender.Woman }));
        Assert.True(Weight(IdentityProfile.Baseline with { Gender = Gender.Woman }) < Weight(IdentityProfile.Baseline));
        var allophone = IdentityProfile.Baseline with { Language = LanguageBackground.Allophone };
        int multi = SceneFeatures.Index("multilingual");
        Assert.True(ProfileWeights.For(allophone)["inclusivity"][multi] > ProfileWeights.For(IdentityProfile.Baseline)["inclusivity"][multi]);
        Assert.Equal("mobility", MobilityLimited.Markers["disability"]);
    }

    [Fact]
    public void Attention_check_scenes_differ_clearly_on_every_criterion_and_careful_participants_pass_them()
    {
        var random = new Random(8);
        var careful = new SimulatedParticipant(IdentityProfile.Baseline, Behaviour.Careful, 1);
        for (int i = 0; i < 100; i++)
        {
            var (worse, better) = AttentionChecks.For(SceneDistribution.Prior(random, (Typology)(i % 8)));
            foreach (var c in GroundTruth.Criteria)
            {
                Assert.True(GroundTruth.Utility(better, c) > GroundTruth.Utility(worse, c) + 0.2, $"{c}: {GroundTruth.Utility(better, c)} vs {GroundTruth.Utility(worse, c)}");
            }

            var answer = careful.Answer(better, worse, GroundTruth.Criteria);
            Assert.All(answer.Scores, s => Assert.True(s is null or < 0, $"score {s}"));
        }
    }

    [Fact]
    public void Behaviour_mix_errors_name_the_part()
    {
        Assert.Equal(0.5, BehaviourMix.Parse("careful=1,speeder=1").Careful, 6);
        Assert.Contains("sloppy", Assert.Throws<FormatException>(() => BehaviourMix.Parse("careful=1,sloppy=2")).Message, StringComparison.Ordinal);
        Assert.Contains("speeder", Assert.Throws<FormatException>(() => BehaviourMix.Parse("speeder=-1")).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => BehaviourMix.Parse("careful=0"));
    }
}
