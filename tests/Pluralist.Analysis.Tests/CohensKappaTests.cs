using Pluralist.Analysis.Agreement;

namespace Pluralist.Analysis.Tests;

public class CohensKappaTests
{
    [Fact]
    public void Kappa_matches_the_hand_computed_value_and_edge_cases()
    {
        // 10 items: both "a" 4 times, both "b" 3 times, a/b 2, b/a 1. p_o = 0.7; p_A(a) = 0.6, p_B(a) = 0.5;
        // p_e = 0.6 * 0.5 + 0.4 * 0.5 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4.
        var labels = Enumerable.Repeat(("a", "a"), 4).Concat(Enumerable.Repeat(("b", "b"), 3))
            .Concat(Enumerable.Repeat(("a", "b"), 2)).Append(("b", "a")).ToList();
        Assert.Equal(0.4, CohensKappa.Compute(labels), 12);
        Assert.Equal(1.0, CohensKappa.Compute([("a", "a"), ("b", "b")]), 12);
        Assert.Equal(-1.0, CohensKappa.Compute([("a", "b"), ("b", "a")]), 12);
        Assert.True(double.IsNaN(CohensKappa.Compute(new List<(string, string)>())));
        Assert.True(double.IsNaN(CohensKappa.Compute([("a", "a"), ("a", "a")])));
    }
}
