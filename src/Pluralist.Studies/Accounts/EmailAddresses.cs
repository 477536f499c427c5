using System.Net.Mail;

namespace Pluralist.Studies.Accounts;

/// <summary>
/// The one check for an email address entering the app (invitation CSV, participant and console forms,
/// the staff command): a bare address as System.Net.Mail reads it, and stricter: no display name, no
/// angle brackets, quotes, comments or domain literals, no space, line break or other control character
/// (a CR/LF would let the value add mail headers), one <c>@</c>, at most 64 characters before it and
/// 254 in all, a dot in the domain. Kept in lower case.
/// </summary>
public static class EmailAddresses
{
    public const int MaxLength = 254;
    public const int MaxLocalLength = 64;

    private const string LocalSymbols = "!#$%&'*+/=?^_`{|}~.-";

    /// <summary>The address trimmed and in lower case, or null with <paramref name="problem"/> saying what is wrong ("it holds a line break").</summary>
    public static string? Normalize(string? value, out string? problem)
    {
        var trimmed = value?.Trim(' ') ?? "";
        problem = Check(trimmed);
        return problem is null ? trimmed.ToLowerInvariant() : null;
    }

    /// <summary>The value with control characters made visible, for an error message.</summary>
    public static string Shown(string? value) =>
        string.Concat((value ?? "").Take(80).Select(c => c switch
        {
            '\r' => "\\r",
            '\n' => "\\n",
            '\t' => "\\t",
            _ when char.IsControl(c) => $"\\u{(int)c:x4}",
            _ => c.ToString(),
        }));

    private static string? Check(string s)
    {
        if (s.Length == 0)
        {
            return "it is empty";
        }

        if (s.Any(c => c is '\r' or '\n'))
        {
            return "it holds a line break";
        }

        if (s.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
        {
            return "it holds a space or a control character";
        }

        if (s.Length > MaxLength)
        {
            return $"it is longer than {MaxLength} characters";
        }

        var at = s.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != s.LastIndexOf('@') || at == s.Length - 1)
        {
            return "it must be one bare address such as name@example.org (no name, no <brackets>)";
        }

        var local = s[..at];
        var domain = s[(at + 1)..];
        if (local.Length > MaxLocalLength)
        {
            return $"the part before @ is longer than {MaxLocalLength} characters";
        }

        if (!local.All(c => char.IsLetterOrDigit(c) || LocalSymbols.Contains(c, StringComparison.Ordinal))
            || !domain.All(c => char.IsLetterOrDigit(c) || c is '.' or '-')
            || !domain.Contains('.', StringComparison.Ordinal) || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains("..", StringComparison.Ordinal)
            || !MailAddress.TryCreate(s, out var parsed) || parsed.Address != s || parsed.DisplayName.Length > 0)
        {
            return "it must be one bare address such as name@example.org (no name, no <brackets>)";
        }

        return null;
    }
}
