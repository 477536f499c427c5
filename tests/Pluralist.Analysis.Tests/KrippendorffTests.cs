using Pluralist.Analysis.Agreement;

namespace Pluralist.Analysis.Tests;

public class KrippendorffTests
{
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers x 12 units, missing cells as null.
    private static readonly double?[][] Reliability =
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
        [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];

    internal static List<Rating> WorkedExample()
    {
        var ratings = new List<Rating>();
        for (var o = 0; o < Reliability.Length; o++)
        {
            for (var u = 0; u < Reliability[o].Length; u++)
            {
                if (Reliability[o][u] is { } v)
                {
                    ratings.Add(new Rating($"unit{u + 1}", "ABCD"[o].ToString(), v));
                }
            }
        }

        return ratings;
    }

    [Theory]
    [InlineData(MeasurementLevel.Nominal, 0.743)]
    [InlineData(MeasurementLevel.Ordinal, 0.815)]
    [InlineData(MeasurementLevel.Interval, 0.849)]
    [InlineData(MeasurementLevel.Ratio, 0.797)]
    public void Worked_example_matches_published_alpha(MeasurementLevel level, double published)
    {
        var result = Krippendorff.Alpha(WorkedExample(), level);
        Assert.Equal(published, result.Alpha, 3);
        Assert.Equal(12, result.Items);
        Assert.Equal(4, result.Raters);
        Assert.Equal(40, result.PairableValues); // unit 12 has a single value
    }

    [Fact]
    public void Nominal_hand_computed_two_raters()
    {
        // Items: (a,a), (a,b), (b,b). Coincidences: o_aa = 2, o_ab = o_ba = 1, o_bb = 2; n = 6, n_a = n_b = 3.
        // D_o = 2/6, D_e = 2 * 3 * 3 / (6 * 5) = 0.6, alpha = 1 - (1/3)/0.6 = 4/9.
        var ratings = new[]
        {
            new Rating("1", "x", 0), new Rating("1", "y", 0),
            new Rating("2", "x", 0), new Rating("2", "y", 1),
            new Rating("3", "x", 1), new Rating("3", "y", 1),
        };
        var result = Krippendorff.Alpha(ratings, MeasurementLevel.Nominal);
        Assert.Equal(1.0 / 3, result.ObservedDisagreement, 12);
        Assert.Equal(0.6, result.ExpectedDisagreement, 12);
        Assert.Equal(4.0 / 9, result.Alpha, 12);
    }

    [Fact]
    public void Perfect_agreement_is_one_and_no_variation_is_undefined()
    {
        var perfect = new[] { new Rating("1", "x", 1), new Rating("1", "y", 1), new Rating("2", "x", 3), new Rating("2", "y", 3) };
        Assert.Equal(1.0, Krippendorff.Alpha(perfect, MeasurementLevel.Interval).Alpha, 12);
        var constant = new[] { new Rating("1", "x", 2), new Rating("1", "y", 2) };
        Assert.True(double.IsNaN(Krippendorff.Alpha(constant, MeasurementLevel.Nominal).Alpha));
    }

    [Theory]
    [InlineData(MeasurementLevel.Nominal)]
    [InlineData(MeasurementLevel.Ordinal)]
    [InlineData(MeasurementLevel.Interval)]
    [InlineData(MeasurementLevel.Ratio)]
    public void Engine_matches_naive_pairwise_definition(MeasurementLevel level)
    {
        var rng = new Random(7);
        var ratings = new List<Rating>();
        for (var u = 0; u < 40; u++)
        {
            for (var r = 0; r < 6; r++)
            {
                if (rng.NextDouble() < 0.7)
                {
                    ratings.Add(new Rating($"i{u}", $"r{r}", rng.Next(1, 6)));
                }
            }
        }

        Assert.Equal(NaiveAlpha.Compute(ratings, level), Krippendorff.Alpha(ratings, level).Alpha, 10);
    }

    [Fact]
    public void Ratio_rejects_negative_values()
    {
        var ratings = new[] { new Rating("1", "x", -1), new Rating("1", "y", 1) };
        var ex = Assert.Throws<ArgumentException>(() => Krippendorff.Alpha(ratings, MeasurementLevel.Ratio));
        Assert.Contains("non-negative", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Xrr_reference_vector_of_Wong_et_al()
    {
        // (a, b) = counts of categories A and B per item; items 6 and 7 are rated by X only.
        var x = Pool("x", [(0, 2), (0, 3), (2, 0), (3, 0), (1, 1), (3, 0), (2, 1)]);
        var y = Pool("y", [(0, 2), (1, 1), (1, 1), (1, 1), (2, 0)]);
        var result = Krippendorff.CrossReliability(x, y, MeasurementLevel.Nominal);
        Assert.Equal(0.4090909, result.ObservedDisagreement, 6);
        Assert.Equal(0.5, result.ExpectedDisagreement, 6);
        Assert.Equal(0.1818182, result.Xrr, 6);
        Assert.Equal(5, result.Items);
        Assert.Equal(12, result.RatingsA);
        Assert.Equal(10, result.RatingsB);

        // Symmetric in the pools; the interval level agrees with nominal on 0/1 data up to the same ratio.
        Assert.Equal(result.Xrr, Krippendorff.CrossReliability(y, x, MeasurementLevel.Nominal).Xrr, 12);
        Assert.Equal(result.Xrr, Krippendorff.CrossReliability(x, y, MeasurementLevel.Interval).Xrr, 12);
    }

    private static List<Rating> Pool(string name, (int A, int B)[] counts)
    {
        var ratings = new List<Rating>();
        var rater = 0;
        for (var u = 0; u < counts.Length; u++)
        {
            for (var i = 0; i < counts[u].A; i++)
            {
                ratings.Add(new Rating($"item{u + 1}", $"{name}{rater++}", 0));
            }

            for (var i = 0; i < counts[u].B; i++)
            {
                ratings.Add(new Rating($"item{u + 1}", $"{name}{rater++}", 1));
            }
        }

        return ratings;
    }
}
