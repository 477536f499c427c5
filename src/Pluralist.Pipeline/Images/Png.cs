using System.Buffers.Binary;
using System.IO.Compression;

namespace Pluralist.Pipeline.Images;

/// <summary>An 8-bit RGBA image, row-major, 4 bytes per pixel.</summary>
public sealed record RgbaImage(int Width, int Height, byte[] Rgba)
{
    /// <summary>Checks that the buffer holds Width x Height x 4 bytes.</summary>
    public RgbaImage Validate()
    {
        if (Width <= 0 || Height <= 0 || Rgba.Length != checked(Width * Height * 4))
        {
            throw new ArgumentException($"an RGBA image of {Width} x {Height} needs {Width * Height * 4} bytes, got {Rgba.Length}");
        }

        return this;
    }
}

/// <summary>Thrown for bytes that are not a PNG this codec reads.</summary>
public sealed class PngFormatException(string message) : Exception(message);

/// <summary>
/// A small PNG codec (ISO/IEC 15948): reads non-interlaced greyscale, RGB, palette, grey+alpha and RGBA images at bit
/// depth 8 (and 16, keeping the high byte), checking chunk CRCs; writes RGBA, filter 0 (None) for every row.
/// Generators return PNG; embedders need pixels; the project cannot depend on the World codec.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Whether the bytes start with the PNG signature and an IHDR chunk.</summary>
    public static bool TryReadSize(ReadOnlySpan<byte> png, out int width, out int height)
    {
        width = height = 0;
        if (png.Length < 24 || !png[..8].SequenceEqual(Signature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return false;
        }

        width = BinaryPrimitives.ReadInt32BigEndian(png[16..]);
        height = BinaryPrimitives.ReadInt32BigEndian(png[20..]);
        return width > 0 && height > 0;
    }

    public static byte[] Encode(RgbaImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Validate();
        using var ms = new MemoryStream();
        ms.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), image.Height);
        ihdr[8] = 8;
        ihdr[9] = 6; // RGBA
        WriteChunk(ms, "IHDR", ihdr);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                int stride = image.Width * 4;
                for (int y = 0; y < image.Height; y++)
                {
                    z.WriteByte(0);
                    z.Write(image.Rgba, y * stride, stride);
                }
            }

            WriteChunk(ms, "IDAT", raw.ToArray());
        }

        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    public static RgbaImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature))
        {
            throw new PngFormatException("not a PNG file (bad signature)");
        }

        int pos = 8, width = 0, height = 0, depth = 0, colorType = -1;
        byte[]? palette = null, paletteAlpha = null;
        using var idat = new MemoryStream();
        bool end = false;
        while (!end)
        {
            if (pos + 12 > png.Length)
            {
                throw new PngFormatException("truncated PNG (no IEND chunk)");
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(png[pos..]);
            if (length < 0 || pos + 12 + length > png.Length)
            {
                throw new PngFormatException($"truncated PNG (chunk at byte {pos} runs past the end)");
            }

            var type = png.Slice(pos + 4, 4);
            var data = png.Slice(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + length)..]);
            if (Crc32(png.Slice(pos + 4, 4 + length)) != crc)
            {
                throw new PngFormatException($"bad CRC in chunk {System.Text.Encoding.ASCII.GetString(type)} at byte {pos}");
            }

            switch (System.Text.Encoding.ASCII.GetString(type))
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    depth = data[8];
                    colorType = data[9];
                    if (data[12] != 0)
                    {
                        throw new PngFormatException("interlaced PNGs are not supported");
                    }

                    if (width <= 0 || height <= 0 || (long)width * height > 1 << 28)
                    {
                        throw new PngFormatException($"unsupported size {width} x {height}");
                    }

                    if (!(depth == 8 || (depth == 16 && colorType != 3)) || colorType is not (0 or 2 or 3 or 4 or 6))
                    {
                        throw new PngFormatException($"unsupported PNG: bit depth {depth}, colour type {colorType}");
                    }

                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "tRNS":
                    paletteAlpha = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    end = true;
                    break;
            }

            pos += 12 + length;
        }

        if (colorType < 0)
        {
            throw new PngFormatException("no IHDR chunk");
        }

        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int bpp = channels * depth / 8;
        int stride = width * bpp;
        var raw = new byte[(stride + 1) * height];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            int read = 0;
            while (read < raw.Length)
            {
                int n;
                try
                {
                    n = z.Read(raw, read, raw.Length - read);
                }
                catch (InvalidDataException ex)
                {
                    throw new PngFormatException($"corrupt image data: {ex.Message}");
                }

                if (n == 0)
                {
                    throw new PngFormatException("truncated image data");
                }

                read += n;
            }
        }

        var pixels = new byte[stride * height];
        Unfilter(raw, pixels, stride, height, bpp);
        var rgba = new byte[width * height * 4];
        int step = depth / 8; // 16-bit samples: keep the high byte
        for (int i = 0; i < width * height; i++)
        {
            int s = i * bpp;
            byte Sample(int c) => pixels[s + c * step];
            switch (colorType)
            {
                case 0:
                    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = Sample(0);
                    rgba[i * 4 + 3] = 255;
                    break;
                case 2:
                    rgba[i * 4] = Sample(0);
                    rgba[i * 4 + 1] = Sample(1);
                    rgba[i * 4 + 2] = Sample(2);
                    rgba[i * 4 + 3] = 255;
                    break;
                case 3:
                    int idx = pixels[s];
                    if (palette is null || idx * 3 + 2 >= palette.Length)
                    {
                        throw new PngFormatException($"palette index {idx} out of range");
                    }

                    rgba[i * 4] = palette[idx * 3];
                    rgba[i * 4 + 1] = palette[idx * 3 + 1];
                    rgba[i * 4 + 2] = palette[idx * 3 + 2];
                    rgba[i * 4 + 3] = paletteAlpha is not null && idx < paletteAlpha.Length ? paletteAlpha[idx] : (byte)255;
                    break;
                case 4:
                    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = Sample(0);
                    rgba[i * 4 + 3] = Sample(1);
                    break;
                default:
                    rgba[i * 4] = Sample(0);
                    rgba[i * 4 + 1] = Sample(1);
                    rgba[i * 4 + 2] = Sample(2);
                    rgba[i * 4 + 3] = Sample(3);
                    break;
            }
        }

        return new RgbaImage(width, height, rgba);
    }

    private static void Unfilter(byte[] raw, byte[] output, int stride, int height, int bpp)
    {
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            int src = y * (stride + 1) + 1, dst = y * stride, prev = dst - stride;
            for (int x = 0; x < stride; x++)
            {
                int a = x >= bpp ? output[dst + x - bpp] : 0;
                int b = y > 0 ? output[prev + x] : 0;
                int c = x >= bpp && y > 0 ? output[prev + x - bpp] : 0;
                int v = raw[src + x];
                output[dst + x] = filter switch
                {
                    0 => (byte)v,
                    1 => (byte)(v + a),
                    2 => (byte)(v + b),
                    3 => (byte)(v + ((a + b) >> 1)),
                    4 => (byte)(v + Paeth(a, b, c)),
                    _ => throw new PngFormatException($"unknown filter type {filter} on row {y}"),
                };
            }
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head[4..]);
        s.Write(head);
        s.Write(data);
        var crcInput = new byte[4 + data.Length];
        head[4..].CopyTo(crcInput);
        data.CopyTo(crcInput, 4);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        s.Write(crc);
    }

    private static readonly uint[] CrcTable = MakeCrcTable();

    private static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            t[n] = c;
        }

        return t;
    }

    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return c ^ 0xFFFFFFFFu;
    }
}
