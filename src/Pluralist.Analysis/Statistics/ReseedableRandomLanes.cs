using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pluralist.Analysis.Statistics;

/// <summary>
/// Four <see cref="ReseedableRandom"/>s in the lanes of vectors: lane l draws the sequence of <c>new Random(seed_l).Next(maxValue)</c>.
/// The generator's state advances at the same positions whatever the seed, so the four sequences share the index
/// arithmetic and each step is a few vector instructions for four draws (the bootstrap of a Bradley-Terry fit draws four
/// replicates' clusters at once). Needs AVX (<see cref="IsSupported"/>); tests compare it with <see cref="Random"/>.
/// </summary>
internal sealed class ReseedableRandomLanes
{
    public const int Lanes = 4;

    private const int Mseed = 161803398;

    /// <summary>Where the seeding loop writes its i-th value (i = 1..54): 21 i mod 55, as in <see cref="ReseedableRandom"/>.</summary>
    private static readonly int[] SeedSlots = [.. Enumerable.Range(1, 54).Select(i => 21 * i % 55)];

    private readonly Vector128<int>[] _state = new Vector128<int>[56];
    private int _next;
    private int _nextP;

    public static bool IsSupported => Avx.IsSupported;

    /// <summary>Starts lane l's sequence of <c>new Random(seeds[l])</c>.</summary>
    /// <remarks><see cref="ReseedableRandom.Reseed"/>'s operations, each on the four lanes at once.</remarks>
    // Hot loops of a one-shot report process: compiled optimised at the first call rather than at tier 0 (HotKernelCompilationTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Reseed(Vector128<int> seeds)
    {
        var state = _state.AsSpan(0, 56);
        var max = Vector128.Create(int.MaxValue);
        var subtraction = Vector128.ConditionalSelect(Vector128.Equals(seeds, Vector128.Create(int.MinValue)), max, Vector128.Abs(seeds));
        var mj = Vector128.Create(Mseed) - subtraction;
        state[55] = mj;
        var mk = Vector128.Create(1);
        var slots = SeedSlots.AsSpan(0, 54);
        for (var i = 0; i < slots.Length; i++)
        {
            var ii = slots[i];
            state[ii] = mk;
            mk = mj - mk;
            mk += Vector128.ShiftRightArithmetic(mk, 31) & max;
            mj = state[ii];
        }

        for (var k = 1; k < 5; k++)
        {
            for (var i = 1; i < 25; i++)
            {
                var v = state[i] - state[i + 31];
                state[i] = v + (Vector128.ShiftRightArithmetic(v, 31) & max);
            }

            for (var i = 25; i < 56; i++)
            {
                var v = state[i] - state[i - 24];
                state[i] = v + (Vector128.ShiftRightArithmetic(v, 31) & max);
            }
        }

        _next = 0;
        _nextP = 21;
    }

    /// <summary>
    /// The next <paramref name="count"/> draws of <c>Next(maxValue)</c> in every lane: draw d of lane l at into[d·4 + l].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Next(int maxValue, int count, Span<int> into)
    {
        if (maxValue < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxValue), "must be 0 or more");
        }

        if (into.Length < count * Lanes)
        {
            throw new ArgumentException($"{count} draws of {Lanes} lanes do not fit {into.Length} entries", nameof(into));
        }

        var state = _state.AsSpan(0, 56);
        var max = Vector128.Create(int.MaxValue);
        var scale = Vector256.Create(1.0 / int.MaxValue);
        var bound = Vector256.Create((double)maxValue);
        var next = _next;
        var nextP = _nextP;
        for (var d = 0; d < count; d++)
        {
            if (++next >= 56)
            {
                next = 1;
            }

            if (++nextP >= 56)
            {
                nextP = 1;
            }

            var value = state[next] - state[nextP];
            value += Vector128.Equals(value, max); // if (value == int.MaxValue) value--
            value += Vector128.ShiftRightArithmetic(value, 31) & max;
            state[next] = value;
            // (int)(value * (1.0 / int.MaxValue) * maxValue), as Sample() and Next(maxValue): exact conversions, truncation.
            var drawn = Avx.ConvertToVector128Int32WithTruncation(Avx.ConvertToVector256Double(value) * scale * bound);
            drawn.CopyTo(into.Slice(d * Lanes, Lanes));
        }

        _next = next;
        _nextP = nextP;
    }
}
