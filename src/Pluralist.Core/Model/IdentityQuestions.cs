using System.Globalization;
using Pluralist.Core.Text;

namespace Pluralist.Core.Model;

/// <summary>How an identity question is answered.</summary>
public enum IdentityQuestionKind
{
    /// <summary>One of the options; stored as the option's code.</summary>
    SingleChoice = 0,

    /// <summary>Any of the options; stored as their codes joined by <c>;</c> in option order.</summary>
    MultipleChoice = 1,

    /// <summary>Free text (at most <see cref="IdentityQuestion.MaxLength"/> characters), coded into groups by the coding table.</summary>
    FreeText = 2,

    /// <summary>A year (for example a year of birth); stored as digits.</summary>
    Year = 3,

    /// <summary>A number (for example an age in years); stored in invariant form.</summary>
    Number = 4,
}

/// <summary>One option of a choice question: the code stored and analysed, and its label per language.</summary>
public sealed class IdentityOption
{
    /// <summary>Stable code (<c>woman</c>, <c>18-24</c>): what answers, quotas and analyses refer to.</summary>
    public string Code { get; set; } = "";

    public LocalizedText Label { get; set; } = new();

    public static IdentityOption Of(string code, string en, string fr) => new() { Code = code, Label = LocalizedText.Of(en, fr) };

    public IdentityOption Clone() => new() { Code = Code, Label = Label.Clone() };
}

/// <summary>
/// A band of a year or number question: answers in [<see cref="Min"/>, <see cref="Max"/>] (either end open
/// when null) belong to the group <see cref="Code"/>.
/// </summary>
public sealed class NumberBand
{
    public string Code { get; set; } = "";

    public double? Min { get; set; }

    public double? Max { get; set; }

    public static NumberBand Of(string code, double? min, double? max) => new() { Code = code, Min = min, Max = max };

    public bool Contains(double value) => (Min is null || value >= Min) && (Max is null || value <= Max);

    public NumberBand Clone() => new() { Code = Code, Min = Min, Max = Max };

