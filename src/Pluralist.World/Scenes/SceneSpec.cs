namespace Pluralist.World.Scenes;

/// <summary>Kind of public space; each typology has its own backdrop and ground.</summary>
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

/// <summary>Time of day; evening and night darken the scene and make lighting visible.</summary>
public enum TimeOfDay
{
    Morning,
    Noon,
    Evening,
    Night,
}

/// <summary>Season: tree and lawn colours, blossoms, fallen leaves, snow cover.</summary>
public enum Season
{
    Spring,
    Summer,
    Autumn,
    Winter,
}

/// <summary>Weather: clouds, rain streaks, falling snow, fog.</summary>
public enum Weather
{
    Clear,
    Cloudy,
    Rain,
    Snow,
    Fog,
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
/// A public-space scene. Every property is drawn by <see cref="SceneRenderer"/> and nothing else
/// is; <see cref="SceneAttributes.All"/> lists them with their ranges.
/// </summary>
public sealed record SceneSpec
{
    public Typology Typology { get; init; } = Typology.Plaza;

    public TimeOfDay TimeOfDay { get; init; } = TimeOfDay.Noon;

    public Season Season { get; init; } = Season.Summer;

    public Weather Weather { get; init; } = Weather.Clear;

    /// <summary>Level of detail in [0, 1]: paving joints, windows, grass tufts, stars.</summary>
    public double Detail { get; init; } = 0.5;

    /// <summary>Walking path width as a fraction of the image width at its near end, in [0.1, 0.6].</summary>
    public double PathWidth { get; init; } = 0.3;

    /// <summary>False draws cracks and patches on the path.</summary>
    public bool SmoothPath { get; init; } = true;

    /// <summary>Lowered, flared kerb where the path meets the street in the foreground.</summary>
    public bool KerbCuts { get; init; }

    public StepFreeAccess Access { get; init; } = StepFreeAccess.Stairs;

    /// <summary>Yellow tactile warning strips at the kerb and at the top of the ramp or stairs.</summary>
    public bool TactilePaving { get; init; }

    /// <summary>Benches with backrests on the right, 0 to 3.</summary>
    public int Benches { get; init; }

    /// <summary>Café tables with two chairs each, right of the path, 0 to 3.</summary>
    public int Chairs { get; init; }

    /// <summary>A shade sail on poles over the seating on the right.</summary>
    public bool Canopy { get; init; }

    /// <summary>Trees along the back, 0 to 6.</summary>
    public int Trees { get; init; }

    /// <summary>Planters (grey box with a shrub) along the left of the path, 0 to 4.</summary>
    public int Planters { get; init; }

    /// <summary>Lawns on both sides of the path instead of bare paving.</summary>
    public bool Lawn { get; init; }

    /// <summary>A fountain basin with jets, right of the far end of the path.</summary>
    public bool Fountain { get; init; }

    /// <summary>Lamp posts along the path, 0 to 4.</summary>
    public int Lights { get; init; }

    /// <summary>Share of the path a lamp lights, in [0.2, 1]: lamp head size, and pool size when dark.</summary>
    public double LightCoverage { get; init; } = 0.6;

    /// <summary>Signs on posts, 0 to 3.</summary>
    public int Signs { get; init; }

    /// <summary>Languages on each sign, 1 to 3: blue, then red, then green text bands.</summary>
    public int SignLanguages { get; init; } = 1;

    /// <summary>Bollards between the space and the street.</summary>
    public bool Bollards { get; init; }

    /// <summary>Cars on the street in the foreground, 0 to 3.</summary>
    public int Cars { get; init; }

    /// <summary>Litter on the ground: 0 none, 1 some, 2 a lot, 3 everywhere.</summary>
    public int Litter { get; init; }

    /// <summary>Graffiti tags on the walls.</summary>
    public bool Graffiti { get; init; }

    /// <summary>A playground with a slide and swings, bottom left.</summary>
    public bool PlayArea { get; init; }

    /// <summary>A small court with a basketball hoop, bottom right.</summary>
    public bool SportArea { get; init; }

    /// <summary>A kiosk at the back right.</summary>
    public bool Kiosk { get; init; }

    /// <summary>Market stalls with striped awnings at the back left, 0 to 3.</summary>
    public int MarketStalls { get; init; }

    /// <summary>A sculpture on a plinth where the path meets the horizon.</summary>
    public bool PublicArt { get; init; }

    /// <summary>Adults walking or standing, 0 to 6.</summary>
    public int Pedestrians { get; init; }

    /// <summary>Children (small figures), 0 to 4.</summary>
    public int Children { get; init; }

    /// <summary>Older people with grey hair and a cane, 0 to 3.</summary>
    public int Seniors { get; init; }

    /// <summary>Wheelchair users (large wheel), 0 to 3.</summary>
    public int WheelchairUsers { get; init; }

    /// <summary>People with a rollator walker, 0 to 2.</summary>
    public int WalkerUsers { get; init; }

    /// <summary>Adults pushing a stroller, 0 to 3.</summary>
    public int Strollers { get; init; }

    /// <summary>Groups of three people chatting, 0 to 2.</summary>
    public int Groups { get; init; }

    /// <summary>Dogs, 0 to 3.</summary>
    public int Dogs { get; init; }

    /// <summary>Birds in the sky, 0 to 6.</summary>
    public int Birds { get; init; }

    /// <summary>People of any kind in the scene (a group counts three).</summary>
    public int PeopleCount => Pedestrians + Children + Seniors + WheelchairUsers + WalkerUsers + Strollers + (3 * Groups);

    /// <summary>Throws <see cref="SceneSpecException"/> naming the first attribute out of range.</summary>
    public void Validate()
    {
        foreach (var a in SceneAttributes.All)
        {
            a.Check(a.Get(this));
        }
    }
}
