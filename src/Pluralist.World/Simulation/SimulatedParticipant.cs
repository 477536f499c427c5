using System.Globalization;
using Pluralist.World.Scenes;
using Pluralist.World.Truth;

namespace Pluralist.World.Simulation;

/// <summary>One pair's answer as shown: a score per criterion in [-1, 1] (null = left unanswered) and the time taken.</summary>
public sealed record SimulatedAnswer(IReadOnlyList<double?> Scores, int ClientDurationMs);

/// <summary>
/// A simulated participant: identity profile, behaviour and personal parameters drawn from a seed.
/// A careful participant compares the two scenes with their own utilities (<see cref="ProfileWeights"/>):
/// d = U(right) - U(left) + noise; |d| below the neutral zone gives 0; beyond it the slider moves
/// towards the preferred side by 0.15 + (|d| - zone) / scale, capped at 1 (-1 = left, +1 = right).
/// </summary>
public sealed class SimulatedParticipant
{
    /// <summary>Assumed base rate of leaving each criterion unanswered; abstract criteria are skipped more.</summary>
    public static IReadOnlyDictionary<string, double> BaseSkipRates { get; } = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["accessibility"] = 0.03,
        ["safety"] = 0.03,
        ["comfort"] = 0.04,
        ["invitingness"] = 0.05,
        ["inclusivity"] = 0.08,
        ["diversity"] = 0.1,
    };

    private readonly Random _random;
    private readonly IReadOnlyDictionary<string, double[]> _weights;

    public SimulatedParticipant(IdentityProfile profile, Behaviour behaviour, int seed)
        : this(profile, behaviour, seed, ProfileWeights.For(profile ?? throw new ArgumentNullException(nameof(profile))))
    {
    }

    private SimulatedParticipant(IdentityProfile profile, Behaviour behaviour, int seed, IReadOnlyDictionary<string, double[]> weights)
    {
        Profile = profile;
        Behaviour = behaviour;
        Seed = seed;
        _random = new Random(seed);
        _weights = weights;

        // Personal parameters, uniform in assumed ranges.
        Noise = 0.02 + (0.04 * _random.NextDouble());
        NeutralZone = Noise * (1.2 + (0.8 * _random.NextDouble())); // 1.2 to 2 noise sds: equal images mostly read as neutral
        Scale = 0.12 + (0.13 * _random.NextDouble());
        SkipFactor = 0.5 + _random.NextDouble();
        StraightValue = new[] { -1, -0.5, 0, 0.5, 1 }[_random.Next(5)];
        if (behaviour == Behaviour.Speeder)
        {
            Noise *= 3;
            NeutralZone *= 0.5;
            SkipFactor *= 0.5;
        }
    }

    public IdentityProfile Profile { get; }

    public Behaviour Behaviour { get; }

    public int Seed { get; }

    /// <summary>Standard deviation of the personal noise on a utility difference.</summary>
    public double Noise { get; }

    /// <summary>Utility differences smaller than this are answered 0.</summary>
    public double NeutralZone { get; }

    /// <summary>Utility difference beyond the neutral zone that moves the slider by 1.</summary>
    public double Scale { get; }

    /// <summary>Multiplies the base skip rate of each criterion.</summary>
    public double SkipFactor { get; }

    /// <summary>The value a straight-liner gives to everything.</summary>
    public double StraightValue { get; }

    /// <summary>
    /// A careful judge who weighs every criterion with the ground truth's weights, before any marker changes them: the
    /// "average" of the simulation, with nobody's identity in it (the offline synthetic rater without a persona).
    /// Its <see cref="Profile"/> is <see cref="IdentityProfile.Baseline"/> as a label only; the baseline's own rules do not apply.
    /// </summary>
    public static SimulatedParticipant Unmarked(int seed) => new(
        IdentityProfile.Baseline, Behaviour.Careful, seed,
        GroundTruth.Criteria.ToDictionary(c => c, c => GroundTruth.Vector(GroundTruth.Weights[c]), StringComparer.Ordinal));

    /// <summary>
    /// The slider this participant sets on one criterion for a pair shown left/right, always answered (no skip, no
    /// behaviour): the careful rule of <see cref="Answer"/> with this participant's noise.
    /// </summary>
    public double Compare(SceneSpec left, SceneSpec right, string criterion)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (!_weights.ContainsKey(criterion))
        {
            throw new ArgumentException($"Simulated participants know the default criteria only; '{criterion}' is not one of {string.Join(", ", GroundTruth.Criteria)}.", nameof(criterion));
        }

        return Slider(Utility(right, criterion) - Utility(left, criterion) + (Noise * Gaussian()));
    }

    /// <summary>Whether <paramref name="criterion"/> is one this participant can judge.</summary>
    public bool Knows(string criterion) => _weights.ContainsKey(criterion);

    /// <summary>This participant's utility of a scene on a criterion, in [0, 1].</summary>
    public double Utility(SceneSpec spec, string criterion) => GroundTruth.Utility(SceneFeatures.Compute(spec), _weights[criterion]);

    /// <summary>Answers a pair shown left/right on the given criteria (in the order shown).</summary>
    public SimulatedAnswer Answer(SceneSpec left, SceneSpec right, IReadOnlyList<string> criteria)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        ArgumentNullException.ThrowIfNull(criteria);
        var scores = new double?[criteria.Count];
        for (int k = 0; k < criteria.Count; k++)
        {
            string c = criteria[k];
            if (!_weights.ContainsKey(c))
            {
                throw new ArgumentException($"Simulated participants know the default criteria only; '{c}' is not one of {string.Join(", ", GroundTruth.Criteria)}.", nameof(criteria));
            }

            if (Behaviour != Behaviour.StraightLiner && _random.NextDouble() < BaseSkipRates[c] * SkipFactor)
            {
                continue; // left unanswered
            }

            scores[k] = Behaviour switch
            {
                Behaviour.StraightLiner => StraightValue,
                Behaviour.Inattentive => Math.Round((_random.NextDouble() * 2) - 1, 2),
                _ => Slider(Utility(right, c) - Utility(left, c) + (Noise * Gaussian())),
            };
        }

        if (scores.All(s => s is null) && criteria.Count > 0)
        {
            // The app asks for at least one answer per pair.
            scores[0] = Behaviour == Behaviour.StraightLiner ? StraightValue : Slider(Utility(right, criteria[0]) - Utility(left, criteria[0]));
        }

        return new SimulatedAnswer(scores, Duration(criteria.Count));
    }

    // Magnitude grows with the difference beyond the neutral zone: m = min(1, 0.15 + (|d| - zone) / scale).
    private double Slider(double d)
    {
        if (Math.Abs(d) < NeutralZone)
        {
            return 0;
        }

        double m = Math.Min(1, 0.15 + ((Math.Abs(d) - NeutralZone) / Scale));
        return Math.Round(Math.Sign(d) * m, 2);
    }

    // Log-normal time per pair: median by behaviour, times (0.6 + 0.4 * criteria / 3), spread exp(0.35 z).
    private int Duration(int criteria)
    {
        double median = Behaviour switch
        {
            Behaviour.Careful => 9000,
            Behaviour.Speeder => 2200,
            Behaviour.StraightLiner => 3000,
            _ => 4000,
        };
        return (int)Math.Round(median * (0.6 + (0.4 * criteria / 3.0)) * Math.Exp(0.35 * Gaussian()));
    }

    // Box-Muller: z = sqrt(-2 ln u1) cos(2 pi u2).
    private double Gaussian()
    {
        double u1 = 1 - _random.NextDouble(), u2 = _random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Behaviour} {string.Join(",", ProfileWeights.Keys(Profile))}");
}

