using Pluralist.World.Truth;

namespace Pluralist.World.Simulation;

/// <summary>One change a marker makes to the ground-truth weights: w' = w * Multiply + Add, for one criterion or all (<c>*</c>).</summary>
public sealed record WeightRule(string Marker, string Criterion, string Feature, double Multiply = 1, double Add = 0);

/// <summary>
/// How identity markers change what a simulated participant weighs, starting from
/// <see cref="GroundTruth.Weights"/>. Each rule is an assumption of the simulation (documented in
/// docs/world.md), chosen so that groups differ in recognisable ways; none is a finding about real people.
/// </summary>
public static class ProfileWeights
{
    public static IReadOnlyList<WeightRule> Rules { get; } =
    [
        // Mobility limitation: step-free access, surfaces and kerbs matter much more; a place to rest too.
        new("mobility", "*", "stepFree", 3), new("mobility", "*", "stairsOnly", 3), new("mobility", "*", "smoothPath", 2),
        new("mobility", "*", "kerbCuts", 2), new("mobility", "*", "pathWidth", 1.5), new("mobility", "comfort", "seating", 1.5),

        // Without one, the ramp and the stairs are not what accessibility is judged on.
        new("no-mobility", "accessibility", "stepFree", 0), new("no-mobility", "accessibility", "stairsOnly", 0),

        // Age.
        new("senior", "*", "seating", 2), new("senior", "*", "smoothPath", 1.5), new("senior", "*", "tactilePaving", 1.5),
        new("senior", "safety", "lighting", 1.5), new("senior", "safety", "darkUnlit", 1.5), new("senior", "comfort", "crowding", 1.5),
        new("youth", "invitingness", "activities", 1.5), new("youth", "safety", "presence", 0.7), new("youth", "diversity", "ageMix", 0.7),

        // Parents of young children: traffic, kerbs for strollers, a playground.
        new("parent", "safety", "traffic", 2), new("parent", "safety", "bollards", 2), new("parent", "accessibility", "kerbCuts", 1.5),
        new("parent", "invitingness", "play", 1, 0.15), new("parent", "comfort", "play", 1, 0.1), new("parent", "comfort", "shade", 1.3),

        // Language background: signs in one's own language.
        new("allophone", "inclusivity", "multilingual", 2.5), new("allophone", "inclusivity", "signage", 2),
        new("anglophone", "inclusivity", "multilingual", 1.5),

        // Gender.
        new("woman", "safety", "lighting", 1.5), new("woman", "safety", "darkUnlit", 1.5), new("woman", "safety", "presence", 1.3),
        new("non-binary", "safety", "presence", 1.3), new("non-binary", "inclusivity", "ageMix", 1.2), new("non-binary", "inclusivity", "mobilityMix", 1.2),

        // Intersections: applied on top of both markers' own rules.
        new("senior+mobility", "accessibility", "seating", 2), new("senior+mobility", "comfort", "smoothPath", 1, 0.1),
        new("woman+senior", "safety", "darkUnlit", 1.3),
        new("parent+mobility", "accessibility", "kerbCuts", 1.5),
        new("allophone+senior", "inclusivity", "signage", 1.5),
    ];

    /// <summary>The markers of a profile as rule keys, intersections included.</summary>
    public static IReadOnlyList<string> Keys(IdentityProfile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var keys = new List<string> { p.MobilityLimited ? "mobility" : "no-mobility" };
        if (p.Age == AgeBand.Senior)
        {
            keys.Add("senior");
        }

        if (p.Age == AgeBand.Youth)
        {
            keys.Add("youth");
        }

        if (p.ParentOfYoungChildren)
        {
            keys.Add("parent");
        }

        if (p.Language == LanguageBackground.Allophone)
        {
            keys.Add("allophone");
        }

        if (p.Language == LanguageBackground.Anglophone)
        {
            keys.Add("anglophone");
        }

        keys.Add(p.Gender switch { Gender.Woman => "woman", Gender.NonBinary => "non-binary", _ => "man" });
        bool senior = p.Age == AgeBand.Senior;
        if (senior && p.MobilityLimited)
        {
            keys.Add("senior+mobility");
        }

        if (senior && p.Gender == Gender.Woman)
        {
            keys.Add("woman+senior");
        }

        if (p.ParentOfYoungChildren && p.MobilityLimited)
        {
            keys.Add("parent+mobility");
        }

        if (senior && p.Language == LanguageBackground.Allophone)
        {
            keys.Add("allophone+senior");
        }

        return keys;
    }

    /// <summary>Weight vectors over <see cref="SceneFeatures.Names"/>, one per criterion, for a profile.</summary>
    public static IReadOnlyDictionary<string, double[]> For(IdentityProfile profile)
    {
        var keys = Keys(profile).ToHashSet(StringComparer.Ordinal);
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var criterion in GroundTruth.Criteria)
        {
            var w = GroundTruth.Vector(GroundTruth.Weights[criterion]);
            foreach (var rule in Rules.Where(r => keys.Contains(r.Marker) && (r.Criterion == "*" || r.Criterion == criterion)))
            {
                int i = SceneFeatures.Index(rule.Feature);
                w[i] = (w[i] * rule.Multiply) + rule.Add;
            }

            result[criterion] = w;
        }

        return result;
    }
}
