using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Pluralist.Testing;

/// <summary>Hostile archives and images for the import limit tests, built here byte by byte.</summary>
internal static class ImportBombs
{
    /// <summary>A genuine 1-bit greyscale PNG of <paramref name="width"/> × <paramref name="height"/> black pixels: a few KB that decode to width × height × 4 bytes.</summary>
    public static byte[] Png(int width, int height)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + ((width + 7) / 8)]; // filter byte 0, then the packed bits
            for (var y = 0; y < height; y++)
            {
                z.Write(row);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 1; // bit depth; colour type 0 (grey), deflate, filter 0, no interlace
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// A zip with <paramref name="small"/> stored entries, then <paramref name="copies"/> entries named
    /// by <paramref name="name"/> that each inflate to <paramref name="zeros"/> zero bytes (one deflated
    /// payload written <paramref name="copies"/> times, so a 2 GB bomb costs one compression here).
    /// Sizes in the headers are true unless <paramref name="declaredSize"/> says otherwise.
    /// </summary>
    public static byte[] ZipOfZeros(int copies, long zeros, Func<int, string> name, IEnumerable<(string Name, byte[] Bytes)> small, long? declaredSize = null)
    {
        byte[] payload;
        using (var deflated = new MemoryStream())
        {
            using (var d = new DeflateStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                var block = new byte[1 << 20];
                for (var left = zeros; left > 0; left -= block.Length)
                {
                    d.Write(block, 0, (int)Math.Min(block.Length, left));
                }
            }

            payload = deflated.ToArray();
        }

        var crcOfZeros = 0u;
        for (var left = zeros; left > 0; left -= 1 << 20)
        {
            crcOfZeros = Crc32(new byte[(int)Math.Min(1 << 20, left)], crcOfZeros);
        }

        var entries = small.Select(s => (s.Name, Method: (ushort)0, Crc: Crc32(s.Bytes, 0), Data: s.Bytes, Size: (long)s.Bytes.Length))
            .Concat(Enumerable.Range(0, copies).Select(i => (Name: name(i), Method: (ushort)8, Crc: crcOfZeros, Data: payload, Size: declaredSize ?? zeros)))
            .ToList();
        return Zip(entries);
    }

    /// <summary>A zip of stored entries; a file's <c>UnixMode</c> sets its's Unix file type and mode (0xA1FF: a symbolic link).</summary>
    public static byte[] Zip(IEnumerable<(string Name, byte[] Bytes, int UnixMode)> files) =>
        Zip(files.Select(f => (f.Name, (ushort)0, Crc32(f.Bytes, 0), f.Bytes, (long)f.Bytes.Length)).ToList(), files.Select(f => f.UnixMode).ToList());

    private static byte[] Zip(List<(string Name, ushort Method, uint Crc, byte[] Data, long Size)> entries, List<int>? modes = null)
    {
        using var zip = new MemoryStream();
        var offsets = new List<long>();
        foreach (var e in entries)
        {
            offsets.Add(zip.Position);
            var name = Encoding.UTF8.GetBytes(e.Name);
            var h = new byte[30];
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 20);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(8), e.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(12), 0x21); // 1980-01-01
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(14), e.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(18), (uint)e.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(22), (uint)e.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(26), (ushort)name.Length);
            zip.Write(h);
            zip.Write(name);
            zip.Write(e.Data);
        }

        var directory = zip.Position;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var name = Encoding.UTF8.GetBytes(e.Name);
            var h = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 0x0314); // made by Unix, version 2.0
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), 20);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(10), e.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(14), 0x21);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), e.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), (uint)e.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), (uint)e.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), (ushort)name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(38), (uint)((modes?[i] is > 0 and var m ? m : 0x81A4) << 16));
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(42), (uint)offsets[i]);
            zip.Write(h);
            zip.Write(name);
        }

        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)(zip.Position - directory));
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), (uint)directory);
        zip.Write(end);
        return zip.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        png.Write(head);
        png.Write(data);
        var crc = Crc32(data, Crc32(head.AsSpan(4).ToArray(), 0));
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        png.Write(tail);
    }

    // CRC-32 (IEEE 802.3, reflected 0xEDB88320), continuing from crc.
    private static uint Crc32(byte[] data, uint crc)
    {
        var c = ~crc;
        foreach (var b in data)
        {
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return ~c;
    }

    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();
}
