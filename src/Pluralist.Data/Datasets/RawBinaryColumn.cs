using System.Buffers.Binary;
using Parquet.Meta;

namespace Pluralist.Data.Datasets;

/// <summary>
/// One row group's flat binary column (the images of a preference dataset) read straight from the file into a buffer
/// this object owns and reuses from group to group: the column chunk's bytes are read once, its data pages parsed in
/// place, and each row's value is a slice of the buffer. Nothing is allocated per value or per group once the buffer
/// has grown to the largest chunk. Only what Pluralist's writer produces and most Pick-a-Pic files use is handled
/// here: uncompressed chunks, PLAIN values, no dictionary, data pages v1 or v2; <see cref="CanRead"/> says when a chunk
/// needs Parquet.Net's general reader instead.
/// </summary>
internal sealed class RawBinaryColumn
{
    private byte[] _buffer = [];
    private int[] _offsets = [];
    private int[] _lengths = [];

    /// <summary>Whether <see cref="LoadAsync"/> can read <paramref name="chunk"/>.</summary>
    public static bool CanRead(ColumnChunk chunk) =>
        chunk.MetaData is { } m && m.Codec == CompressionCodec.UNCOMPRESSED && m.DictionaryPageOffset is null && m.Type == Parquet.Meta.Type.BYTE_ARRAY
        && m.Encodings.All(e => e is Encoding.PLAIN or Encoding.RLE or Encoding.BIT_PACKED) && m.TotalCompressedSize is > 0 and < int.MaxValue;

    /// <summary>Row <paramref name="row"/>'s value; empty for a null. Valid until the next <see cref="LoadAsync"/>.</summary>
    public ReadOnlyMemory<byte> this[int row] => _lengths[row] < 0 ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(_offsets[row], _lengths[row]);

    /// <summary>Reads the chunk of <paramref name="rows"/> rows; <paramref name="nullable"/> when the column is optional (definition level 1).</summary>
    public async Task LoadAsync(Stream stream, ColumnChunk chunk, int rows, bool nullable, CancellationToken ct)
    {
        var meta = chunk.MetaData!;
        var size = (int)meta.TotalCompressedSize;
        if (_buffer.Length < size)
        {
            _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(size, (int)Math.Min(Array.MaxLength, _buffer.Length * 3L / 2)));
        }

        if (_offsets.Length < rows)
        {
            _offsets = new int[rows];
            _lengths = new int[rows];
        }

