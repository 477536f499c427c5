using System.Globalization;

namespace Pluralist.World.Scenes;

/// <summary>How an attribute's value is read: a count, a yes/no, one of an enum's values, or a number.</summary>
public enum AttributeKind
{
    Count,
    Flag,
    Choice,
    Number,
}

/// <summary>Thrown for a scene spec (or spec file) that is not valid; <see cref="Field"/> names the attribute.</summary>
public sealed class SceneSpecException : Exception
{
    public SceneSpecException()
    {
    }

    public SceneSpecException(string message)
        : base(message)
    {
    }

    public SceneSpecException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public SceneSpecException(string field, string message, Exception? inner = null)
        : base(message, inner)
    {
        Field = field;
    }

    /// <summary>The JSON name of the attribute at fault (<c>benches</c>), when known.</summary>
    public string? Field { get; }
}

/// <summary>
/// One attribute of <see cref="SceneSpec"/> as a number: counts and enum ordinals as integers, flags
/// as 0/1. The lexicon, the sampler, the utilities and the tests all go through this table, so an
/// attribute added to the spec is added in one place.
/// </summary>
public sealed class SceneAttribute
{
    private readonly Func<SceneSpec, double> _get;
    private readonly Func<SceneSpec, double, SceneSpec> _with;

    internal SceneAttribute(string name, AttributeKind kind, double min, double max, Func<SceneSpec, double> get, Func<SceneSpec, double, SceneSpec> with, Type? choices = null)
    {
        Name = name;
        Kind = kind;
        Min = min;
        Max = max;
        _get = get;
        _with = with;
        ChoiceNames = choices is null ? [] : [.. Enum.GetNames(choices).Select(SceneJson.Kebab)];
    }

    /// <summary>JSON name (camelCase), as in spec files and error messages.</summary>
    public string Name { get; }

    public AttributeKind Kind { get; }

    public double Min { get; }

    public double Max { get; }

    /// <summary>For choices: the values' JSON names in ordinal order.</summary>
    public IReadOnlyList<string> ChoiceNames { get; }

    public bool IsDiscrete => Kind != AttributeKind.Number;

    public double Get(SceneSpec spec) => _get(spec);

    /// <summary>A copy of the spec with this attribute set (clamped to the range, rounded when discrete).</summary>
    public SceneSpec With(SceneSpec spec, double value)
    {
        value = Math.Clamp(value, Min, Max);
        return _with(spec, IsDiscrete ? Math.Round(value) : value);
    }

