using Pluralist.World.Imaging;
using Pluralist.World.Scenes;

namespace Pluralist.World.Tests.Scenes;

public sealed class SceneRendererTests
{
    private static readonly SceneSpec Full = new()
    {
        Typology = Typology.PedestrianPromenade,
        TimeOfDay = TimeOfDay.Evening,
        Access = StepFreeAccess.RampAndStairs,
        Benches = 2,
        Planters = 2,
        Trees = 4,
        Lights = 2,
        SignLanguages = 2,
        Pedestrians = 3,
        WheelchairUsers = 1,
        SmoothPath = false,
    };

    public static TheoryData<string, SceneSpec, SceneSpec> Elements => new()
    {
        { "ramp", Full with { Access = StepFreeAccess.Stairs }, Full },
        { "stairs", Full with { Access = StepFreeAccess.Ramp }, Full },
        { "benches", Full with { Benches = 0 }, Full },
        { "planters", Full with { Planters = 0 }, Full },
        { "trees", Full with { Trees = 0 }, Full },
        { "lights", Full with { Lights = 0 }, Full },
        { "second language", Full with { SignLanguages = 1 }, Full },
        { "sign", Full with { SignLanguages = 0 }, Full with { SignLanguages = 1 } },
        { "pedestrians", Full with { Pedestrians = 0 }, Full },
        { "wheelchair users", Full with { WheelchairUsers = 0 }, Full },
        { "rough path", Full with { SmoothPath = true }, Full },
        { "path width", Full with { PathWidth = 0.2 }, Full with { PathWidth = 0.5 } },
        { "time of day", Full with { TimeOfDay = TimeOfDay.Noon }, Full },
        { "typology", Full with { Typology = Typology.Park }, Full },
    };

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
    [MemberData(nameof(Elements))]
    public void Each_attribute_changes_the_render(string element, SceneSpec without, SceneSpec with)
    {
        foreach (int size in new[] { 32, 64, 256 })
        {
            var a = SceneRenderer.Render(without, 1, size, size).Pixels;
            var b = SceneRenderer.Render(with, 1, size, size).Pixels;
            int changed = 0;
            for (int i = 0; i < a.Length; i += 4)
            {
                if (Math.Abs(a[i] - b[i]) + Math.Abs(a[i + 1] - b[i + 1]) + Math.Abs(a[i + 2] - b[i + 2]) > 30)
                {
                    changed++;
                }
            }

            // At least 0.2% of the pixels must change visibly for the element to count as drawn.
            Assert.True(changed >= Math.Max(2, size * size / 500), $"{element} at {size}px changed only {changed} pixels");
        }
    }

    [Theory]
    [InlineData(31, 64)]
    [InlineData(64, 1025)]
    public void Rejects_sizes_out_of_range(int w, int h) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SceneRenderer.Render(Full, 1, w, h));

    [Fact]
    public void Rejects_out_of_range_attribute_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => SceneRenderer.Render(Full with { Benches = 9 }, 1, 64, 64));
        Assert.Contains("Benches", e.Message, StringComparison.Ordinal);
    }
}
