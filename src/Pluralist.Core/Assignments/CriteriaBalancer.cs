namespace Pluralist.Core.Assignments;

/// <summary>
/// Draws the criteria shown with a pair (LIVS: 3 of 6). The least-shown criteria come first,
/// ties are broken at random, and the chosen ones are shown in random order, so every criterion
/// is shown about equally often and no criterion is always first.
/// </summary>
public static class CriteriaBalancer
{
    /// <param name="criteria">Keys of the active (not retired) criteria.</param>
    /// <param name="timesShown">How often each key has been shown so far; missing keys count as 0.</param>
    /// <param name="count">How many to draw; capped at the number of criteria.</param>
    /// <param name="random">Seeded source of randomness.</param>
    public static IReadOnlyList<string> Choose(
        IReadOnlyList<string> criteria,
        IReadOnlyDictionary<string, long> timesShown,
        int count,
        Random random)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(timesShown);
        ArgumentNullException.ThrowIfNull(random);
        if (criteria.Count == 0)
        {
            throw new ArgumentException("A study needs at least one active criterion.", nameof(criteria));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        count = Math.Min(count, criteria.Count);

        // Shuffle first, then stable-sort by count: ties end up in random order.
        var shuffled = criteria.Distinct(StringComparer.Ordinal).ToArray();
        random.Shuffle(shuffled);
        var chosen = shuffled
            .OrderBy(key => timesShown.TryGetValue(key, out var n) ? n : 0)
            .Take(count)
            .ToArray();
        random.Shuffle(chosen);
        return chosen;
    }
}
