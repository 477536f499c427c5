using Pluralist.World.Scenes;

namespace Pluralist.World.Truth;

/// <summary>
/// The simulation's ground truth: per default-study criterion, a utility of a scene in [0, 1], a
/// weighted sum of <see cref="SceneFeatures"/> rescaled by its smallest and largest possible values:
/// U = (sum_f w_f x_f - sum_{w_f &lt; 0} w_f) / sum_f |w_f|. These weights are assumptions of the
/// simulation, written down so that tests and demos have something to recover; they are not claims
/// about how real people judge public spaces.
/// </summary>
public static class GroundTruth
{
    /// <summary>Keys of the default study's criteria (Pluralist.Core.Model.Defaults).</summary>
    public static IReadOnlyList<string> Criteria { get; } = ["accessibility", "safety", "comfort", "invitingness", "inclusivity", "diversity"];

    /// <summary>Feature weights per criterion.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Weights { get; } = new Dictionary<string, IReadOnlyDictionary<string, double>>
    {
        ["accessibility"] = new Dictionary<string, double>
        {
            ["stepFree"] = 0.3,
            ["stairsOnly"] = -0.15,
            ["smoothPath"] = 0.15,
            ["pathWidth"] = 0.15,
            ["kerbCuts"] = 0.15,
            ["tactilePaving"] = 0.1,
            ["seating"] = 0.05,
            ["litter"] = -0.05,
            ["badWeather"] = -0.05,
        },
        ["safety"] = new Dictionary<string, double>
        {
            ["lighting"] = 0.2,
            ["darkUnlit"] = -0.3,
            ["presence"] = 0.15,
            ["bollards"] = 0.1,
            ["traffic"] = -0.15,
            ["graffiti"] = -0.1,
            ["litter"] = -0.05,
            ["badWeather"] = -0.05,
            ["smoothPath"] = 0.05,
            ["tactilePaving"] = 0.05,
        },
        ["comfort"] = new Dictionary<string, double>
        {
            ["seating"] = 0.25,
            ["shade"] = 0.15,
            ["greenery"] = 0.1,
            ["water"] = 0.05,
            ["smoothPath"] = 0.05,
            ["litter"] = -0.15,
            ["traffic"] = -0.1,
            ["crowding"] = -0.1,
            ["badWeather"] = -0.1,
            ["graffiti"] = -0.05,
        },
        ["invitingness"] = new Dictionary<string, double>
        {
            ["greenery"] = 0.15,
            ["activities"] = 0.2,
            ["presence"] = 0.1,
            ["water"] = 0.1,
            ["art"] = 0.1,
            ["lighting"] = 0.05,
            ["seating"] = 0.1,
            ["litter"] = -0.15,
            ["graffiti"] = -0.1,
            ["badWeather"] = -0.05,
            ["darkUnlit"] = -0.1,
        },
        ["inclusivity"] = new Dictionary<string, double>
        {
            ["stepFree"] = 0.2,
            ["multilingual"] = 0.2,
            ["signage"] = 0.05,
            ["seating"] = 0.1,
            ["ageMix"] = 0.15,
            ["mobilityMix"] = 0.15,
            ["play"] = 0.05,
            ["stairsOnly"] = -0.1,
            ["tactilePaving"] = 0.05,
            ["kerbCuts"] = 0.05,
        },
        ["diversity"] = new Dictionary<string, double>
        {
            ["ageMix"] = 0.3,
            ["mobilityMix"] = 0.25,
            ["activities"] = 0.2,
            ["animals"] = 0.05,
            ["presence"] = 0.1,
            ["multilingual"] = 0.1,
        },
    };

    /// <summary>Utility of a scene on one criterion, in [0, 1].</summary>
    public static double Utility(SceneSpec spec, string criterion) => Utility(SceneFeatures.Compute(spec), Vector(Weights[Known(criterion)]));

    /// <summary>Utilities of a scene on every default criterion.</summary>
    public static IReadOnlyDictionary<string, double> Utilities(SceneSpec spec)
    {
        var f = SceneFeatures.Compute(spec);
        return Criteria.ToDictionary(c => c, c => Math.Round(Utility(f, Vector(Weights[c])), 6));
    }

    /// <summary>Weights as a vector over <see cref="SceneFeatures.Names"/> (0 where a feature is not weighed).</summary>
    public static double[] Vector(IReadOnlyDictionary<string, double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var v = new double[SceneFeatures.Names.Count];
        foreach (var (name, w) in weights)
        {
            v[SceneFeatures.Index(name)] = w;
        }

        return v;
    }

    /// <summary>U = (w . x - sum of negative w) / sum |w|, in [0, 1] because every x is in [0, 1].</summary>
    public static double Utility(double[] features, double[] weights)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(weights);
        double dot = 0, neg = 0, abs = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            dot += weights[i] * features[i];
            neg += Math.Min(0, weights[i]);
            abs += Math.Abs(weights[i]);
        }

        return abs == 0 ? 0.5 : (dot - neg) / abs;
    }

    private static string Known(string criterion) =>
        Weights.ContainsKey(criterion) ? criterion : throw new ArgumentException($"'{criterion}' is not a default criterion; known: {string.Join(", ", Criteria)}.", nameof(criterion));
}
