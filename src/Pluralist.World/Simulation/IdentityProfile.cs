namespace Pluralist.World.Simulation;

public enum AgeBand
{
    Youth,
    Adult,
    Senior,
}

public enum LanguageBackground
{
    Francophone,
    Anglophone,
    Allophone,
}

public enum Gender
{
    Woman,
    Man,
    NonBinary,
}

/// <summary>How a simulated participant goes about the task.</summary>
public enum Behaviour
{
    /// <summary>Looks at both images and answers from their own utilities.</summary>
    Careful,

    /// <summary>Answers fast: three times the noise, half the neutral zone, a quarter of the time.</summary>
    Speeder,

    /// <summary>Gives the same slider value to every criterion of every pair.</summary>
    StraightLiner,

    /// <summary>Answers at random, so fails attention checks.</summary>
    Inattentive,
}

/// <summary>The identity markers of a simulated participant; intersections are combinations of these.</summary>
public sealed record IdentityProfile(bool MobilityLimited, AgeBand Age, bool ParentOfYoungChildren, LanguageBackground Language, Gender Gender)
{
    /// <summary>A profile with no markers that change weights: no mobility limitation, adult, not a parent, francophone, man.</summary>
    public static IdentityProfile Baseline { get; } = new(false, AgeBand.Adult, false, LanguageBackground.Francophone, Gender.Man);

    /// <summary>The ages in years the profile's age band spans (youth 18-29, adult 30-64, senior 65-90).</summary>
    public (int Youngest, int Oldest) AgeRange => Age switch
    {
        AgeBand.Youth => (18, 29),
        AgeBand.Adult => (30, 64),
        _ => (65, 90),
    };

    /// <summary>
    /// The profile's own markers (its age band written as its range), plus <c>parent</c>. A study's questions are
    /// answered from these and an age within <see cref="AgeRange"/>, coded like real answers (the demo seeder).
    /// </summary>
    public IReadOnlyDictionary<string, string> Markers => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["age-band"] = Age == AgeBand.Senior ? $"{AgeRange.Youngest}+" : $"{AgeRange.Youngest}-{AgeRange.Oldest}",
        ["gender"] = Gender switch { Gender.Woman => "woman", Gender.Man => "man", _ => "non-binary" },
        ["disability"] = MobilityLimited ? "mobility" : "none",
        ["languages"] = Language switch { LanguageBackground.Francophone => "fr", LanguageBackground.Anglophone => "en", _ => "other" },
        ["parent"] = ParentOfYoungChildren ? "yes" : "no",
    };

    /// <summary>
    /// Draws a profile from assumed marginals: 15% mobility-limited, ages 25/55/20%, 25% parents
    /// of young children, languages fr/en/other 55/25/20%, gender woman/man/non-binary 50/45/5%.
    /// </summary>
    public static IdentityProfile Draw(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double a = random.NextDouble(), l = random.NextDouble(), g = random.NextDouble();
        return new IdentityProfile(
            random.NextDouble() < 0.15,
            a < 0.25 ? AgeBand.Youth : a < 0.8 ? AgeBand.Adult : AgeBand.Senior,
            random.NextDouble() < 0.25,
            l < 0.55 ? LanguageBackground.Francophone : l < 0.8 ? LanguageBackground.Anglophone : LanguageBackground.Allophone,
            g < 0.5 ? Gender.Woman : g < 0.95 ? Gender.Man : Gender.NonBinary);
    }
}
