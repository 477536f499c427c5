namespace Pluralist.Analysis.Agreement;

/// <summary>
/// Krippendorff's alpha-reliability for any number of raters, missing values and the four
/// levels of measurement (K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011):
/// α = 1 − D_o/D_e with D_o = (1/n) Σ_c Σ_k o_ck δ_ck and D_e = 1/(n(n − 1)) Σ_c Σ_k n_c n_k δ_ck.
/// Items with fewer than two values are not pairable and are ignored.
/// </summary>
public static class Krippendorff
{
    public static AlphaResult Alpha(IEnumerable<Rating> ratings, MeasurementLevel level)
    {
        var data = CodedRatings.Build(ratings);
        return Alpha(data, level);
    }

    internal static AlphaResult Alpha(CodedRatings data, MeasurementLevel level)
    {
        var engine = new AgreementEngine(data, level, 1);
        var everyone = new int[data.RaterIds.Length];
        var r = engine.Compute(everyone)[0];
        return new AlphaResult(r.Irr, r.IrrObserved, r.IrrExpected, data.ItemIds.Length, data.RaterIds.Length, r.Pairable);
    }

    /// <summary>
    /// Cross-replication reliability between two rater pools (Wong, Paritosh and Aroyo 2021):
    /// xRR = 1 − d_o/d_e over the items both pools rated. Rater names of the two pools are kept apart
    /// even when they coincide.
    /// </summary>
    public static XrrResult CrossReliability(IEnumerable<Rating> poolA, IEnumerable<Rating> poolB, MeasurementLevel level)
    {
        ArgumentNullException.ThrowIfNull(poolA);
        ArgumentNullException.ThrowIfNull(poolB);
        var combined = poolA.Select(r => r with { Rater = "a\u0001" + r.Rater })
            .Concat(poolB.Select(r => r with { Rater = "b\u0001" + r.Rater }));
        var data = CodedRatings.Build(combined);
        var labels = data.RaterIds.Select(id => id[0] == 'a' ? 0 : -1).ToArray();
        var r = new AgreementEngine(data, level, 1).Compute(labels)[0];
        return new XrrResult(r.Xrr, r.XrrObserved, r.XrrExpected, r.CommonItems, r.GroupRatings, r.OtherRatings);
    }
}
