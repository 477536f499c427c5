namespace Pluralist.Core.Model;

/// <summary>
/// A participant's answer to the DIVE task: one image, one question, a value on a 1..5 Likert
/// scale and the categories ticked with it.
/// </summary>
public sealed class LikertRating
{
    public long Id { get; set; }

    public long ParticipantId { get; set; }

    public long ImageId { get; set; }

    public DateTimeOffset ServedAt { get; set; }

    /// <summary>Key of the question asked (<c>harm</c>, <c>fits-prompt</c>, …).</summary>
    public string QuestionKey { get; set; } = "";

    /// <summary>The answer on the 1..5 scale.</summary>
    public int Value { get; set; }

    /// <summary>Keys of the categories the participant selected with the answer.</summary>
    public List<string> SelectedCategories { get; set; } = [];

    /// <summary>Idempotency key from the client; unique per participant.</summary>
    public string ClientRequestId { get; set; } = "";

    /// <summary>Time the participant spent, measured in the page.</summary>
    public int? ClientDurationMs { get; set; }

    /// <summary>Time between serving the image and receiving the answer.</summary>
    public int? ServerDurationMs { get; set; }

    public string Language { get; set; } = "en";

    public DateTimeOffset SubmittedAt { get; set; }
}

/// <summary>A DIVE question (asked on a 1..5 scale) or a category (ticked or not), with its texts.</summary>
public sealed class LikertItem
{
    /// <summary>Stable key (<c>harm-self</c>, <c>stereotype</c>): what ratings and exports refer to.</summary>
    public string Key { get; set; } = "";

    public LocalizedText Text { get; set; } = new();

    public static LikertItem Of(string key, string en, string fr) => new() { Key = key, Text = LocalizedText.Of(en, fr) };

    /// <summary>A copy that shares nothing with this item.</summary>
    public LikertItem Clone() => new() { Key = Key, Text = Text.Clone() };
}
