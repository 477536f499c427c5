using Pluralist.World.Imaging;
using Pluralist.World.Scenes;

namespace Pluralist.World.Tests.Scenes;

public sealed class SceneRendererTests
{
    /// <summary>A busy evening scene with something of everything, so each attribute has something to change.</summary>
    internal static readonly SceneSpec Full = new()
    {
        Typology = Typology.PedestrianPromenade,
        TimeOfDay = TimeOfDay.Evening,
        Season = Season.Summer,
        Weather = Weather.Clear,
        Detail = 0.6,
        Access = StepFreeAccess.RampAndStairs,
        KerbCuts = true,
        TactilePaving = true,
        Benches = 2,
        Chairs = 1,
        Canopy = true,
        Planters = 2,
        Trees = 4,
        Lawn = true,
        Fountain = true,
        Lights = 2,
        Signs = 2,
        SignLanguages = 2,
        Bollards = true,
        Cars = 1,
        Litter = 1,
        Graffiti = true,
        PlayArea = true,
        SportArea = true,
        Kiosk = true,
        MarketStalls = 1,
        PublicArt = true,
        Pedestrians = 3,
        Children = 1,
        Seniors = 1,
        WheelchairUsers = 1,
        WalkerUsers = 1,
        Strollers = 1,
        Groups = 1,
        Dogs = 1,
        Birds = 2,
        SmoothPath = false,
    };

    /// <summary>
    /// Every attribute of the spec, taken from the attribute table, with each step of its range: for
    /// counts each k to k + 1, for choices each value to the next, for flags off to on, for numbers min to max.
    /// </summary>
    public static TheoryData<string, double, double> Steps()
    {
        var data = new TheoryData<string, double, double>();
        foreach (var a in SceneAttributes.All)
        {
            if (a.Kind == AttributeKind.Number)
            {
                data.Add(a.Name, a.Min, a.Max);
                continue;
            }

            for (double v = a.Min; v < a.Max; v++)
            {
                data.Add(a.Name, v, v + 1);
            }
        }

        return data;
    }

    [Fact]
    public void Same_spec_and_seed_give_the_same_png_bytes()
    {
        var a = Png.Encode(SceneRenderer.Render(Full, 42, 128, 128));
        var b = Png.Encode(SceneRenderer.Render(Full, 42, 128, 128));
        Assert.Equal(a, b);
        var other = Png.Encode(SceneRenderer.Render(Full, 43, 128, 128));
        Assert.NotEqual(a, other); // the seed moves people
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Each_attribute_step_visibly_changes_the_render(string attribute, double from, double to)
    {
        var a = SceneAttributes.Get(attribute);
        var without = a.With(Full, from);
        var with = a.With(Full, to);
        foreach (int size in new[] { 32, 64, 256 })
        {
            int changed = ChangedPixels(SceneRenderer.Render(without, 1, size, size), SceneRenderer.Render(with, 1, size, size));

            // At least 0.2% of the pixels must change visibly for the step to count as drawn.
            Assert.True(changed >= Math.Max(2, size * size / 500), $"{attribute} {a.Format(from)} -> {a.Format(to)} at {size}px changed only {changed} pixels");
        }
    }

    [Fact]
    public void Every_attribute_is_in_the_table_and_round_trips()
    {
        var props = typeof(SceneSpec).GetProperties().Where(p => p.CanWrite).Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..]).Order().ToArray();
        Assert.Equal(props, SceneAttributes.All.Select(a => a.Name).Order().ToArray());
        foreach (var a in SceneAttributes.All)
        {
            Assert.Equal(a.Max, a.Get(a.With(Full, a.Max)));
            Assert.Equal(a.Min, a.Get(a.With(Full, a.Min)));
        }
    }

    [Theory]
    [InlineData(31, 64)]
    [InlineData(64, 1025)]
    public void Rejects_sizes_out_of_range(int w, int h) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SceneRenderer.Render(Full, 1, w, h));

    [Fact]
    public void Renders_the_extreme_sizes_and_non_square()
    {
        Assert.Equal(32 * 32 * 4, SceneRenderer.Render(Full, 1, 32, 32).Pixels.Length);
        Assert.Equal(1024 * 1024 * 4, SceneRenderer.Render(Full, 1, 1024, 1024).Pixels.Length);
        Assert.Equal(300 * 200 * 4, SceneRenderer.Render(Full, 1, 300, 200).Pixels.Length);
    }

    [Fact]
    public void Rejects_out_of_range_attribute_naming_it()
    {
        var e = Assert.Throws<SceneSpecException>(() => SceneRenderer.Render(Full with { Benches = 9 }, 1, 64, 64));
        Assert.Equal("benches", e.Field);
        Assert.Contains("benches = 9", e.Message, StringComparison.Ordinal);
    }

    internal static int ChangedPixels(RgbaImage x, RgbaImage y)
    {
        var a = x.Pixels;
        var b = y.Pixels;
        int changed = 0;
        for (int i = 0; i < a.Length; i += 4)
        {
            if (Math.Abs(a[i] - b[i]) + Math.Abs(a[i + 1] - b[i + 1]) + Math.Abs(a[i + 2] - b[i + 2]) > 30)
            {
                changed++;
            }
        }

        return changed;
    }
}
