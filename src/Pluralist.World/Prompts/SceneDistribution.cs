using Pluralist.World.Scenes;

namespace Pluralist.World.Prompts;

/// <summary>
/// A distribution over scene specs given a parsed prompt: a typology-aware prior over every
/// attribute, with the prompt's constraints honoured one by one with a probability that grows
/// with guidance. Guidance 0 ignores the prompt; large guidance honours (almost) all of it.
/// </summary>
public sealed class SceneDistribution(ParsedPrompt prompt)
{
    public ParsedPrompt Prompt { get; } = prompt ?? throw new ArgumentNullException(nameof(prompt));

    /// <summary>Probability that one constraint of the prompt is honoured: p = 1 - exp(-guidance / 2.5), so 7.5 gives 0.95.</summary>
    public static double HonourProbability(double guidance)
    {
        if (!double.IsFinite(guidance) || guidance < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(guidance), $"Guidance must be a finite number >= 0, got {guidance}.");
        }

        return 1 - Math.Exp(-guidance / 2.5);
    }

    /// <summary>Level of detail from sampler steps: detail = 1 - exp(-steps / 25), so 25 steps give 0.63 and 50 give 0.86.</summary>
    public static double DetailFromSteps(int steps)
    {
        if (steps is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), $"Steps must be in 1..1000, got {steps}.");
        }

        return 1 - Math.Exp(-steps / 25.0);
    }

    /// <summary>Draws a spec; returns it with the constraints that were honoured.</summary>
    public (SceneSpec Spec, IReadOnlyList<SceneConstraint> Honoured) Sample(Random random, double guidance, int steps)
    {
        ArgumentNullException.ThrowIfNull(random);
        double p = HonourProbability(guidance);
        var honoured = Prompt.Constraints.Where(_ => random.NextDouble() < p).ToList();
        var typologyAttr = SceneAttributes.Get("typology");
        var typology = (Typology)random.Next(Enum.GetValues<Typology>().Length);
        // The first place named is the subject ("a bus stop on a residential street" is a bus stop).
        if (honoured.FirstOrDefault(c => c.Attribute == typologyAttr) is { } place)
        {
            typology = (Typology)typologyAttr.Get(place.Apply(new SceneSpec { Typology = typology }, random));
        }

        var spec = Prior(random, typology) with { Detail = DetailFromSteps(steps) };
        foreach (var c in honoured.Where(c => c.Attribute != typologyAttr))
        {
            spec = c.Apply(spec, random, honoured);
        }

        return (spec, honoured);
    }

    /// <summary>
    /// The prior for a typology: each element present with a base rate, raised where the typology
    /// usually has it (trees and lawns in parks, play areas in schoolyards, graffiti in back alleys).
    /// </summary>
    public static SceneSpec Prior(Random random, Typology typology)
    {
        ArgumentNullException.ThrowIfNull(random);
        var r = random;
        bool Chance(double q) => r.NextDouble() < q;
        int Upto(int max, double q) => Chance(q) ? r.Next(1, max + 1) : 0;
        bool park = typology == Typology.Park, alley = typology == Typology.CommercialBackAlley, school = typology == Typology.Schoolyard;
        bool street = typology is Typology.ResidentialStreet or Typology.TransitStop;
        var season = (Season)r.Next(4);
        double w = r.NextDouble();

        // Weather: clear 45%, cloudy 25%, rain 15% (snow instead in winter), fog 15%.
        var weather = w < 0.45 ? Weather.Clear : w < 0.7 ? Weather.Cloudy : w < 0.85 ? (season == Season.Winter ? Weather.Snow : Weather.Rain) : Weather.Fog;
        double t = r.NextDouble();
        return new SceneSpec
        {
            Typology = typology,
            TimeOfDay = t < 0.25 ? TimeOfDay.Morning : t < 0.6 ? TimeOfDay.Noon : t < 0.85 ? TimeOfDay.Evening : TimeOfDay.Night,
            Season = season,
            Weather = weather,
            PathWidth = alley ? 0.12 + (r.NextDouble() * 0.15) : 0.15 + (r.NextDouble() * 0.35),
            SmoothPath = Chance(alley ? 0.35 : 0.7),
            KerbCuts = Chance(0.5),
            Access = (StepFreeAccess)r.Next(4),
            TactilePaving = Chance(typology == Typology.TransitStop ? 0.7 : 0.3),
            Benches = Upto(3, park || typology == Typology.Waterfront ? 0.85 : alley ? 0.2 : 0.6),
            Chairs = Upto(3, typology is Typology.Plaza or Typology.PedestrianPromenade ? 0.6 : 0.2),
            Canopy = Chance(typology == Typology.TransitStop ? 0.6 : 0.25),
            Trees = Upto(6, park ? 0.95 : alley ? 0.15 : 0.6),
            Planters = Upto(4, typology is Typology.Plaza or Typology.PedestrianPromenade ? 0.7 : 0.35),
            Lawn = Chance(park ? 0.9 : school ? 0.4 : alley ? 0.05 : 0.3),
            Fountain = Chance(typology == Typology.Plaza ? 0.45 : park ? 0.25 : 0.08),
            Lights = Upto(4, alley ? 0.4 : 0.75),
            LightCoverage = 0.2 + (r.NextDouble() * 0.8),
            Signs = Upto(3, typology == Typology.TransitStop ? 0.9 : 0.5),
            SignLanguages = r.Next(1, 4),
            Bollards = Chance(street ? 0.5 : 0.25),
            Cars = Upto(3, street ? 0.8 : alley ? 0.4 : 0.3),
            Litter = Chance(alley ? 0.7 : 0.2) ? r.Next(1, 4) : 0,
            Graffiti = Chance(alley ? 0.7 : 0.12),
            PlayArea = Chance(school ? 0.7 : park ? 0.4 : 0.08),
            SportArea = Chance(school ? 0.6 : park ? 0.2 : 0.05),
            Kiosk = Chance(typology is Typology.Plaza or Typology.Waterfront or Typology.PedestrianPromenade ? 0.4 : 0.1),
            MarketStalls = Upto(3, typology is Typology.Plaza or Typology.PedestrianPromenade ? 0.35 : 0.05),
            PublicArt = Chance(typology is Typology.Plaza or Typology.Park ? 0.4 : 0.1),
            Pedestrians = Upto(6, 0.8),
            Children = Upto(4, school ? 0.8 : park ? 0.5 : 0.25),
            Seniors = Upto(3, 0.35),
            WheelchairUsers = Upto(3, 0.2),
            WalkerUsers = Upto(2, 0.1),
            Strollers = Upto(3, park ? 0.4 : 0.2),
            Groups = Upto(2, 0.3),
            Dogs = Upto(3, park ? 0.4 : 0.15),
            Birds = Upto(6, typology == Typology.Waterfront ? 0.7 : 0.3),
        };
    }
}
