using Pluralist.Analysis.Evaluation;

namespace Pluralist.Analysis.Tests;

public class DoseTrendTests
{
    [Fact]
    public void Cochran_armitage_matches_the_hand_worked_case()
    {
        // Scores 0..3 with 5, 6, 7, 8 wins of 10: M = 40, p̄ = 26/40 = 0.65;
        // T = Σ x (w − 10 p̄) = 0(−1.5) + 1(−0.5) + 2(0.5) + 3(1.5) = 5;
        // Σ m x = 60, Σ m x² = 140, Var T = 0.65 · 0.35 · (140 − 60²/40) = 0.2275 · 50 = 11.375;
        // Z = 5/√11.375 = 1.48250, upper tail 0.069104, two-sided 0.138208.
        var t = DoseTrend.Test([(0, 5, 10), (1, 6, 10), (2, 7, 10), (3, 8, 10)]);
        Assert.Equal(5, t.Statistic, 12);
        Assert.Equal(5 / Math.Sqrt(11.375), t.Z, 12);
        Assert.Equal(1.48250, t.Z, 5);
        Assert.Equal(0.069104, t.PIncreasing, 6);
        Assert.Equal(0.138208, t.PTwoSided, 6);
        Assert.Null(t.Warning);

        // The logistic slope rises with the rates, and the Cochran-Armitage Z is its score test: near the Wald z here.
        Assert.True(t.Slope > 0);
        Assert.InRange(Math.Abs(t.Z - (t.Slope / t.SlopeSe)), 0, 0.05); // Wald z 1.4554 by a hand-run Newton fit
    }

    [Fact]
    public void Falling_rates_give_a_negative_z_shifted_scores_change_nothing_and_degenerate_cases_are_nan()
    {
        var down = DoseTrend.Test([(0, 8, 10), (1, 7, 10), (2, 6, 10), (3, 5, 10)]);
        Assert.Equal(-5 / Math.Sqrt(11.375), down.Z, 12);
        Assert.Equal(1 - 0.069104, down.PIncreasing, 6); // the mirror of the rising case
        Assert.True(down.PIncreasing > 0.9);

        // log2(10, 20, 40, 80) = log2(10) + 0..3: the statistic is invariant to a shift of the scores.
        var shifted = DoseTrend.Test([(Math.Log2(10), 5, 10), (Math.Log2(20), 6, 10), (Math.Log2(40), 7, 10), (Math.Log2(80), 8, 10)]);
        Assert.Equal(5 / Math.Sqrt(11.375), shifted.Z, 9);

        Assert.True(double.IsNaN(DoseTrend.Test([(1, 3, 5), (1, 2, 5)]).Z)); // one distinct score
        Assert.True(double.IsNaN(DoseTrend.Test([(0, 5, 5), (1, 4, 4)]).Z)); // every answer a win
        var two = DoseTrend.Test([(0, 3, 10), (1, 7, 10)]);
        Assert.Contains("only 2 points", two.Warning, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => DoseTrend.Test([(0, 6, 5)]));
    }
}
