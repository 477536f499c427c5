using System.Buffers.Binary;
using System.IO.Compression;
using Pluralist.World.Imaging;

namespace Pluralist.World.Tests.Imaging;

public sealed class PngTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pluralist-png-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RgbaImage Noise(int w, int h, int seed, bool opaque = false)
    {
        var rng = new Random(seed);
        var img = new RgbaImage(w, h);
        rng.NextBytes(img.Pixels);
        // Smooth gradient in half the image so the predictive filters have something to predict.
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w / 2; x++)
            {
                img.SetPixel(x, y, (byte)(x * 7), (byte)(y * 5), (byte)(x + y), (byte)(200 + (x % 50)));
            }
        }

        if (opaque)
        {
            for (int i = 3; i < img.Pixels.Length; i += 4)
            {
                img.Pixels[i] = 255;
            }
        }

        return img;
    }

    [Theory]
    [InlineData(PngFilter.None)]
    [InlineData(PngFilter.Sub)]
    [InlineData(PngFilter.Up)]
    [InlineData(PngFilter.Average)]
    [InlineData(PngFilter.Paeth)]
    [InlineData(PngFilter.Adaptive)]
    public void Round_trip_is_exact_for_every_filter(PngFilter filter)
    {
        var img = Noise(37, 23, 1);
        var back = Png.Decode(Png.Encode(img, filter));
        Assert.Equal(37, back.Width);
        Assert.Equal(23, back.Height);
        Assert.Equal(img.Pixels, back.Pixels);
    }

    [Fact]
    public void Encoding_is_deterministic()
    {
        var a = Png.Encode(Noise(64, 64, 7));
        var b = Png.Encode(Noise(64, 64, 7));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Rejects_missing_signature() =>
        Assert.Contains("signature", Assert.Throws<PngFormatException>(() => Png.Decode([1, 2, 3])).Message, StringComparison.Ordinal);

    [Fact]
    public void Rejects_corrupted_crc()
    {
        var png = Png.Encode(Noise(8, 8, 2));
        png[20] ^= 0xFF; // inside IHDR data
        Assert.Contains("CRC", Assert.Throws<PngFormatException>(() => Png.Decode(png)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_truncated_file()
    {
        var png = Png.Encode(Noise(16, 16, 3));
        Assert.Throws<PngFormatException>(() => Png.Decode(png.AsSpan(0, png.Length - 20)));
        Assert.Throws<PngFormatException>(() => Png.Decode(png.AsSpan(0, 30)));
    }

    [Fact]
    public void Rejects_bad_filter_byte_and_short_image_data()
    {
        // Hand-built PNG whose only row declares filter type 9.
        var bad = BuildPng(2, 1, 8, 6, 0, [9, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Contains("filter type 9", Assert.Throws<PngFormatException>(() => Png.Decode(bad)).Message, StringComparison.Ordinal);
        var shortData = BuildPng(2, 2, 8, 6, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Contains("zlib", Assert.Throws<PngFormatException>(() => Png.Decode(shortData)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_16_bit_and_interlaced_with_clear_message()
    {
        Assert.Contains("bit depth 16", Assert.Throws<PngFormatException>(() => Png.Decode(BuildPng(1, 1, 16, 6, 0, new byte[9]))).Message, StringComparison.Ordinal);
        Assert.Contains("Interlaced", Assert.Throws<PngFormatException>(() => Png.Decode(BuildPng(1, 1, 8, 6, 1, new byte[5]))).Message, StringComparison.Ordinal);
    }

    [ImageMagickFact]
    public void ImageMagick_decodes_our_png_to_the_same_pixels()
    {
        foreach (var filter in Enum.GetValues<PngFilter>())
        {
            var img = Noise(41, 19, (int)filter + 10);
            string path = Path.Combine(_dir, $"ours-{filter}.png");
            File.WriteAllBytes(path, Png.Encode(img, filter));
            byte[] theirs = ImageMagick.Run(path, "-depth", "8", "rgba:-");
            Assert.Equal(img.Pixels, theirs);
        }
    }

    [ImageMagickTheory]
    [InlineData("png32", 0)]
    [InlineData("png32", 1)]
    [InlineData("png32", 2)]
    [InlineData("png32", 3)]
    [InlineData("png32", 4)]
    [InlineData("png24", 4)]
    [InlineData("png8", 0)]
    [InlineData("grey", 2)]
    [InlineData("greyalpha", 3)]
    public void Decodes_png_written_by_ImageMagick(string kind, int filter)
    {
        const int w = 33, h = 21;
        bool grey = kind.StartsWith("grey", StringComparison.Ordinal);
        var img = Noise(w, h, 99, opaque: kind is "png24" or "png8" or "grey");
        if (grey)
        {
            for (int i = 0; i < img.Pixels.Length; i += 4)
            {
                img.Pixels[i + 1] = img.Pixels[i + 2] = img.Pixels[i];
            }
        }

        if (kind == "png8")
        {
            // At most 256 colours so the palette is lossless.
            for (int i = 0; i < img.Pixels.Length; i += 4)
            {
                img.Pixels[i] &= 0xE0;
                img.Pixels[i + 1] &= 0xE0;
                img.Pixels[i + 2] &= 0xC0;
            }
        }

        string raw = Path.Combine(_dir, "in.rgba");
        File.WriteAllBytes(raw, img.Pixels);
        string outPath = Path.Combine(_dir, $"im-{kind}-{filter}.png");
        var args = new List<string> { "-size", $"{w}x{h}", "-depth", "8", $"rgba:{raw}", "-define", $"png:compression-filter={filter}" };
        args.AddRange(kind switch
        {
            "grey" => ["-alpha", "off", "-define", "png:color-type=0", "-define", "png:bit-depth=8", $"png:{outPath}"],
            "greyalpha" => ["-define", "png:color-type=4", "-define", "png:bit-depth=8", $"png:{outPath}"],
            _ => [$"{kind}:{outPath}"],
        });
        ImageMagick.Run([.. args]);
        byte[] file = File.ReadAllBytes(outPath);
        int colourType = file[25];
        int expectedType = kind switch { "png32" => 6, "png24" => 2, "png8" => 3, "grey" => 0, _ => 4 };
        Assert.Equal(expectedType, colourType);

        var decoded = Png.Decode(file);
        Assert.Equal(img.Pixels, decoded.Pixels);
    }

    [ImageMagickFact]
    public void Rejects_16_bit_and_interlaced_files_from_ImageMagick()
    {
        string p16 = Path.Combine(_dir, "16.png");
        ImageMagick.Run("-size", "8x8", "gradient:", "-depth", "16", $"png48:{p16}");
        Assert.Contains("bit depth", Assert.Throws<PngFormatException>(() => Png.Decode(File.ReadAllBytes(p16))).Message, StringComparison.Ordinal);
        string pi = Path.Combine(_dir, "interlaced.png");
        ImageMagick.Run("-size", "8x8", "gradient:", "-interlace", "PNG", $"png24:{pi}");
        Assert.Contains("Interlaced", Assert.Throws<PngFormatException>(() => Png.Decode(File.ReadAllBytes(pi))).Message, StringComparison.Ordinal);
    }

    private static byte[] BuildPng(int w, int h, byte depth, byte colourType, byte interlace, byte[] raw)
    {
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = depth;
        ihdr[9] = colourType;
        ihdr[12] = interlace;
        Chunk(ms, "IHDR", ihdr);
        using (var c = new MemoryStream())
        {
            using (var z = new ZLibStream(c, CompressionLevel.Fastest, leaveOpen: true))
            {
                z.Write(raw);
            }

            Chunk(ms, "IDAT", c.ToArray());
        }

        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var buf = new byte[data.Length + 12];
        BinaryPrimitives.WriteInt32BigEndian(buf, data.Length);
        for (int i = 0; i < 4; i++)
        {
            buf[4 + i] = (byte)type[i];
        }

        data.CopyTo(buf, 8);
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(8 + data.Length), ReferenceCrc(buf.AsSpan(4, 4 + data.Length)));
        s.Write(buf);
    }

    // Bitwise CRC-32 (reference, independent of the table-driven one in the codec).
    private static uint ReferenceCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
            }
        }

        return ~c;
    }

    [Fact]
    public void Size_is_read_from_the_header_without_decoding()
    {
        var png = Png.Encode(new RgbaImage(7, 3));
        Assert.True(Png.TryReadSize(png, out var w, out var h));
        Assert.Equal((7, 3), (w, h));
        Assert.False(Png.TryReadSize("GIF89a and more bytes here"u8, out _, out _));
        Assert.False(Png.TryReadSize(png.AsSpan(0, 20), out _, out _));
    }
}