    /// <summary>The value as written in JSON and captions: enum name, true/false, or the number.</summary>
    public string Format(double value) => Kind switch
    {
        AttributeKind.Choice when value >= 0 && value < ChoiceNames.Count && value == Math.Floor(value) => ChoiceNames[(int)value],
        AttributeKind.Flag => value != 0 ? "true" : "false",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    public string RangeText => Kind switch
    {
        AttributeKind.Choice => "one of " + string.Join(", ", ChoiceNames),
        AttributeKind.Flag => "true or false",
        AttributeKind.Count => $"a whole number {Min}..{Max}",
        _ => string.Create(CultureInfo.InvariantCulture, $"a number in [{Min}, {Max}]"),
    };

    internal void Check(double value)
    {
        bool ok = double.IsFinite(value) && value >= Min && value <= Max && (!IsDiscrete || value == Math.Floor(value));
        if (!ok)
        {
            throw new SceneSpecException(Name, $"Scene attribute {Name} = {Format(value)} is out of range; expected {RangeText}.");
        }
    }
}

/// <summary>The table of every scene attribute, in spec order.</summary>
public static class SceneAttributes
{
    public static IReadOnlyList<SceneAttribute> All { get; } =
    [
        Choice<Typology>("typology", s => (int)s.Typology, (s, v) => s with { Typology = (Typology)v }),
        Choice<TimeOfDay>("timeOfDay", s => (int)s.TimeOfDay, (s, v) => s with { TimeOfDay = (TimeOfDay)v }),
        Choice<Season>("season", s => (int)s.Season, (s, v) => s with { Season = (Season)v }),
        Choice<Weather>("weather", s => (int)s.Weather, (s, v) => s with { Weather = (Weather)v }),
        new("detail", AttributeKind.Number, 0, 1, s => s.Detail, (s, v) => s with { Detail = v }),
        new("pathWidth", AttributeKind.Number, 0.1, 0.6, s => s.PathWidth, (s, v) => s with { PathWidth = v }),
        Flag("smoothPath", s => s.SmoothPath, (s, v) => s with { SmoothPath = v }),
        Flag("kerbCuts", s => s.KerbCuts, (s, v) => s with { KerbCuts = v }),
        Choice<StepFreeAccess>("access", s => (int)s.Access, (s, v) => s with { Access = (StepFreeAccess)v }),
        Flag("tactilePaving", s => s.TactilePaving, (s, v) => s with { TactilePaving = v }),
        Count("benches", 3, s => s.Benches, (s, v) => s with { Benches = v }),
        Count("chairs", 3, s => s.Chairs, (s, v) => s with { Chairs = v }),
        Flag("canopy", s => s.Canopy, (s, v) => s with { Canopy = v }),
        Count("trees", 6, s => s.Trees, (s, v) => s with { Trees = v }),
        Count("planters", 4, s => s.Planters, (s, v) => s with { Planters = v }),
        Flag("lawn", s => s.Lawn, (s, v) => s with { Lawn = v }),
        Flag("fountain", s => s.Fountain, (s, v) => s with { Fountain = v }),
        Count("lights", 4, s => s.Lights, (s, v) => s with { Lights = v }),
        new("lightCoverage", AttributeKind.Number, 0.2, 1, s => s.LightCoverage, (s, v) => s with { LightCoverage = v }),
        Count("signs", 3, s => s.Signs, (s, v) => s with { Signs = v }),
        new("signLanguages", AttributeKind.Count, 1, 3, s => s.SignLanguages, (s, v) => s with { SignLanguages = (int)v }),
        Flag("bollards", s => s.Bollards, (s, v) => s with { Bollards = v }),
        Count("cars", 3, s => s.Cars, (s, v) => s with { Cars = v }),
        Count("litter", 3, s => s.Litter, (s, v) => s with { Litter = v }),
        Flag("graffiti", s => s.Graffiti, (s, v) => s with { Graffiti = v }),
        Flag("playArea", s => s.PlayArea, (s, v) => s with { PlayArea = v }),
        Flag("sportArea", s => s.SportArea, (s, v) => s with { SportArea = v }),
        Flag("kiosk", s => s.Kiosk, (s, v) => s with { Kiosk = v }),
        Count("marketStalls", 3, s => s.MarketStalls, (s, v) => s with { MarketStalls = v }),
        Flag("publicArt", s => s.PublicArt, (s, v) => s with { PublicArt = v }),
        Count("pedestrians", 6, s => s.Pedestrians, (s, v) => s with { Pedestrians = v }),
        Count("children", 4, s => s.Children, (s, v) => s with { Children = v }),
        Count("seniors", 3, s => s.Seniors, (s, v) => s with { Seniors = v }),
        Count("wheelchairUsers", 3, s => s.WheelchairUsers, (s, v) => s with { WheelchairUsers = v }),
        Count("walkerUsers", 2, s => s.WalkerUsers, (s, v) => s with { WalkerUsers = v }),
        Count("strollers", 3, s => s.Strollers, (s, v) => s with { Strollers = v }),
        Count("groups", 2, s => s.Groups, (s, v) => s with { Groups = v }),
        Count("dogs", 3, s => s.Dogs, (s, v) => s with { Dogs = v }),
        Count("birds", 6, s => s.Birds, (s, v) => s with { Birds = v }),
    ];

    private static readonly Dictionary<string, SceneAttribute> ByName = All.ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The attribute with this JSON name (case-insensitive); throws naming the unknown name.</summary>
    public static SceneAttribute Get(string name) =>
        ByName.TryGetValue(name, out var a) ? a : throw new SceneSpecException(name, $"'{name}' is not a scene attribute; known: {string.Join(", ", All.Select(x => x.Name))}.");

    private static SceneAttribute Count(string name, int max, Func<SceneSpec, int> get, Func<SceneSpec, int, SceneSpec> with) =>
        new(name, AttributeKind.Count, 0, max, s => get(s), (s, v) => with(s, (int)v));

    private static SceneAttribute Flag(string name, Func<SceneSpec, bool> get, Func<SceneSpec, bool, SceneSpec> with) =>
        new(name, AttributeKind.Flag, 0, 1, s => get(s) ? 1 : 0, (s, v) => with(s, v != 0));

    private static SceneAttribute Choice<T>(string name, Func<SceneSpec, int> get, Func<SceneSpec, int, SceneSpec> with)
        where T : struct, Enum =>
        new(name, AttributeKind.Choice, 0, Enum.GetValues<T>().Length - 1, s => get(s), (s, v) => with(s, (int)v), typeof(T));
}
