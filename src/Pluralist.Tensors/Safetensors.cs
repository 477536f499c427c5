using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pluralist.Tensors;

/// <summary>
/// The safetensors file format (Hugging Face): 8-byte little-endian header length, a JSON header mapping names to
/// dtype, shape and data_offsets (relative to the end of the header), optional <c>__metadata__</c>, then raw
/// little-endian data. Reads F32, F16 and BF16 into float32; writes any of them.
/// </summary>
public static class Safetensors
{
    /// <summary>Writes tensors (sorted by name) with optional string metadata.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, StoredType type = StoredType.F32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var fs = File.Create(path);
        Write(fs, tensors, type, metadata);
    }

    /// <summary>Writes to a stream.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, StoredType type = StoredType.F32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        int size = type == StoredType.F32 ? 4 : 2;
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata)
            {
                meta[k] = v;
            }

            header["__metadata__"] = meta;
        }

        long offset = 0;
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            var t = tensors[name];
            long len = (long)t.Numel * size;
            header[name] = new JsonObject
            {
                ["dtype"] = type.ToString(),
                ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + len),
            };
            offset += len;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int pad = (8 - (json.Length % 8)) % 8;
        var lenBytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lenBytes, (ulong)(json.Length + pad));
        stream.Write(lenBytes);
        stream.Write(json);
        for (int i = 0; i < pad; i++)
        {
            stream.WriteByte((byte)' ');
        }

        foreach (var name in names)
        {
            var d = tensors[name].Data;
            var buf = new byte[d.Length * size];
            for (int i = 0; i < d.Length; i++)
            {
                switch (type)
                {
                    case StoredType.F32:
                        BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(i * 4), d[i]);
                        break;
                    case StoredType.F16:
                        BinaryPrimitives.WriteHalfLittleEndian(buf.AsSpan(i * 2), (Half)d[i]);
                        break;
                    default:
                        BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(i * 2), ToBFloat16(d[i]));
                        break;
                }
            }

            stream.Write(buf);
        }
    }

    /// <summary>Reads every tensor as float32, plus the metadata (empty when absent).</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return Read(bytes);
    }

    /// <summary>Parses a whole file held in memory.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8)
        {
            Throw.Argument("safetensors file shorter than its header length");
        }

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8))
        {
            Throw.Argument("safetensors header length exceeds the file");
        }

        var dataStart = 8 + (int)n;
        using var doc = JsonDocument.Parse(bytes.Slice(8, (int)n).ToArray());
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject())
                {
                    metadata[m.Name] = m.Value.GetString() ?? string.Empty;
                }

                continue;
            }

            var dtype = prop.Value.GetProperty("dtype").GetString();
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offs = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            int count = ShapeUtil.Numel(shape);
            int size = dtype switch
            {
                "F32" => 4,
                "F16" or "BF16" => 2,
                _ => throw new NotSupportedException($"{prop.Name}: dtype {dtype} is not read (F32, F16, BF16 are)"),
            };
            if (offs.Length != 2 || offs[1] - offs[0] != (long)count * size || dataStart + offs[1] > bytes.Length)
            {
                Throw.Argument($"{prop.Name}: bad data_offsets");
            }

            var src = bytes.Slice(dataStart + (int)offs[0], count * size);
            var data = new float[count];
            for (int i = 0; i < count; i++)
            {
                data[i] = dtype switch
                {
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]),
                    "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(src[(i * 2)..]),
                    _ => FromBFloat16(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..])),
                };
            }

            tensors[prop.Name] = new Tensor(data, shape);
        }

        return (tensors, metadata);
    }

    /// <summary>float32 -> bfloat16 bits, round to nearest even (NaN kept quiet).</summary>
    public static ushort ToBFloat16(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        if (float.IsNaN(v))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>bfloat16 bits -> float32 (exact).</summary>
    public static float FromBFloat16(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);
}
