using Pluralist.Studies.Load;

namespace Pluralist.Web.Tests.Load;

/// <summary>The load tool's pauses between an answer and the next task, and its per-participant seeds.</summary>
public sealed class ThinkTimeTests
{
    [Fact]
    public void Exponential_pauses_have_the_mean_asked_for_and_spread_as_an_exponential_does()
    {
        var settings = new LoadSettings { Urls = [], Think = TimeSpan.FromMilliseconds(100) };
        Assert.Equal(ThinkDistribution.Exponential, settings.ThinkDistribution);
        var random = new Random(LoadRun.SeedOf(1, 0, 1));
        var ms = Enumerable.Range(0, 40_000).Select(_ => settings.NextThink(random).TotalMilliseconds).ToArray();

        Assert.All(ms, m => Assert.True(m >= 0));
        var mean = ms.Average();
        // The standard error of the mean of 40,000 draws is 0.5 ms: 3 ms is six of them.
        Assert.InRange(mean, 97, 103);
        // An exponential's standard deviation equals its mean, and its median is ln 2 times the mean (69 ms).
        var sd = Math.Sqrt(ms.Select(m => (m - mean) * (m - mean)).Average());
        Assert.InRange(sd, 95, 105);
        Assert.InRange(ms.Order().ElementAt(ms.Length / 2), 66, 72);
        // e^-1 = 37 % of the pauses are longer than the mean.
        Assert.InRange(ms.Count(m => m > 100) / (double)ms.Length, 0.358, 0.378);
    }

    [Fact]
    public void Fixed_pauses_are_exactly_the_think_time_and_no_think_time_is_no_pause()
    {
        var random = new Random(7);
        var fixedPause = new LoadSettings { Urls = [], Think = TimeSpan.FromMilliseconds(250), ThinkDistribution = ThinkDistribution.Fixed };
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(TimeSpan.FromMilliseconds(250), fixedPause.NextThink(random)));

        var none = new LoadSettings { Urls = [] };
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(TimeSpan.Zero, none.NextThink(random)));
    }

    [Fact]
    public void Seeds_are_the_same_in_every_process_and_differ_between_participants_and_sequences()
    {
        // Fixed values: HashCode.Combine, used before, gave other seeds in every process.
        Assert.Equal(LoadRun.SeedOf(1, 0, 0), LoadRun.SeedOf(1, 0, 0));
        Assert.Equal(31_000_093, LoadRun.SeedOf(1, 0, 0));
        Assert.Equal(31_000_125, LoadRun.SeedOf(1, 1, 1));
        var seeds = new HashSet<int>();
        for (var n = 0; n < 1000; n++)
        {
            Assert.True(seeds.Add(LoadRun.SeedOf(1, n, 0)));
            Assert.True(seeds.Add(LoadRun.SeedOf(1, n, 1)));
            Assert.True(seeds.Add(LoadRun.SeedOf(2, n, 0)));
        }
    }
}
