namespace Pluralist.Core.Privacy;

/// <summary>
/// The one rule for numbers linked to identity (k-anonymity with k = the study's minimum group size):
/// a number about a consented identity group, or about any slice of data filtered by an identity
/// group, may be shown only when it is drawn from at least k distinct people. Every other filter
/// combined with the group (participant, pair, prompt, criterion, batch, item…) narrows the set of
/// people the number is drawn from, and the rule is applied to that narrowed set. Zero people is
/// below any k: "nobody in this group" about one person is as telling as "this person is in it".
/// What fails the rule is suppressed: counted at most, never named, never given numbers.
/// </summary>
public static class MinimumGroupSize
{
    /// <summary>Whether numbers drawn from <paramref name="distinctPeople"/> people may be shown (k below 1 counts as 1).</summary>
    public static bool MayShow(int distinctPeople, int minGroupSize) => distinctPeople >= Math.Max(1, minGroupSize);

    /// <summary>Whether numbers drawn from these rows may be shown: counts the distinct people the rows belong to.</summary>
    public static bool MayShow<T>(IEnumerable<T> rows, Func<T, long> person, int minGroupSize)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(person);
        var k = Math.Max(1, minGroupSize);
        var seen = new HashSet<long>();
        foreach (var row in rows)
        {
            if (seen.Add(person(row)) && seen.Count >= k)
            {
                return true;
            }
        }

        return false;
    }
}
