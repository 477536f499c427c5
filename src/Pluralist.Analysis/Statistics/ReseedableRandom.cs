namespace Pluralist.Analysis.Statistics;

/// <summary>
/// The sequence of <c>new Random(seed).Next(maxValue)</c> (.NET's seeded generator: Knuth's subtractive generator,
/// kept for compatibility since .NET Core) in one reusable object, so a loop that draws a fresh seed per replicate
/// (<see cref="Seeds.For"/>) does not allocate a generator and its 56-int state per replicate. Tests compare it
/// with <see cref="Random"/> over many seeds; where it is used, results are those of <see cref="Random"/>.
/// </summary>
public sealed class ReseedableRandom
{
    private const int Mseed = 161803398;
    private readonly int[] _state = new int[56];
    private int _next;
    private int _nextP;

    public ReseedableRandom(int seed) => Reseed(seed);

    /// <summary>Starts the sequence of <c>new Random(seed)</c>.</summary>
    public void Reseed(int seed)
    {
        var state = _state;
        var subtraction = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
        var mj = Mseed - subtraction;
        state[55] = mj;
        var mk = 1;
        var ii = 0;
        for (var i = 1; i < 55; i++)
        {
            if ((ii += 21) >= 55)
            {
                ii -= 55;
            }

            state[ii] = mk;
            mk = mj - mk;
            if (mk < 0)
            {
                mk += int.MaxValue;
            }

            mj = state[ii];
        }

        for (var k = 1; k < 5; k++)
        {
            for (var i = 1; i < 56; i++)
            {
                var n = i + 30;
                if (n >= 55)
                {
                    n -= 55;
                }

                state[i] -= state[1 + n];
                if (state[i] < 0)
                {
                    state[i] += int.MaxValue;
                }
            }
        }

        _next = 0;
        _nextP = 21;
    }

    /// <summary>As <see cref="Random.Next(int)"/>: a value in [0, maxValue).</summary>
    public int Next(int maxValue)
    {
        if (maxValue < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxValue), "must be 0 or more");
        }

        return (int)(Sample() * maxValue);
    }

    private double Sample()
    {
        var next = _next + 1;
        if (next >= 56)
        {
            next = 1;
        }

        var nextP = _nextP + 1;
        if (nextP >= 56)
        {
            nextP = 1;
        }

        var value = _state[next] - _state[nextP];
        if (value == int.MaxValue)
        {
            value--;
        }

        if (value < 0)
        {
            value += int.MaxValue;
        }

        _state[next] = value;
        _next = next;
        _nextP = nextP;
        return value * (1.0 / int.MaxValue);
    }
}
