using System.Buffers.Binary;
using System.Text;
using Pluralist.Core.Preferences;
using Pluralist.Data.Datasets;
using Pluralist.Pipeline.Images;
using Pluralist.Studies;
using Pluralist.Studies.Alignment;
using Pluralist.World.Imaging;

namespace Pluralist.Cli.Tests;

/// <summary>Training datasets whose images are JPEG or WebP, and images that must be refused with their row named.</summary>
public class PreferenceDatasetTests
{
    // Left half one colour, right half another: survives JPEG and a resize well enough to check.
    private static RgbaImage Halves(int size, (byte R, byte G, byte B) left, (byte R, byte G, byte B) right)
    {
        var image = new RgbaImage(size, size);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var c = x < size / 2 ? left : right;
                image.SetPixel(x, y, c.R, c.G, c.B);
            }
        }

        return image;
    }

    private static string Dataset(params (string Name, byte[] Bytes)[] images)
    {
        var dir = CliRunner.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        foreach (var (name, bytes) in images)
        {
            File.WriteAllBytes(Path.Combine(dir, "images", name), bytes);
        }

        File.WriteAllLines(Path.Combine(dir, "pairs.jsonl"),
        [
            $$"""{"split":"train","caption":"a square","jpg_0":"images/{{images[0].Name}}","jpg_1":"images/{{images[1].Name}}","label_0":1}""",
            $$"""{"split":"train","caption":"a square","jpg_0":"images/{{images[1].Name}}","jpg_1":"images/{{images[0].Name}}","label_0":0}""",
        ]);
        return dir;
    }

    // Plane c of pixel (x, y) of a (3, size, size) image in [-1, 1], back in 0..255.
    private static double Channel(float[] pixels, int size, int c, int x, int y) => (pixels[(c * size * size) + (y * size) + x] + 1) * 127.5;

    [Fact]
    public void A_jpeg_dataset_loads_resized_to_the_model_size()
    {
        var red = Halves(64, (220, 30, 30), (30, 30, 220));
        var green = Halves(64, (30, 200, 30), (200, 200, 30));
        var dir = Dataset(("a.jpg", ImageCodec.Encode(red, ImageFormat.Jpeg, 95)), ("b.jpeg", ImageCodec.Encode(green, ImageFormat.Jpeg, 95)));

        var source = PreferenceDataset.Load(dir, "train", 32, out var rows);

        Assert.Equal(2, rows.Count);
        Assert.Equal(2, source.Count);
        var pair = source.Get(0);
        Assert.Equal(3 * 32 * 32, pair.Image0.Length);
        // Away from the edge between the halves the colours come through JPEG and the 64 -> 32 resize.
        Assert.InRange(Channel(pair.Image0, 32, 0, 4, 16), 205, 235);
        Assert.InRange(Channel(pair.Image0, 32, 2, 4, 16), 15, 45);
        Assert.InRange(Channel(pair.Image0, 32, 2, 28, 16), 205, 235);
        Assert.InRange(Channel(pair.Image1, 32, 1, 4, 16), 185, 215);
        Assert.InRange(Channel(pair.Image1, 32, 0, 28, 16), 185, 215);
        Assert.Equal(1f, pair.Probability0);
        Assert.Equal(pair.Image0, source.Get(1).Image1); // the same file decodes once and is shared
    }

    [Fact]
    public void A_webp_dataset_loads_lossless_pixels_exactly()
    {
        var a = Halves(32, (10, 20, 30), (200, 150, 100));
        var b = Halves(32, (250, 0, 125), (0, 255, 0));
        var dir = Dataset(("a.webp", ImageCodec.Encode(a, ImageFormat.Webp, 100)), ("b.webp", ImageCodec.Encode(b, ImageFormat.Webp, 100)));

        var source = PreferenceDataset.Load(dir, "all", 32, out _);

        var pair = source.Get(0);
        Assert.Equal(10, Channel(pair.Image0, 32, 0, 0, 0), 3);
        Assert.Equal(150, Channel(pair.Image0, 32, 1, 31, 31), 3);
        Assert.Equal(125, Channel(pair.Image1, 32, 2, 0, 5), 3);
        Assert.Equal(255, Channel(pair.Image1, 32, 1, 20, 5), 3);
    }

    [Fact]
    public async Task A_parquet_dataset_with_jpeg_bytes_loads()
    {
        var dir = CliRunner.TempDir();
        var paths = new Dictionary<long, string>();
        for (var i = 1; i <= 2; i++)
        {
            paths[i] = Path.Combine(dir, $"{i}.jpg");
            File.WriteAllBytes(paths[i], ImageCodec.Encode(Halves(48, ((byte)(100 * i), 40, 40), (40, 40, (byte)(100 * i))), ImageFormat.Jpeg, 95));
        }

        await ParquetDatasetWriter.WriteAsync(new DatasetInput
        {
            StudyName = "s",
            Criteria = ["safety"],
            Protocol = "livs",
            Labels = [new PreferenceLabel(1, 1, 1, 2, null, 1, 1, 1, 1, null, [1])],
            Captions = new Dictionary<long, string> { [1] = "a square" },
            ImagePaths = paths,
        }, Path.Combine(dir, "ds"));

        var source = PreferenceDataset.Load(Path.Combine(dir, "ds"), "all", 32, out var rows);

        Assert.Single(rows);
        Assert.InRange(Channel(source.Get(0).Image1, 32, 0, 3, 16), 185, 215); // 48 -> 32 with Mitchell
    }

    [Fact]
    public void A_truncated_image_is_named_with_its_line_and_field()
    {
        var good = ImageCodec.Encode(Halves(64, (1, 2, 3), (4, 5, 6)), ImageFormat.Jpeg, 90);
        var png = Png.Encode(Halves(64, (9, 9, 9), (200, 100, 0)));
        var dir = Dataset(("a.jpg", good), ("b.png", png[..(png.Length / 2)]));

        var ex = Assert.Throws<StudyInputException>(() => PreferenceDataset.Load(dir, "train", 32, out _));

        Assert.StartsWith($"{Path.Combine(dir, "pairs.jsonl")}:1: field 'jpg_1': images/b.png: is a PNG image whose data ends too early (a truncated file)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_whose_extension_does_not_match_its_content_is_refused()
    {
        var png = Png.Encode(Halves(32, (9, 9, 9), (200, 100, 0)));
        var dir = Dataset(("a.png", png), ("b.jpg", png));

        var ex = Assert.Throws<StudyInputException>(() => PreferenceDataset.Load(dir, "train", 32, out _));

        Assert.Contains(":1: field 'jpg_1': images/b.jpg: the extension '.jpg' says JPEG, but the content is PNG", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_from_its_header_before_decoding()
    {
        var dir = Dataset(("a.png", Png.Encode(Halves(32, (9, 9, 9), (200, 100, 0)))), ("bomb.png", PngHeaderOnly(30_000, 30_000)));

        var ex = Assert.Throws<StudyInputException>(() => PreferenceDataset.Load(dir, "train", 32, out _));

        Assert.Contains(":1: field 'jpg_1': images/bomb.png: is 30000×30000 pixels (900 megapixels), over the limit of 40 megapixels; nothing was decoded", ex.Message, StringComparison.Ordinal);
        // A lower limit, as Pluralist__Imports__MaxImagePixels sets it for `train dpo`, applies the same way.
        ex = Assert.Throws<StudyInputException>(() => PreferenceDataset.Load(Dataset(("a.png", Png.Encode(new RgbaImage(64, 64))), ("b.png", Png.Encode(new RgbaImage(64, 64)))), "train", 32, out _, maxPixels: 1000));
        Assert.Contains("is 64×64 pixels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_dpo_on_a_bomb_writes_nothing()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "train", "base", "--out", "m.safetensors", "--config", AlignmentCommandTests.TinyConfig(dir), "--steps", "1", "--batch", "1", "--scenes", "2", "--warmup", "1");
        Assert.True(code == 0, err);
        var data = Dataset(("a.webp", ImageCodec.Encode(new RgbaImage(32, 32), ImageFormat.Webp, 100)), ("bomb.png", PngHeaderOnly(12_000, 12_000)));

        (code, _, err) = CliRunner.Run(dir, "train", "dpo", "--dataset", data, "--base", "m.safetensors", "--out", "a.safetensors", "--steps", "1");

        Assert.Equal(1, code);
        Assert.Contains("images/bomb.png: is 12000×12000 pixels", err, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(dir, "a.*"));
    }

    // A PNG that declares width × height in its IHDR and carries a few bytes of image data: a decoder that allocates
    // from the header before checking would ask for width × height × 4 bytes.
    private static byte[] PngHeaderOnly(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00]);
        Chunk(ms, "IEND", []);
        return ms.ToArray();

        static void Chunk(Stream s, string type, byte[] data)
        {
            var head = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
            s.Write(head);
            var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            s.Write(typed);
            BinaryPrimitives.WriteUInt32BigEndian(head, Crc32(typed));
            s.Write(head);
        }
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
