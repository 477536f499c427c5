using System.Globalization;

namespace Pluralist.Core.Model;

/// <summary>
/// The one rule for study keys, and how a study reference typed by staff (CLI arguments, exports)
/// names a study. A key is 1 to <see cref="MaxLength"/> lower-case ASCII letters, digits and '-',
/// starts with a letter or a digit, and is never all digits: an all-digit reference always means a
/// study id, so a key can never be taken for another study's id.
/// </summary>
public static class StudyKeys
{
    public const int MaxLength = 64;

    /// <summary>The prefix of a reference that names a study by its id (<c>id:7</c>).</summary>
    public const string IdPrefix = "id:";

    /// <summary>The prefix of a reference that names a study by its key (<c>key:parks</c>; also reaches an older all-digit key).</summary>
    public const string KeyPrefix = "key:";

    /// <summary>What is wrong with <paramref name="key"/> as a new study key; null when it is valid.</summary>
    public static string? Problem(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "a study key is required: lower-case letters, digits and '-' (for example montreal-parks-2025)";
        }

        if (key.Length > MaxLength)
        {
            return $"a study key has at most {MaxLength} characters ('{Shorten(key)}' has {key.Length})";
        }

        if (!char.IsAsciiLetterOrDigit(key[0]) || !key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return $"'{Shorten(key)}' is not a valid study key: use lower-case letters, digits and '-', starting with a letter or a digit";
        }

        if (key.All(char.IsAsciiDigit))
        {
            return $"'{key}' cannot be a study key: a key of digits only could be taken for a study id; add a letter (for example study-{key})";
        }

        return null;
    }

    /// <summary>Whether <paramref name="key"/> follows the key rule.</summary>
    public static bool IsValid(string? key) => Problem(key) is null;

    /// <summary>
    /// Reads a study reference: <c>id:N</c> or all digits name the study with id N; <c>key:K</c> or
    /// anything else names the study with key K. Null when the reference is empty or malformed.
    /// </summary>
    public static StudyReference? ParseReference(string? reference)
    {
        var text = reference?.Trim() ?? "";
        if (text.StartsWith(IdPrefix, StringComparison.Ordinal))
        {
            return TryParseId(text[IdPrefix.Length..], out var explicitId) ? new StudyReference(explicitId, null, Explicit: true) : null;
        }

        if (text.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            var key = text[KeyPrefix.Length..];
            return key.Length > 0 ? new StudyReference(null, key, Explicit: true) : null;
        }

        if (text.Length == 0)
        {
            return null;
        }

        return TryParseId(text, out var id) ? new StudyReference(id, null, Explicit: false) : new StudyReference(null, text, Explicit: false);
    }

    private static bool TryParseId(string text, out long id)
    {
        id = 0;
        return text.Length > 0 && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
    }

    private static string Shorten(string key) => key.Length <= 80 ? key : key[..77] + "...";
}

/// <summary>A parsed study reference: exactly one of <see cref="Id"/> and <see cref="Key"/> is set; <see cref="Explicit"/> when it had an <c>id:</c> or <c>key:</c> prefix.</summary>
public sealed record StudyReference(long? Id, string? Key, bool Explicit);
