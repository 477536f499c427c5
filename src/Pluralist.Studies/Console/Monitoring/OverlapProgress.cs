namespace Pluralist.Studies.Console.Monitoring;

/// <summary>
/// The overlap reached: how many distinct participants answered each regular pair (annotation and evaluation pairs),
/// against the target K of the batch (or the largest K of the study's batches). Agreement needs pairs with two or more raters.
/// </summary>
/// <param name="Target">K: raters the hand-out gives each pair.</param>
/// <param name="Pairs">Regular pairs the batch (or study) can hand out.</param>
/// <param name="AtTarget">Pairs answered by at least K participants.</param>
/// <param name="Comparable">Pairs answered by at least two participants: those agreement can use.</param>
/// <param name="Distribution">Pairs per number of raters, from 0 to the highest count reached.</param>
public sealed record OverlapProgress(int Target, int Pairs, int AtTarget, int Comparable, IReadOnlyList<RatersPerPair> Distribution);

/// <summary>How many pairs have exactly <paramref name="Raters"/> distinct participants' answers.</summary>
public sealed record RatersPerPair(int Raters, int Pairs);
