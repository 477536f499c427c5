using Pluralist.World.Imaging;

namespace Pluralist.World.Tests.Imaging;

public sealed class RgbaImageTests
{
    [Fact]
    public void FromRgb_keeps_each_pixel_in_place_and_makes_it_opaque()
    {
        // 3x2: pixel i has (i, 10 + i, 20 + i).
        var rgb = new byte[3 * 2 * 3];
        for (int i = 0; i < 6; i++)
        {
            rgb[(i * 3) + 0] = (byte)i;
            rgb[(i * 3) + 1] = (byte)(10 + i);
            rgb[(i * 3) + 2] = (byte)(20 + i);
        }

        var image = RgbaImage.FromRgb(3, 2, rgb);

        Assert.Equal((3, 2), (image.Width, image.Height));
        Assert.Equal(((byte)4, (byte)14, (byte)24, (byte)255), image.GetPixel(1, 1));
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                int i = (y * 3) + x;
                Assert.Equal(((byte)i, (byte)(10 + i), (byte)(20 + i), (byte)255), image.GetPixel(x, y));
            }
        }
    }

    [Fact]
    public void FromRgb_names_the_expected_length()
    {
        var ex = Assert.Throws<ArgumentException>(() => RgbaImage.FromRgb(2, 2, new byte[16]));
        Assert.Contains("Expected 12 bytes for 2x2 RGB, got 16", ex.Message, StringComparison.Ordinal);
    }
}
