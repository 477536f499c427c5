namespace Pluralist.Analysis.Agreement;

/// <summary>
/// Ratings coded to dense indices and stored by item (compressed rows), so that the agreement
/// engine and its permutation loop touch only integer arrays.
/// </summary>
internal sealed class CodedRatings
{
    private CodedRatings(string[] items, string[] raters, double[] values, int[] itemStart, int[] raterOf, int[] valueOf)
    {
        ItemIds = items;
        RaterIds = raters;
        Values = values;
        ItemStart = itemStart;
        RaterOf = raterOf;
        ValueOf = valueOf;
    }

    public string[] ItemIds { get; }

    public string[] RaterIds { get; }

    /// <summary>Distinct values, ascending.</summary>
    public double[] Values { get; }

    /// <summary>Ratings of item u are at [ItemStart[u], ItemStart[u + 1]).</summary>
    public int[] ItemStart { get; }

    public int[] RaterOf { get; }

    public int[] ValueOf { get; }

    public int Count => RaterOf.Length;

    public static CodedRatings Build(IEnumerable<Rating> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var raterIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var items = new List<int>();
        var raters = new List<int>();
        var raw = new List<double>();
        foreach (var r in ratings)
        {
            if (!double.IsFinite(r.Value))
            {
                throw new ArgumentException($"rating of item '{r.Item}' by rater '{r.Rater}' is not a finite number", nameof(ratings));
            }

            items.Add(IndexOf(itemIndex, r.Item));
            raters.Add(IndexOf(raterIndex, r.Rater));
            raw.Add(r.Value);
        }

        var values = raw.Distinct().Order().ToArray();
        var valueIndex = new Dictionary<double, int>(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            valueIndex[values[i]] = i;
        }

        var itemStart = new int[itemIndex.Count + 1];
        foreach (var u in items)
        {
            itemStart[u + 1]++;
        }

        for (var u = 0; u < itemIndex.Count; u++)
        {
            itemStart[u + 1] += itemStart[u];
        }

        var fill = (int[])itemStart.Clone();
        var raterOf = new int[items.Count];
        var valueOf = new int[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var at = fill[items[i]]++;
            raterOf[at] = raters[i];
            valueOf[at] = valueIndex[raw[i]];
        }

        return new CodedRatings(Names(itemIndex), Names(raterIndex), values, itemStart, raterOf, valueOf);
    }

    /// <summary>
    /// The ratings of the raters <paramref name="keep"/> marks (indexed by rater), with the same rater numbers, the same
    /// distinct values and value codes (so an engine centres and scores them as on the whole data), each item's ratings
    /// in their order here; items left without a rating are dropped. A group's within-group reliability depends only
    /// on its members' ratings, item by item in this order, so it comes out the same on the subset.
    /// </summary>
    public CodedRatings Restrict(ReadOnlySpan<bool> keep)
    {
        var items = new List<string>();
        var itemStart = new List<int> { 0 };
        var raterOf = new List<int>();
        var valueOf = new List<int>();
        for (var u = 0; u + 1 < ItemStart.Length; u++)
        {
            for (var i = ItemStart[u]; i < ItemStart[u + 1]; i++)
            {
                if (keep[RaterOf[i]])
                {
                    raterOf.Add(RaterOf[i]);
                    valueOf.Add(ValueOf[i]);
                }
            }

            if (raterOf.Count > itemStart[^1])
            {
                items.Add(ItemIds[u]);
                itemStart.Add(raterOf.Count);
            }
        }

        return new CodedRatings([.. items], RaterIds, Values, [.. itemStart], [.. raterOf], [.. valueOf]);
    }

    private static int IndexOf(Dictionary<string, int> index, string key)
    {
        if (!index.TryGetValue(key, out var i))
        {
            i = index.Count;
            index.Add(key, i);
        }

        return i;
    }

    private static string[] Names(Dictionary<string, int> index)
    {
        var names = new string[index.Count];
        foreach (var (name, i) in index)
        {
            names[i] = name;
        }

        return names;
    }
}
