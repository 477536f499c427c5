namespace Pluralist.World.Scenes;

/// <summary>Kind of public space; each typology has a fixed camera and ground colour.</summary>
public enum Typology
{
    Park,
    Plaza,
    PedestrianPromenade,
    ResidentialStreet,
    CommercialBackAlley,
    Waterfront,
    Schoolyard,
    TransitStop,
}

/// <summary>Time of day; evening and night darken the sky and make lighting visible.</summary>
public enum TimeOfDay
{
    Morning,
    Noon,
    Evening,
    Night,
}

/// <summary>How the raised terrace on the left is reached.</summary>
public enum StepFreeAccess
{
    None,
    Ramp,
    Stairs,
    RampAndStairs,
}

/// <summary>
/// The subset of a public-space scene the renderer draws today. Every property here is drawn, and
/// nothing else is drawn.
/// </summary>
public sealed record SceneSpec
{
    public Typology Typology { get; init; } = Typology.Plaza;

    public TimeOfDay TimeOfDay { get; init; } = TimeOfDay.Noon;

    /// <summary>Walking path width as a fraction of the image width at its near end, in [0.1, 0.6].</summary>
    public double PathWidth { get; init; } = 0.3;

    /// <summary>False draws cracks and patches on the path.</summary>
    public bool SmoothPath { get; init; } = true;

    public StepFreeAccess Access { get; init; } = StepFreeAccess.Stairs;

    /// <summary>Benches along the right side, 0 to 4.</summary>
    public int Benches { get; init; }

    /// <summary>Planters (grey box with a shrub) along the left of the path, 0 to 4.</summary>
    public int Planters { get; init; }

    /// <summary>Trees along the back, 0 to 6.</summary>
    public int Trees { get; init; }

    /// <summary>Lamp posts, 0 to 4; at evening and night each lit lamp throws a pool of light.</summary>
    public int Lights { get; init; }

    /// <summary>Languages on the sign: 0 = no sign, 1 = one blue band, 2 = blue and red bands.</summary>
    public int SignLanguages { get; init; }

    /// <summary>Standing pedestrians, 0 to 6.</summary>
    public int Pedestrians { get; init; }

    /// <summary>Wheelchair users, 0 to 3.</summary>
    public int WheelchairUsers { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first attribute out of range.</summary>
    public void Validate()
    {
        Check(PathWidth is >= 0.1 and <= 0.6, nameof(PathWidth), PathWidth, "[0.1, 0.6]");
        Check(Benches is >= 0 and <= 4, nameof(Benches), Benches, "0..4");
        Check(Planters is >= 0 and <= 4, nameof(Planters), Planters, "0..4");
        Check(Trees is >= 0 and <= 6, nameof(Trees), Trees, "0..6");
        Check(Lights is >= 0 and <= 4, nameof(Lights), Lights, "0..4");
        Check(SignLanguages is >= 0 and <= 2, nameof(SignLanguages), SignLanguages, "0..2");
        Check(Pedestrians is >= 0 and <= 6, nameof(Pedestrians), Pedestrians, "0..6");
        Check(WheelchairUsers is >= 0 and <= 3, nameof(WheelchairUsers), WheelchairUsers, "0..3");
        Check(Enum.IsDefined(Typology), nameof(Typology), Typology, "a defined typology");
        Check(Enum.IsDefined(TimeOfDay), nameof(TimeOfDay), TimeOfDay, "a defined time of day");
        Check(Enum.IsDefined(Access), nameof(Access), Access, "a defined access kind");
    }

    private static void Check(bool ok, string name, object value, string range)
    {
        if (!ok)
        {
            throw new ArgumentException($"Scene attribute {name} = {value} is out of range; expected {range}.", name);
        }
    }
}
