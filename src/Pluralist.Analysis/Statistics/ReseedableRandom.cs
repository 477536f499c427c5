using System.Runtime.CompilerServices;

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

    /// <summary>Where the seeding loop writes its i-th value (i = 1..54): 21 i mod 55.</summary>
    private static readonly int[] SeedSlots = [.. Enumerable.Range(1, 54).Select(i => 21 * i % 55)];

    /// <summary>Starts the sequence of <c>new Random(seed)</c>.</summary>
    /// <remarks>
    /// .NET's seeding written without its data-dependent branches (a bootstrap reseeds once per replicate, and those
    /// branches, taken about half the time, cost more than the arithmetic): "if (v &lt; 0) v += int.MaxValue" is
    /// v += (v &gt;&gt; 31) &amp; int.MaxValue, the index 21 i mod 55 comes from a table, and the mixing loop's index
    /// i + 30 wrapped at 55 is split into its two ranges. The same values in the same order.
    /// </remarks>
    // Hot loops of a one-shot report process: compiled optimised at the first call rather than at tier 0 (HotKernelCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Reseed(int seed)
    {
        var state = _state.AsSpan(0, 56);
        var subtraction = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
        var mj = Mseed - subtraction;
        state[55] = mj;
        var mk = 1;
        var slots = SeedSlots.AsSpan(0, 54);
        for (var i = 0; i < slots.Length; i++)
        {
            var ii = slots[i];
            state[ii] = mk;
            mk = mj - mk;
            mk += (mk >> 31) & int.MaxValue;
            mj = state[ii];
        }

        for (var k = 1; k < 5; k++)
        {
            // i = 1..24 subtracts state[i + 31]; i = 25..55 subtracts state[i - 24] (1 + (i + 30 − 55)).
            for (var i = 1; i < 25; i++)
            {
                var v = state[i] - state[i + 31];
                state[i] = v + ((v >> 31) & int.MaxValue);
            }

            for (var i = 25; i < 56; i++)
            {
                var v = state[i] - state[i - 24];
                state[i] = v + ((v >> 31) & int.MaxValue);
            }
        }

        _next = 0;
        _nextP = 21;
    }

    /// <summary>As <see cref="Random.Next(int)"/>: a value in [0, maxValue).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Next(int maxValue)
    {
        if (maxValue < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxValue), "must be 0 or more");
        }

        return (int)(Sample() * maxValue);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        value += (value >> 31) & int.MaxValue; // if (value < 0) value += int.MaxValue, without a branch taken at random

        _state[next] = value;
        _next = next;
        _nextP = nextP;
        return value * (1.0 / int.MaxValue);
    }
}
