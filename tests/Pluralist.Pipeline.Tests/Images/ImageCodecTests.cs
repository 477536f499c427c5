using Pluralist.Pipeline.Images;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Tests.Images;

public sealed class ImageCodecTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pluralist-codec-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static RgbaImage Noise(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var image = new RgbaImage(w, h);
        rng.NextBytes(image.Pixels);
        for (var i = 3; i < image.Pixels.Length; i += 4)
        {
            image.Pixels[i] = 255;
        }

        return image;
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Webp)]
    public void Lossless_formats_round_trip_exactly_and_the_own_png_decoder_agrees(ImageFormat format)
    {
        var image = Noise(37, 21, 1);
        var bytes = ImageCodec.Encode(image, format, 100);

        var back = ImageCodec.Decode(bytes, "x", ImageCodec.DefaultMaxPixels, out var found);

        Assert.Equal(format, found);
        Assert.Equal(image.Pixels, back.Pixels);
        if (format == ImageFormat.Png)
        {
            Assert.Equal(image.Pixels, Png.Decode(bytes).Pixels);
            Assert.Equal(image.Pixels, ImageCodec.Decode(Png.Encode(image), "own").Pixels);
        }
    }

    [Fact]
    public void Jpeg_decodes_close_to_its_source()
    {
        var image = new RgbaImage(64, 64);
        new Canvas(image).Clear(new Rgba(200, 80, 20));
        var back = ImageCodec.Decode(ImageCodec.Encode(image, ImageFormat.Jpeg, 95), "x.jpg");
        Assert.All(Enumerable.Range(0, 64 * 64), p => Assert.InRange(Math.Abs(back.Pixels[p * 4] - 200), 0, 3));
    }

    [Fact]
    public void Bad_files_are_named_and_say_what_is_wrong()
    {
        var png = ImageCodec.Encode(Noise(64, 64, 2), ImageFormat.Png);
        var webp = ImageCodec.Encode(Noise(64, 64, 3), ImageFormat.Webp, 80);
        string Error(string name, byte[] bytes, long maxPixels = ImageCodec.DefaultMaxPixels)
        {
            var path = Path.Combine(_dir.FullName, name);
            File.WriteAllBytes(path, bytes);
            return Assert.Throws<InvalidDataException>(() => ImageCodec.DecodeFile(path, maxPixels)).Message;
        }

        Assert.EndsWith("cut.png: is a PNG image whose data ends too early (a truncated file)", Error("cut.png", png[..(png.Length * 2 / 3)]), StringComparison.Ordinal);
        Assert.EndsWith("cut.webp: is a WEBP image whose data ends too early (a truncated file)", Error("cut.webp", webp[..(webp.Length / 2)]), StringComparison.Ordinal);
        Assert.EndsWith("empty.jpg: is empty, not an image", Error("empty.jpg", []), StringComparison.Ordinal);
        Assert.EndsWith("notes.png: is not a PNG, JPEG or WebP image", Error("notes.png", "hello"u8.ToArray()), StringComparison.Ordinal);
        Assert.EndsWith("photo.webp: the extension '.webp' says WEBP, but the content is PNG", Error("photo.webp", png), StringComparison.Ordinal);
        Assert.EndsWith("big.png: is 64×64 pixels (0 megapixels), over the limit of 0 megapixels; nothing was decoded", Error("big.png", png, 4095), StringComparison.Ordinal);
        // A name that is not an image extension says nothing about the content.
        File.WriteAllBytes(Path.Combine(_dir.FullName, "blob.bin"), png);
        Assert.Equal(64, ImageCodec.DecodeFile(Path.Combine(_dir.FullName, "blob.bin")).Width);
    }

    [Fact]
    public void Resize_keeps_flat_colour_and_is_mitchell_cubic_between()
    {
        var flat = new RgbaImage(96, 80);
        new Canvas(flat).Clear(new Rgba(17, 130, 240));
        var small = ImageCodec.Resize(flat, 13, 7);
        Assert.Equal((13, 7), (small.Width, small.Height));
        Assert.All(Enumerable.Range(0, 13 * 7), p => Assert.Equal([17, 130, 240, 255], small.Pixels[(p * 4)..((p * 4) + 4)]));
        Assert.Same(flat, ImageCodec.Resize(flat, 96, 80));

        // Doubling a step 0 | 255 along x interpolates (not a nearest-neighbour copy) and keeps the two plateaus.
        var step = new RgbaImage(8, 1);
        for (var x = 4; x < 8; x++)
        {
            step.SetPixel(x, 0, 255, 255, 255);
        }

        for (var x = 0; x < 4; x++)
        {
            step.SetPixel(x, 0, 0, 0, 0);
        }

        var wide = ImageCodec.Resize(step, 16, 1);
        var row = Enumerable.Range(0, 16).Select(x => (int)wide.Pixels[x * 4]).ToArray();
        Assert.Contains(row, v => v is > 20 and < 235);
        Assert.Equal((0, 255), (row[0], row[15]));
    }
}