        stream.Position = meta.DataPageOffset;
        await stream.ReadExactlyAsync(_buffer.AsMemory(0, size), ct).ConfigureAwait(false);
        Parse(size, rows, nullable);
    }

    private void Parse(int size, int rows, bool nullable)
    {
        var at = 0;
        var row = 0;
        while (row < rows)
        {
            if (at >= size)
            {
                throw new InvalidDataException($"the column chunk ends after {row} of {rows} rows");
            }

            var header = new Thrift(_buffer, at, size).ReadPageHeader();
            at = header.End;
            var end = checked(at + header.CompressedSize);
            if (end > size)
            {
                throw new InvalidDataException("a data page runs past its column chunk");
            }

            if (header.Type is not (PageType.DATA_PAGE or PageType.DATA_PAGE_V2) || header.Encoding != Encoding.PLAIN)
            {
                throw new InvalidDataException($"unexpected {header.Type} page with {header.Encoding} values");
            }

            var values = at;
            var levels = Span<byte>.Empty;
            if (header.Type == PageType.DATA_PAGE_V2)
            {
                levels = _buffer.AsSpan(at + header.RepetitionBytes, header.DefinitionBytes);
                values = at + header.RepetitionBytes + header.DefinitionBytes;
            }
            else if (nullable)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(at));
                levels = _buffer.AsSpan(at + 4, length);
                values = at + 4 + length;
            }

            var count = Math.Min(header.Values, rows - row);
            if (nullable)
            {
                DefinitionLevels(levels, count, row);
            }
            else
            {
                Array.Fill(_lengths, 0, row, count);
            }

            for (var i = 0; i < count; i++)
            {
                if (_lengths[row + i] < 0)
                {
                    continue;
                }

                var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(values));
                if (length < 0 || values + 4 + length > end)
                {
                    throw new InvalidDataException("a value runs past its data page");
                }

                _offsets[row + i] = values + 4;
                _lengths[row + i] = length;
                values += 4 + length;
            }

            row += count;
            at = end;
        }
    }

    // The RLE / bit-packed hybrid of bit width 1: marks _lengths[row + i] = -1 for a null, 0 for a present value.
    private void DefinitionLevels(ReadOnlySpan<byte> levels, int count, int row)
    {
        var i = 0;
        var at = 0;
        while (i < count)
        {
            var h = ReadVarint(levels, ref at);
            if ((h & 1) == 0)
            {
                var run = (int)(h >> 1);
                var value = levels[at++] & 1;
                for (var k = 0; k < run && i < count; k++, i++)
                {
                    _lengths[row + i] = value == 1 ? 0 : -1;
                }
            }
            else
            {
                var groups = (int)(h >> 1);
                for (var b = 0; b < groups; b++)
                {
                    var bits = levels[at++];
                    for (var k = 0; k < 8 && i < count; k++, i++)
                    {
                        var value = (bits >> k) & 1;
                        _lengths[row + i] = value == 1 ? 0 : -1;
                    }
                }
            }
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> s, ref int at)
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = s[at++];
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return v;
            }
        }

        throw new InvalidDataException("a varint is too long");
    }

    private readonly record struct PageHeaderInfo(PageType Type, int CompressedSize, int Values, Encoding Encoding, int DefinitionBytes, int RepetitionBytes, int End);

    /// <summary>Just enough of Thrift's compact protocol to read a page header (and skip what it does not need).</summary>
    private ref struct Thrift(byte[] buffer, int at, int limit)
    {
        private int _at = at;

        public PageHeaderInfo ReadPageHeader()
        {
            PageType type = default;
            int compressed = 0, values = 0, defBytes = 0, repBytes = 0;
            var encoding = Encoding.PLAIN;
            short last = 0;
            while (NextField(ref last, out var id, out var kind))
            {
                switch (id)
                {
                    case 1 when kind == 5: type = (PageType)ReadInt(); break;
                    case 3 when kind == 5: compressed = ReadInt(); break;
                    case 5 or 8 when kind == 12:
                        short inner = 0;
                        while (NextField(ref inner, out var f, out var k))
                        {
                            switch (f)
                            {
                                case 1 when k == 5: values = ReadInt(); break;
                                case 2 when k == 5 && id == 5: encoding = (Encoding)ReadInt(); break;
                                case 4 when k == 5 && id == 8: encoding = (Encoding)ReadInt(); break;
                                case 5 when k == 5 && id == 8: defBytes = ReadInt(); break;
                                case 6 when k == 5 && id == 8: repBytes = ReadInt(); break;
                                default: Skip(k); break;
                            }
                        }

                        break;
                    default: Skip(kind); break;
                }
            }

            return new PageHeaderInfo(type, compressed, values, encoding, defBytes, repBytes, _at);
        }

        private bool NextField(ref short last, out short id, out int kind)
        {
            var b = Byte();
            kind = b & 0x0F;
            if (b == 0)
            {
                id = 0;
                return false;
            }

            var delta = b >> 4;
            id = delta == 0 ? (short)ZigZag(Varint()) : (short)(last + delta);
            last = id;
            return true;
        }

        private int ReadInt() => (int)ZigZag(Varint());

        private void Skip(int kind)
        {
            switch (kind)
            {
                case 1 or 2: break;
                case 3: Byte(); break;
                case 4 or 5 or 6: Varint(); break;
                case 7: Advance(8); break;
                case 8: Advance(checked((int)Varint())); break;
                case 9 or 10:
                    var h = Byte();
                    var n = h >> 4 == 15 ? (int)Varint() : h >> 4;
                    for (var i = 0; i < n; i++)
                    {
                        Skip(h & 0x0F);
                    }

                    break;
                case 11:
                    var count = (int)Varint();
                    if (count > 0)
                    {
                        var types = Byte();
                        for (var i = 0; i < count; i++)
                        {
                            Skip(types >> 4);
                            Skip(types & 0x0F);
                        }
                    }

                    break;
                case 12:
                    short last = 0;
                    while (NextField(ref last, out _, out var k))
                    {
                        Skip(k);
                    }

                    break;
                default: throw new InvalidDataException($"a page header holds an unknown Thrift type {kind}");
            }
        }

        private byte Byte() => _at < limit ? buffer[_at++] : throw new InvalidDataException("a page header runs past its column chunk");

        private void Advance(int n)
        {
            if (n < 0 || _at + n > limit)
            {
                throw new InvalidDataException("a page header runs past its column chunk");
            }

            _at += n;
        }

        private ulong Varint()
        {
            ulong v = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                v |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return v;
                }
            }

            throw new InvalidDataException("a varint is too long");
        }

        private static long ZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);
    }
}
