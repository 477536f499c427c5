using Pluralist.Pipeline.Images;

namespace Pluralist.Pipeline.Tests.Images;

public class PngTests
{
    // 3 x 4 RGB written by Python's zlib with filter types Sub, Up, Average, Paeth on rows 0..3 (see the commit log):
    // pixel (x, y) = (10x + 50y, 200 - 30x, 40xy mod 256).
    private const string FilteredRgb = "iVBORw0KGgoAAAANSUhEUgAAAAMAAAAECAIAAADETxJQAAAALUlEQVR4nGNkOMHA9QiEmIwYGIwYNIwYApi9UxjkPtrIfQxgAYpxMWhwMQQAAKkyB9DBkX29AAAAAElFTkSuQmCC";

    [Fact]
    public void Decodes_all_filter_types_of_an_independently_written_png()
    {
        var img = Png.Decode(Convert.FromBase64String(FilteredRgb));
        Assert.Equal((3, 4), (img.Width, img.Height));
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                int i = (y * 3 + x) * 4;
                Assert.Equal([(byte)(10 * x + 50 * y), (byte)(200 - 30 * x), (byte)(40 * x * y % 256), 255], img.Rgba[i..(i + 4)]);
            }
        }
    }

    [Fact]
    public void Encode_then_decode_gives_the_same_pixels()
    {
        var rgba = new byte[5 * 3 * 4];
        new Random(1).NextBytes(rgba);
        var png = Png.Encode(new RgbaImage(5, 3, rgba));
        Assert.True(Png.TryReadSize(png, out var w, out var h));
        Assert.Equal((5, 3), (w, h));
        Assert.Equal(rgba, Png.Decode(png).Rgba);
    }

    [Fact]
    public void Corrupt_files_are_rejected_with_the_reason()
    {
        var png = Png.Encode(new RgbaImage(2, 2, new byte[16]));
        Assert.Contains("bad signature", Assert.Throws<PngFormatException>(() => Png.Decode("GIF89a..."u8)).Message, StringComparison.Ordinal);
        var flipped = (byte[])png.Clone();
        flipped[45] ^= 0xFF; // inside IDAT data (signature 8, IHDR 25, IDAT header 8)
        Assert.Contains("bad CRC in chunk IDAT", Assert.Throws<PngFormatException>(() => Png.Decode(flipped)).Message, StringComparison.Ordinal);
        Assert.Contains("truncated", Assert.Throws<PngFormatException>(() => Png.Decode(png.AsSpan(0, png.Length - 14))).Message, StringComparison.Ordinal);
    }
}