/// <summary>Shares of each behaviour in a simulated pool, parsed from <c>careful=0.7,speeder=0.1,straight-liner=0.1,inattentive=0.1</c>.</summary>
public sealed record BehaviourMix(double Careful, double Speeder, double StraightLiner, double Inattentive)
{
    public static BehaviourMix Default { get; } = new(0.8, 0.1, 0.05, 0.05);

    /// <summary>Parses a mix; shares must be &gt;= 0 and are normalised to sum to 1. Errors name the part at fault.</summary>
    public static BehaviourMix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var shares = new Dictionary<string, double>(StringComparer.Ordinal) { ["careful"] = 0, ["speeder"] = 0, ["straight-liner"] = 0, ["inattentive"] = 0 };
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !shares.ContainsKey(kv[0]))
            {
                throw new FormatException($"Behaviour mix part '{part}' is not name=share with name one of {string.Join(", ", shares.Keys)}.");
            }

            if (!double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0 || !double.IsFinite(v))
            {
                throw new FormatException($"Behaviour mix share for '{kv[0]}' is '{kv[1]}'; expected a number >= 0.");
            }

            shares[kv[0]] = v;
        }

        double sum = shares.Values.Sum();
        if (sum <= 0)
        {
            throw new FormatException($"Behaviour mix '{text}' has no positive share.");
        }

        return new BehaviourMix(shares["careful"] / sum, shares["speeder"] / sum, shares["straight-liner"] / sum, shares["inattentive"] / sum);
    }

    public Behaviour Draw(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u = random.NextDouble();
        return u < Careful ? Behaviour.Careful
            : u < Careful + Speeder ? Behaviour.Speeder
            : u < Careful + Speeder + StraightLiner ? Behaviour.StraightLiner
            : Behaviour.Inattentive;
    }

    /// <summary>Draws <paramref name="count"/> participants with profiles and behaviours from one seed.</summary>
    public IReadOnlyList<SimulatedParticipant> Pool(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => new SimulatedParticipant(IdentityProfile.Draw(random), Draw(random), random.Next()))];
    }
}
