using Pluralist.World.Scenes;

namespace Pluralist.World.Truth;

/// <summary>
/// Scene features in [0, 1] that utilities weigh: what a person would notice in the image, each
/// defined by a one-line formula over the spec.
/// </summary>
public static class SceneFeatures
{
    private static readonly (string Name, string Formula, Func<SceneSpec, double> Value)[] Table =
    [
        ("stepFree", "1 if a ramp reaches the terrace, else 0", s => s.Access is StepFreeAccess.Ramp or StepFreeAccess.RampAndStairs ? 1 : 0),
        ("stairsOnly", "1 if stairs are the only way up, else 0", s => s.Access == StepFreeAccess.Stairs ? 1 : 0),
        ("smoothPath", "1 if the path is smooth", s => s.SmoothPath ? 1 : 0),
        ("pathWidth", "(width - 0.1) / 0.5", s => (s.PathWidth - 0.1) / 0.5),
        ("kerbCuts", "1 if the kerb is cut", s => s.KerbCuts ? 1 : 0),
        ("tactilePaving", "1 if tactile strips", s => s.TactilePaving ? 1 : 0),
        ("seating", "min(1, (benches + chairs / 2) / 3)", s => Math.Min(1, (s.Benches + (s.Chairs / 2.0)) / 3)),
        ("shade", "canopy / 2 + trees / 12", s => (s.Canopy ? 0.5 : 0) + (s.Trees / 12.0)),
        ("greenery", "(trees / 6 + lawn + planters / 4) / 3", s => ((s.Trees / 6.0) + (s.Lawn ? 1 : 0) + (s.Planters / 4.0)) / 3),
        ("water", "1 if a fountain", s => s.Fountain ? 1 : 0),
        ("lighting", "lights / 4 * (0.4 + 0.6 * coverage)", s => s.Lights / 4.0 * (0.4 + (0.6 * s.LightCoverage))),
        ("darkUnlit", "dark * (1 - lighting), dark = 1 at night, 0.6 at evening, else 0", s => Dark(s) * (1 - (s.Lights / 4.0 * (0.4 + (0.6 * s.LightCoverage))))),
        ("signage", "signs / 3", s => s.Signs / 3.0),
        ("multilingual", "0 without signs, else (languages - 1) / 2", s => s.Signs == 0 ? 0 : (s.SignLanguages - 1) / 2.0),
        ("bollards", "1 if bollards", s => s.Bollards ? 1 : 0),
        ("traffic", "cars / 3", s => s.Cars / 3.0),
        ("litter", "litter / 3", s => s.Litter / 3.0),
        ("graffiti", "1 if graffiti", s => s.Graffiti ? 1 : 0),
        ("play", "1 if a playground", s => s.PlayArea ? 1 : 0),
        ("activities", "(play + sport + kiosk + market + art + fountain + cafe tables) / 7", s => ((s.PlayArea ? 1 : 0) + (s.SportArea ? 1 : 0) + (s.Kiosk ? 1 : 0) + (s.MarketStalls > 0 ? 1 : 0) + (s.PublicArt ? 1 : 0) + (s.Fountain ? 1 : 0) + (s.Chairs > 0 ? 1 : 0)) / 7.0),
        ("art", "1 if public art", s => s.PublicArt ? 1 : 0),
        ("presence", "min(1, people / 6): others around", s => Math.Min(1, s.PeopleCount / 6.0)),
        ("crowding", "max(0, (people - 8) / 8)", s => Math.Max(0, (s.PeopleCount - 8) / 8.0)),
        ("ageMix", "(children > 0) + (adults > 0) + (seniors > 0), over 3", s => ((s.Children > 0 ? 1 : 0) + (s.Pedestrians + s.Groups + s.Strollers + s.WheelchairUsers > 0 ? 1 : 0) + (s.Seniors + s.WalkerUsers > 0 ? 1 : 0)) / 3.0),
        ("mobilityMix", "(wheelchair users > 0) + (walker users or seniors with canes > 0) + (strollers > 0), over 3", s => ((s.WheelchairUsers > 0 ? 1 : 0) + (s.WalkerUsers + s.Seniors > 0 ? 1 : 0) + (s.Strollers > 0 ? 1 : 0)) / 3.0),
        ("animals", "min(1, (dogs + birds) / 4)", s => Math.Min(1, (s.Dogs + s.Birds) / 4.0)),
        ("badWeather", "rain, snow or fog 1, cloudy 0.3, clear 0", s => s.Weather switch { Weather.Clear => 0, Weather.Cloudy => 0.3, _ => 1 }),
    ];

    /// <summary>Feature names, in the order of <see cref="Compute"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Table.Select(t => t.Name)];

    /// <summary>One-line formula per feature, for the docs.</summary>
    public static IReadOnlyList<(string Name, string Formula)> Formulas { get; } = [.. Table.Select(t => (t.Name, t.Formula))];

    public static int Index(string name)
    {
        for (int i = 0; i < Table.Length; i++)
        {
            if (Table[i].Name == name)
            {
                return i;
            }
        }

        throw new ArgumentException($"'{name}' is not a scene feature; known: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>All features of a spec, each in [0, 1].</summary>
    public static double[] Compute(SceneSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var f = new double[Table.Length];
        for (int i = 0; i < f.Length; i++)
        {
            f[i] = Math.Clamp(Table[i].Value(spec), 0, 1);
        }

        return f;
    }

    private static double Dark(SceneSpec s) => s.TimeOfDay switch { TimeOfDay.Night => 1, TimeOfDay.Evening => 0.6, _ => 0 };
}
