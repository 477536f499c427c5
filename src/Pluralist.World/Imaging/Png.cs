using System.Buffers.Binary;
using System.IO.Compression;

namespace Pluralist.World.Imaging;

/// <summary>Row filter used by the encoder (PNG specification, section 9).</summary>
public enum PngFilter
{
    None = 0,
    Sub = 1,
    Up = 2,
    Average = 3,
    Paeth = 4,

    /// <summary>Per row, the filter with the smallest sum of absolute signed bytes.</summary>
    Adaptive = 5,
}

/// <summary>
/// PNG encoder (8-bit RGBA, non-interlaced) and decoder (8-bit grey, grey+alpha, RGB, RGBA and
/// palette; non-interlaced). zlib comes from <see cref="ZLibStream"/>.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>The size from the signature and IHDR chunk, without decoding; false when the bytes do not start like a PNG.</summary>
    public static bool TryReadSize(ReadOnlySpan<byte> png, out int width, out int height)
    {
        width = height = 0;
        if (png.Length < 24 || !png[..8].SequenceEqual(PngSignature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return false;
        }

        width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[16..]);
        height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[20..]);
        return width > 0 && height > 0;
    }

    private static ReadOnlySpan<byte> PngSignature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Encodes an RGBA image as PNG bytes. Same input, same bytes.</summary>
    public static byte[] Encode(RgbaImage image, PngFilter filter = PngFilter.Adaptive, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!Enum.IsDefined(filter))
        {
            throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown PNG filter.");
        }

        int stride = image.Width * 4;
        byte[] raw = new byte[(stride + 1) * image.Height];
        byte[] prev = new byte[stride];
        byte[] candidate = new byte[stride];
        byte[] best = new byte[stride];
        for (int y = 0; y < image.Height; y++)
        {
            var row = new ReadOnlySpan<byte>(image.Pixels, y * stride, stride);
            int outAt = y * (stride + 1);
            int chosen;
            if (filter == PngFilter.Adaptive)
            {
                long bestScore = long.MaxValue;
                chosen = 0;
                for (int f = 0; f <= 4; f++)
                {
                    FilterRow(f, row, prev, candidate, 4);
                    long score = 0;
                    foreach (byte b in candidate)
                    {
                        score += b < 128 ? b : 256 - b;
                    }

                    if (score < bestScore)
                    {
                        bestScore = score;
                        chosen = f;
                        candidate.CopyTo(best, 0);
                    }
                }
            }
            else
            {
                chosen = (int)filter;
                FilterRow(chosen, row, prev, best, 4);
            }

            raw[outAt] = (byte)chosen;
            best.CopyTo(raw, outAt + 1);
            row.CopyTo(prev);
        }

        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // colour type RGBA
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR", ihdr);

        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, level, leaveOpen: true))
            {
                z.Write(raw);
            }

            WriteChunk(output, "IDAT", compressed.ToArray());
        }

        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>Decodes PNG bytes to RGBA. Throws <see cref="PngFormatException"/> on malformed or unsupported input.</summary>
    public static RgbaImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
        {
            throw new PngFormatException("Not a PNG file: the 8-byte signature is missing.");
        }

        int pos = Signature.Length;
        int width = 0, height = 0, colourType = -1;
        bool seenHeader = false, seenEnd = false;
        byte[]? palette = null;
        byte[]? paletteAlpha = null;
        using var idat = new MemoryStream();
        while (pos < png.Length)
        {
            if (png.Length - pos < 12)
            {
                throw new PngFormatException($"Truncated chunk header at byte {pos}.");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if (length > int.MaxValue || length > png.Length - pos - 12)
            {
                throw new PngFormatException($"Chunk at byte {pos} declares {length} bytes, past the end of the file.");
            }

            var typeBytes = png.Slice(pos + 4, 4);
            string type = System.Text.Encoding.ASCII.GetString(typeBytes);
            var data = png.Slice(pos + 8, (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..]);
            uint crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
            if (crc != storedCrc)
            {
                throw new PngFormatException($"CRC mismatch in chunk '{type}' at byte {pos}.");
            }

            pos += 12 + (int)length;
            if (!seenHeader && type != "IHDR")
            {
                throw new PngFormatException($"First chunk must be IHDR, found '{type}'.");
            }

            switch (type)
            {
                case "IHDR":
                    if (seenHeader || length != 13)
                    {
                        throw new PngFormatException("IHDR must appear once with 13 bytes.");
                    }

                    seenHeader = true;
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    int bitDepth = data[8];
                    colourType = data[9];
                    if (width <= 0 || height <= 0 || (long)width * height > 1 << 28)
                    {
                        throw new PngFormatException($"Unsupported image size {width}x{height}.");
                    }

                    if (colourType is not (0 or 2 or 3 or 4 or 6))
                    {
                        throw new PngFormatException($"Invalid colour type {colourType}.");
                    }

                    if (bitDepth != 8)
                    {
                        throw new PngFormatException($"Unsupported bit depth {bitDepth}: only 8-bit PNG is supported.");
                    }

                    if (data[10] != 0 || data[11] != 0)
                    {
                        throw new PngFormatException("Unknown compression or filter method.");
                    }

                    if (data[12] != 0)
                    {
                        throw new PngFormatException("Interlaced (Adam7) PNG is not supported.");
                    }

                    break;
                case "PLTE":
                    if (length == 0 || length % 3 != 0 || length > 768)
                    {
                        throw new PngFormatException("PLTE length must be a multiple of 3, at most 768.");
                    }

                    palette = data.ToArray();
                    break;
                case "tRNS":
                    if (colourType == 3)
                    {
                        paletteAlpha = data.ToArray();
                    }

                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    seenEnd = true;
                    break;
                default:
                    if ((typeBytes[0] & 0x20) == 0)
                    {
                        throw new PngFormatException($"Unknown critical chunk '{type}'.");
                    }

                    break;
            }

            if (seenEnd)
            {
                break;
            }
        }

        if (!seenHeader || !seenEnd)
        {
            throw new PngFormatException(seenHeader ? "Missing IEND chunk." : "Missing IHDR chunk.");
        }

        if (colourType == 3 && palette is null)
        {
            throw new PngFormatException("Palette image without a PLTE chunk.");
        }

        int channels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int stride = width * channels;
        byte[] raw = new byte[(long)(stride + 1) * height];
        try
        {
            idat.Position = 0;
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            z.ReadExactly(raw);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new PngFormatException("Image data is not a valid zlib stream of the declared size.", e);
        }

        byte[] prev = new byte[stride];
        byte[] cur = new byte[stride];
        var image = new RgbaImage(width, height);
        byte[] px = image.Pixels;
        for (int y = 0; y < height; y++)
        {
            int at = y * (stride + 1);
            int f = raw[at];
            if (f > 4)
            {
                throw new PngFormatException($"Invalid filter type {f} on row {y}.");
            }

            Unfilter(f, raw.AsSpan(at + 1, stride), prev, cur, channels);
            int o = y * width * 4;
            for (int x = 0; x < width; x++, o += 4)
            {
                switch (colourType)
                {
                    case 0:
                        px[o] = px[o + 1] = px[o + 2] = cur[x];
                        px[o + 3] = 255;
                        break;
                    case 2:
                        px[o] = cur[x * 3];
                        px[o + 1] = cur[(x * 3) + 1];
                        px[o + 2] = cur[(x * 3) + 2];
                        px[o + 3] = 255;
                        break;
                    case 3:
                        int idx = cur[x];
                        if ((idx * 3) + 2 >= palette!.Length)
                        {
                            throw new PngFormatException($"Palette index {idx} out of range at ({x}, {y}).");
                        }

                        px[o] = palette[idx * 3];
                        px[o + 1] = palette[(idx * 3) + 1];
                        px[o + 2] = palette[(idx * 3) + 2];
                        px[o + 3] = paletteAlpha is not null && idx < paletteAlpha.Length ? paletteAlpha[idx] : (byte)255;
                        break;
                    case 4:
                        px[o] = px[o + 1] = px[o + 2] = cur[x * 2];
                        px[o + 3] = cur[(x * 2) + 1];
                        break;
                    default:
                        px[o] = cur[x * 4];
                        px[o + 1] = cur[(x * 4) + 1];
                        px[o + 2] = cur[(x * 4) + 2];
                        px[o + 3] = cur[(x * 4) + 3];
                        break;
                }
            }

            (prev, cur) = (cur, prev);
        }

        return image;
    }

    private static void FilterRow(int f, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prev, Span<byte> dst, int bpp)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = prev[i];
            int c = i >= bpp ? prev[i - bpp] : 0;
            int p = f switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                _ => Paeth(a, b, c),
            };
            dst[i] = (byte)(row[i] - p);
        }
    }

    private static void Unfilter(int f, ReadOnlySpan<byte> src, ReadOnlySpan<byte> prev, Span<byte> dst, int bpp)
    {
        for (int i = 0; i < src.Length; i++)
        {
            int a = i >= bpp ? dst[i - bpp] : 0;
            int b = prev[i];
            int c = i >= bpp ? prev[i - bpp] : 0;
            int p = f switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                _ => Paeth(a, b, c),
            };
            dst[i] = (byte)(src[i] + p);
        }
    }

    // PNG specification 9.4: predictor closest to a + b - c, ties broken a, b, c.
    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        for (int i = 0; i < 4; i++)
        {
            header[4 + i] = (byte)type[i];
        }

        output.Write(header);
        output.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, header[4..]), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        output.Write(crcBytes);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
