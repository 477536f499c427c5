using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pluralist.Data.Imports;

/// <summary>
/// The 128-bit key of a tuple of strings (the first half of the SHA-256 of the length-prefixed UTF-8 parts), for the
/// duplicate checks of the streaming importers: a set of these costs about 30 bytes an entry whatever the strings' length,
/// where a set of the strings themselves costs a hundred or more, so what the importers keep grows by little with the rows.
/// Two different tuples share a key with probability about n² / 2¹²⁹ (10⁻²⁹ for a million rows).
/// </summary>
internal static class ImportKey
{
    public static UInt128 Of(string a, string b = "", string c = "")
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        var length = 12 + Encoding.UTF8.GetMaxByteCount(a.Length + b.Length + c.Length);
        byte[]? rented = null;
        Span<byte> buffer = length > 512 ? (rented = ArrayPool<byte>.Shared.Rent(length)) : stackalloc byte[512];
        try
        {
            var n = 0;
            foreach (var part in (ReadOnlySpan<string>)[a, b, c])
            {
                var written = Encoding.UTF8.GetBytes(part, buffer[(n + 4)..]);
                BinaryPrimitives.WriteInt32LittleEndian(buffer[n..], written);
                n += 4 + written;
            }

            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer[..n], hash);
            return BinaryPrimitives.ReadUInt128LittleEndian(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