    /// <summary>
    /// Reads a range written as a code (<c>18-24</c>, <c>75+</c>, <c>-17</c>): the convention the presets' age
    /// options follow, used to answer a choice question from a number. False for any other text.
    /// </summary>
    public static bool TryParseRange(string text, out NumberBand band)
    {
        band = new NumberBand { Code = text ?? "" };
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var t = text.Trim().Replace('–', '-');
        if (t.EndsWith('+') && double.TryParse(t[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            band.Min = from;
            return true;
        }

        var dash = t.IndexOf('-', 1);
        if (t.StartsWith('-') && double.TryParse(t[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var upTo))
        {
            band.Max = upTo;
            return true;
        }

        if (dash > 0 &&
            double.TryParse(t[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var lo) &&
            double.TryParse(t[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var hi) && lo <= hi)
        {
            band.Min = lo;
            band.Max = hi;
            return true;
        }

        return false;
    }
}

/// <summary>
/// A researcher-defined identity question: its wording, how it is answered, its own consent text and how
/// answers become analysis groups (<see cref="IdentityGroupCoder"/>). Answers are optional and consented one
/// question at a time.
/// </summary>
public sealed class IdentityQuestion
{
    /// <summary>The largest free-text answer accepted, in characters.</summary>
    public const int MaxLength = 200;

    /// <summary>Stable key (<c>age-band</c>): what answers, consents, quotas and exports refer to.</summary>
    public string Key { get; set; } = "";

    /// <summary>The question as asked.</summary>
    public LocalizedText Text { get; set; } = new();

    public IdentityQuestionKind Kind { get; set; } = IdentityQuestionKind.FreeText;

    /// <summary>The options of a choice question, in the order shown.</summary>
    public List<IdentityOption> Options { get; set; } = [];

    /// <summary>Whether "prefer not to say" is offered (an answer that places the participant in no group).</summary>
    public bool PreferNotToSay { get; set; } = true;

    /// <summary>What the participant agrees to by ticking this question's consent box.</summary>
    public LocalizedText Consent { get; set; } = new();

    /// <summary>Smallest value accepted for a year or number question; null: no bound.</summary>
    public double? Min { get; set; }

    /// <summary>Largest value accepted for a year or number question; null: no bound.</summary>
    public double? Max { get; set; }

    /// <summary>Groups of a year or number question; empty: each value is its own group.</summary>
    public List<NumberBand> Bands { get; set; } = [];

    public bool IsChoice => Kind is IdentityQuestionKind.SingleChoice or IdentityQuestionKind.MultipleChoice;

    public bool IsNumeric => Kind is IdentityQuestionKind.Year or IdentityQuestionKind.Number;

    /// <summary>The option with this code (case-insensitive), or null.</summary>
    public IdentityOption? Option(string code) =>
        Options.FirstOrDefault(o => string.Equals(o.Code, code, StringComparison.OrdinalIgnoreCase));

    /// <summary>The group codes this question can give (options or bands); empty when any answer makes its own group.</summary>
    public IReadOnlyList<string> GroupCodes() =>
        Kind == IdentityQuestionKind.SingleChoice ? [.. Options.Select(o => o.Code)]
        : IsNumeric ? [.. Bands.Select(b => b.Code)]
        : [];

    /// <summary>A free-text question asking <paramref name="key"/>: what an unknown key resolves to, so no lookup fails.</summary>
    public static IdentityQuestion FreeText(string key) => new()
    {
        Key = key,
        Text = LocalizedText.Of(key, key),
        Kind = IdentityQuestionKind.FreeText,
        Consent = IdentityPresets.DefaultConsent(),
    };

    /// <summary>A copy that shares nothing with this question.</summary>
    public IdentityQuestion Clone() => new()
    {
        Key = Key,
        Text = Text.Clone(),
        Kind = Kind,
        Options = [.. Options.Select(o => o.Clone())],
        PreferNotToSay = PreferNotToSay,
        Consent = Consent.Clone(),
        Min = Min,
        Max = Max,
        Bands = [.. Bands.Select(b => b.Clone())],
    };
}

/// <summary>
/// One row of a study's coding table: a free-text (or out-of-options) answer to a question, normalised
/// (<see cref="IdentityCodingTable.Normalize"/>), and the group code a researcher gave it, with who and when.
/// </summary>
public sealed class IdentityCoding
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public string QuestionKey { get; set; } = "";

    /// <summary>The answer text as normalised by <see cref="IdentityCodingTable.Normalize"/>.</summary>
    public string Answer { get; set; } = "";

    /// <summary>The analysis group the answer counts in.</summary>
    public string Code { get; set; } = "";

    /// <summary>Who coded it (staff pseudonym, or <c>cli</c>).</summary>
    public string CodedBy { get; set; } = "";

    public DateTimeOffset CodedAt { get; set; }

    public IdentityCoding Clone() => new()
    {
        Id = Id,
        StudyId = StudyId,
        QuestionKey = QuestionKey,
        Answer = Answer,
        Code = Code,
        CodedBy = CodedBy,
        CodedAt = CodedAt,
    };
}

/// <summary>A study's coding table, looked up by question and normalised answer.</summary>
public sealed class IdentityCodingTable
{
    private readonly Dictionary<(string Question, string Answer), string> _codes = [];

    public IdentityCodingTable()
    {
    }

    public IdentityCodingTable(IEnumerable<IdentityCoding> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var r in rows)
        {
            _codes[(r.QuestionKey, Normalize(r.Answer))] = r.Code;
        }
    }

    public static IdentityCodingTable Empty { get; } = new();

    public int Count => _codes.Count;

    /// <summary>The code given to this answer of this question, or null.</summary>
    public string? Find(string questionKey, string answer) =>
        _codes.TryGetValue((questionKey, Normalize(answer)), out var code) ? code : null;

    /// <summary>Trimmed, inner runs of white space made one space, lower case (invariant): "  Non  Binary" → "non binary".</summary>
    public static string Normalize(string? answer) => FoldedText.Fold(answer);
}
