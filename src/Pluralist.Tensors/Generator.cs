namespace Pluralist.Tensors;

/// <summary>
/// Seeded random numbers that are the same on every machine: SplitMix64 (Steele et al. 2014) for the bits,
/// 24-bit uniform floats, Box-Muller normals computed in double.
/// </summary>
public sealed class Generator(ulong seed)
{
    private ulong _state = seed;
    private float? _spare;

    /// <summary>Internal state, for checkpoints.</summary>
    public ulong State
    {
        get => _state;
        set
        {
            _state = value;
            _spare = null;
        }
    }

    /// <summary>
    /// The second Box-Muller normal of the last pair, returned by the next <see cref="NextNormal"/> (null when none is
    /// pending). Setting <see cref="State"/> clears it, so a checkpoint must save and restore it after the state.
    /// </summary>
    public float? SpareNormal
    {
        get => _spare;
        set => _spare = value;
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)(NextUInt64() % (ulong)n);

    /// <summary>Standard normal.</summary>
    public float NextNormal()
    {
        if (_spare is float s)
        {
            _spare = null;
            return s;
        }

        double u1 = ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));
        double u2 = (NextUInt64() >> 11) * (1.0 / (1UL << 53));
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = (float)(r * Math.Sin(2 * Math.PI * u2));
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Tensor of uniform values in [low, high).</summary>
    public Tensor Uniform(float low, float high, params int[] shape)
    {
        var t = new Tensor(new float[ShapeUtil.Numel(shape)], shape);
        for (int i = 0; i < t.Numel; i++)
        {
            t.Data[i] = low + ((high - low) * NextFloat());
        }

        return t;
    }

    /// <summary>Tensor of normal values.</summary>
    public Tensor Normal(float mean, float std, params int[] shape)
    {
        var t = new Tensor(new float[ShapeUtil.Numel(shape)], shape);
        for (int i = 0; i < t.Numel; i++)
        {
            t.Data[i] = mean + (std * NextNormal());
        }

        return t;
    }
}
