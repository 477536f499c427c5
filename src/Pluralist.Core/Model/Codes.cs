using System.Security.Cryptography;
using System.Text;

namespace Pluralist.Core.Model;

/// <summary>Invitation and one-time codes: normalising, hashing and making new ones.</summary>
public static class Codes
{
    // No 0/O, 1/I/L: codes are read aloud and typed by hand.
    private const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    /// <summary>Upper case, without spaces or dashes.</summary>
    public static string Normalize(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var sb = new StringBuilder(code.Length);
        foreach (var ch in code)
        {
            if (char.IsLetterOrDigit(ch))
            {
                sb.Append(char.ToUpperInvariant(ch));
            }
        }

        return sb.ToString();
    }

    /// <summary>SHA-256 of the normalised code, lower-case hex.</summary>
    public static string Hash(string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(code))));

    /// <summary>A new random code such as <c>K7QF-M2XD</c>.</summary>
    public static string NewCode()
    {
        var chars = RandomNumberGenerator.GetItems<char>(Alphabet, 8);
        return new string(chars, 0, 4) + "-" + new string(chars, 4, 4);
    }

    /// <summary>A new pseudonym such as <c>P-7F3K2Q</c>.</summary>
    public static string NewPseudonym() => "P-" + new string(RandomNumberGenerator.GetItems<char>(Alphabet, 6));
}
