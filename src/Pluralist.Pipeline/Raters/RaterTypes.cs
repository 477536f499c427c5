using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pluralist.Pipeline.Raters;

/// <summary>The two tasks a synthetic rater does: the LIVS pair comparison, and the DIVE Likert questions on one image.</summary>
public enum RaterTask
{
    Pairwise = 0,
    Likert = 1,
}

/// <summary>How a synthetic rating ended. Only <see cref="Ok"/> carries values; nothing else is ever guessed.</summary>
public enum RatingStatus
{
    /// <summary>A valid answer.</summary>
    Ok = 0,

    /// <summary>Every attempt answered something that is not valid JSON for the schema.</summary>
    Invalid = 1,

    /// <summary>The model declined (a refusal, or the provider's content filter).</summary>
    Refused = 2,

    /// <summary>The endpoint failed for good (an HTTP error, retries on 429/5xx/timeouts used up).</summary>
    Failed = 3,
}

/// <summary>An image sent inline: its bytes, media type and SHA-256 (what caches and provenance name it by).</summary>
public sealed class RaterImage
{
    public RaterImage(ReadOnlyMemory<byte> bytes, string mediaType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mediaType);
        if (bytes.IsEmpty)
        {
            throw new ArgumentException("An image to rate has no bytes.", nameof(bytes));
        }

        Bytes = bytes;
        MediaType = mediaType;
        Hash = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
    }

    public ReadOnlyMemory<byte> Bytes { get; }

    public string MediaType { get; }

    public string Hash { get; }

    /// <summary>The media type of an image file by its extension (png, jpeg, webp).</summary>
    public static string MediaTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".webp" => "image/webp",
        var e => throw new ArgumentException($"{path}: images to rate are PNG, JPEG or WebP; '{e}' is not one of them."),
    };
}

/// <summary>A criterion (pairwise) or question (Likert) as the rater is told it: key, name and what it means.</summary>
public sealed record RaterScale(string Key, string Name, string Description);

/// <summary>One marker of a persona: the marker's key, the question a person was asked, and the (coded) answer.</summary>
public sealed record PersonaMarker(string Key, string Question, string Value);

/// <summary>
/// Who the rater is asked to be: a set of coded identity markers, or nobody (<see cref="None"/>, the unsteered rater).
/// <see cref="Key"/> names it in storage and caches (<c>age-band=65+;gender=woman</c>, markers in the given order).
/// </summary>
public sealed record RaterPersona
{
    public RaterPersona(IReadOnlyList<PersonaMarker> markers)
    {
        ArgumentNullException.ThrowIfNull(markers);
        Markers = markers;
        Key = string.Join(';', markers.Select(m => $"{m.Key}={m.Value}"));
    }

    public static RaterPersona None { get; } = new([]);

    public IReadOnlyList<PersonaMarker> Markers { get; }

    public string Key { get; }

    public bool IsSteered => Markers.Count > 0;

    /// <summary>The markers by key.</summary>
    public IReadOnlyDictionary<string, string> Values => Markers.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);

    /// <summary>
    /// The persona block of the system message: one line per marker, <c>- question [key]: value</c>. The offline rater
    /// reads it back with <see cref="Parse"/>.
    /// </summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append("Answer as the person described below would, from their own point of view and experience. They described themselves this way:\n");
        foreach (var m in Markers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- {Line(m.Question)} [{Line(m.Key)}]: {Line(m.Value)}\n");
        }

        return sb.ToString();
    }

    /// <summary>The markers of a persona block written by <see cref="Describe"/> inside <paramref name="text"/> (none when there is no block).</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("- ", StringComparison.Ordinal))
            {
                continue;
            }

            int close = line.LastIndexOf("]: ", StringComparison.Ordinal);
            int open = close < 0 ? -1 : line.LastIndexOf('[', close);
            if (open > 0 && close > open)
            {
                result[line[(open + 1)..close]] = line[(close + 3)..];
            }
        }

        return result;
    }

    private static string Line(string s) => s.ReplaceLineEndings(" ").Replace('[', '(').Replace(']', ')');
}

/// <summary>The LIVS pairwise task: two images of one prompt, shown left and right, and the criteria drawn for them.</summary>
public sealed record PairRatingRequest(string Prompt, RaterImage Left, RaterImage Right, IReadOnlyList<RaterScale> Criteria, RaterPersona Persona);

/// <summary>The DIVE task: one image and the study's Likert questions (1..5).</summary>
public sealed record LikertRatingRequest(string Prompt, RaterImage Image, IReadOnlyList<RaterScale> Questions, RaterPersona Persona);

/// <summary>
/// What one rating gave: values in the order of the request's criteria or questions (sliders in [-1, 1] as shown, -1 =
/// left; Likert 1..5), or none with the reason. Tokens are summed over attempts.
/// </summary>
public sealed record RatingOutcome(
    RatingStatus Status,
    IReadOnlyList<double> Values,
    int Attempts,
    long InputTokens,
    long OutputTokens,
    string? Error)
{
    public static RatingOutcome Failure(RatingStatus status, int attempts, long input, long output, string error) => new(status, [], attempts, input, output, error);
}
