namespace Pluralist.Core.Assignments;

/// <summary>
/// Draws the criteria shown with a pair (LIVS: 3 of 6). The least-shown criteria come first,
/// ties are broken at random, and the chosen ones are shown in random order, so every criterion
/// is shown about equally often and no criterion is always first. Given the counts of one judge, those come
/// first: each judge sees each criterion about equally often (the counts differ by at most one), and the study's
/// counts break the judge's ties.
/// </summary>
public static class CriteriaBalancer
{
    /// <param name="criteria">Keys of the active (not retired) criteria.</param>
    /// <param name="timesShown">How often each key has been shown so far; missing keys count as 0.</param>
    /// <param name="count">How many to draw; capped at the number of criteria.</param>
    /// <param name="random">Seeded source of randomness.</param>
    /// <param name="timesShownToJudge">How often each key has been shown to the judge being served (missing keys
    /// count as 0), ordered by before <paramref name="timesShown"/>; null: the study's counts alone.</param>
    public static IReadOnlyList<string> Choose(
        IReadOnlyList<string> criteria,
        IReadOnlyDictionary<string, long> timesShown,
        int count,
        Random random,
        IReadOnlyDictionary<string, long>? timesShownToJudge = null)
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
            .OrderBy(key => timesShownToJudge is not null && timesShownToJudge.TryGetValue(key, out var j) ? j : 0)
            .ThenBy(key => timesShown.TryGetValue(key, out var n) ? n : 0)
            .Take(count)
            .ToArray();
        random.Shuffle(chosen);
        return chosen;
    }
}
