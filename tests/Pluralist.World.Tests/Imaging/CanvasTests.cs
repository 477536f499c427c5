using Pluralist.World.Imaging;

namespace Pluralist.World.Tests.Imaging;

public sealed class CanvasTests
{
    private static readonly Rgba White = new(255, 255, 255);
    private static readonly Rgba Black = new(0, 0, 0);

    [Fact]
    public void Pixel_aligned_rectangle_is_exact_inside_and_untouched_outside()
    {
        var img = new RgbaImage(10, 10);
        var canvas = new Canvas(img);
        canvas.Clear(White);
        canvas.FillRect(2, 3, 4, 5, Black);
        for (int y = 0; y < 10; y++)
        {
            for (int x = 0; x < 10; x++)
            {
                bool inside = x is >= 2 and < 6 && y is >= 3 and < 8;
                Assert.Equal(inside ? (byte)0 : (byte)255, img.GetPixel(x, y).R);
                Assert.Equal(255, img.GetPixel(x, y).A);
            }
        }
    }

    [Fact]
    public void Half_pixel_edge_blends_half_way()
    {
        var img = new RgbaImage(4, 4);
        var canvas = new Canvas(img);
        canvas.Clear(White);
        canvas.FillRect(0, 0, 1.5f, 4, Black);
        Assert.Equal(0, img.GetPixel(0, 2).R);
        Assert.InRange(img.GetPixel(1, 2).R, 126, 129);
        Assert.Equal(255, img.GetPixel(2, 2).R);
    }

    [Fact]
    public void Circle_coverage_matches_its_area()
    {
        var img = new RgbaImage(64, 64);
        var canvas = new Canvas(img);
        canvas.Clear(White);
        canvas.FillEllipse(31.3f, 30.7f, 20, 20, Black);
        double ink = 0;
        for (int i = 0; i < img.Pixels.Length; i += 4)
        {
            ink += (255 - img.Pixels[i]) / 255.0;
        }

        Assert.InRange(ink, Math.PI * 400 * 0.99, Math.PI * 400 * 1.01);
        var edge = img.GetPixel(51, 31).R; // the boundary crosses this pixel
        Assert.InRange(edge, 1, 254);
    }

    [Fact]
    public void Translucent_fill_composites_source_over()
    {
        var img = new RgbaImage(2, 2);
        var canvas = new Canvas(img);
        canvas.Clear(White);
        canvas.FillRect(0, 0, 2, 2, new Rgba(0, 0, 255, 128));
        var (r, g, b, a) = img.GetPixel(1, 1);
        Assert.InRange(r, 126, 128);
        Assert.InRange(g, 126, 128);
        Assert.Equal(255, b);
        Assert.Equal(255, a);
    }

    [Fact]
    public void Shapes_outside_the_image_are_clipped()
    {
        var img = new RgbaImage(8, 8);
        var canvas = new Canvas(img);
        canvas.Clear(White);
        canvas.FillRect(-20, -20, 10, 100, Black);
        canvas.Line(-5, 4, 20, 4, 2, Black);
        Assert.Equal(0, img.GetPixel(0, 4).R);
        Assert.Equal(0, img.GetPixel(7, 3).R);
        Assert.Equal(255, img.GetPixel(3, 0).R);
    }
}
