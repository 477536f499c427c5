using System.Globalization;

namespace Pluralist.Core.Model;

/// <summary>
/// The one coding of identity answers into analysis groups, used by quotas, progress, analysis, exports
/// and the simulation, so that a participant is in the same group everywhere.
/// </summary>
public static class IdentityGroupCoder
{
    /// <summary>Separator of the option codes in a stored multiple-choice answer (<c>en;fr</c>).</summary>
    public const char StoredSeparator = ';';

    /// <summary>Joins the option codes of a multiple-choice answer into one group code (<c>en&amp;fr</c>).</summary>
    public const char GroupJoiner = '&';

    /// <summary>
    /// The analysis group of a stored answer, or null when it places the participant in no group ("prefer not
    /// to say", empty, a number outside every band). In order: an entry of the coding table for the answer;
    /// a choice answer's option (matched by code or by label in any language, ignoring case); a number's band
    /// (or the number itself when the question has no bands); otherwise the trimmed answer text, so an answer
    /// stored before the question had options, or an uncoded free-text answer, keeps its own group.
    /// </summary>
    public static string? Code(IdentityQuestion question, string? value, bool preferNotToSay, IdentityCodingTable? table = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (preferNotToSay || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        if (table?.Find(question.Key, text) is { } coded)
        {
            return coded;
        }

        switch (question.Kind)
        {
            case IdentityQuestionKind.SingleChoice:
                return MatchOption(question, text)?.Code ?? text;
            case IdentityQuestionKind.MultipleChoice:
                var codes = text.Split(StoredSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(part => MatchOption(question, part)?.Code ?? table?.Find(question.Key, part) ?? part)
                    .Distinct(StringComparer.OrdinalIgnoreCase)
                    .OrderBy(c => question.Options.FindIndex(o => o.Code == c) is var i && i >= 0 ? i : int.MaxValue)
                    .ThenBy(c => c, StringComparer.Ordinal)
                    .ToList();
                return codes.Count == 0 ? null : string.Join(GroupJoiner, codes);
            case IdentityQuestionKind.Year:
            case IdentityQuestionKind.Number:
                if (!TryNumber(text, out var number))
                {
                    return text;
                }

                if (question.Bands.Count == 0)
                {
                    return number.ToString("R", CultureInfo.InvariantCulture);
                }

                return question.Bands.FirstOrDefault(b => b.Contains(number))?.Code;
            default:
                return text;
        }
    }

    /// <summary>The group of a stored answer (null answer: no group).</summary>
    public static string? Code(IdentityQuestion question, IdentityAnswer? answer, IdentityCodingTable? table = null) =>
        answer is null ? null : Code(question, answer.Value, answer.PreferNotToSay, table);

    /// <summary>The group of a stored answer to one of the study's questions (resolved by <see cref="Study.QuestionFor"/>).</summary>
    public static string? Code(Study study, IdentityAnswer answer, IdentityCodingTable? table = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(answer);
        return Code(study.QuestionFor(answer.Marker), answer, table);
    }

    /// <summary>
    /// The answer to store for someone whose value is <paramref name="number"/> (an age, for instance): the number
    /// for a number question, <paramref name="referenceYear"/> minus it for a year question, the option whose code
    /// is a range holding it for a choice question (<see cref="NumberBand.TryParseRange"/>); null when none fits.
    /// Used by the simulation so that simulated answers are coded like real ones.
    /// </summary>
    public static string? AnswerFromNumber(IdentityQuestion question, int number, int referenceYear)
    {
        ArgumentNullException.ThrowIfNull(question);
        return question.Kind switch
        {
            IdentityQuestionKind.Number => number.ToString(CultureInfo.InvariantCulture),
            IdentityQuestionKind.Year => (referenceYear - number).ToString(CultureInfo.InvariantCulture),
            IdentityQuestionKind.SingleChoice or IdentityQuestionKind.MultipleChoice =>
                question.Options.FirstOrDefault(o => NumberBand.TryParseRange(o.Code, out var band) && band.Contains(number))?.Code,
            _ => null,
        };
    }

    public static IdentityOption? MatchOption(IdentityQuestion question, string text)
    {
        var t = text.Trim();
        return question.Option(t) ?? question.Options.FirstOrDefault(o =>
            o.Label.Any(kv => string.Equals(kv.Value.Trim(), t, StringComparison.OrdinalIgnoreCase)));
    }

    internal static bool TryNumber(string text, out double number) =>
        double.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number) &&
        double.IsFinite(number);
}

/// <summary>A problem with an identity answer or question definition, located by question key and field.</summary>
public sealed record IdentityProblem(string QuestionKey, string Field, string Message)
{
    public override string ToString() => $"{QuestionKey}.{Field}: {Message}";
}

/// <summary>A checked answer: what to store (null when preferring not to say), and the problems found.</summary>
public sealed record IdentityAnswerCheck(string? Value, bool PreferNotToSay, IReadOnlyList<IdentityProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>Checks answers against their question, and question definitions against each other.</summary>
public static class IdentityValidation
{
    /// <summary>The widest range of years accepted when a year question sets no bounds.</summary>
    public const int FirstYear = 1900;

    /// <summary>
    /// Checks an answer and gives its stored form: a single choice as its option's code (a label is accepted),
    /// a multiple choice as codes in option order joined by <c>;</c>, a year as digits, a number in invariant
    /// form, free text trimmed. Field names: <c>value</c>, <c>preferNotToSay</c>.
    /// </summary>
    public static IdentityAnswerCheck CheckAnswer(IdentityQuestion question, string? value, bool preferNotToSay)
    {
        ArgumentNullException.ThrowIfNull(question);
        var problems = new List<IdentityProblem>();
        void Problem(string field, string message) => problems.Add(new IdentityProblem(question.Key, field, message));
        if (preferNotToSay)
        {
            if (!question.PreferNotToSay)
            {
                Problem("preferNotToSay", "this question does not offer 'prefer not to say'");
            }

            return new IdentityAnswerCheck(null, true, problems);
        }

        var text = value?.Trim() ?? "";
        if (text.Length == 0)
        {
            Problem("value", question.PreferNotToSay ? "give an answer or choose 'prefer not to say'" : "give an answer");
            return new IdentityAnswerCheck(null, false, problems);
        }

        string? stored = null;
        switch (question.Kind)
        {
            case IdentityQuestionKind.SingleChoice:
                stored = IdentityGroupCoder.MatchOption(question, text)?.Code;
                if (stored is null)
                {
                    Problem("value", $"'{text}' is not one of the options ({string.Join(", ", question.Options.Select(o => o.Code))})");
                }

                break;
            case IdentityQuestionKind.MultipleChoice:
                var chosen = new List<IdentityOption>();
                foreach (var part in text.Split(IdentityGroupCoder.StoredSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (IdentityGroupCoder.MatchOption(question, part) is { } option)
                    {
                        chosen.Add(option);
                    }
                    else
                    {
                        Problem("value", $"'{part}' is not one of the options ({string.Join(", ", question.Options.Select(o => o.Code))})");
                    }
                }

                stored = string.Join(IdentityGroupCoder.StoredSeparator, question.Options.Where(chosen.Contains).Select(o => o.Code));
                if (stored.Length == 0 && problems.Count == 0)
                {
                    Problem("value", "choose at least one option");
                }

                break;
            case IdentityQuestionKind.Year:
                if (text.Length != 4 || !text.All(char.IsAsciiDigit))
                {
                    Problem("value", $"'{text}' is not a year (four digits)");
                    break;
                }

                var year = int.Parse(text, CultureInfo.InvariantCulture);
                if (year < (question.Min ?? FirstYear) || (question.Max is { } maxYear && year > maxYear))
                {
                    Problem("value", $"{text} is outside {Range(question.Min ?? FirstYear, question.Max)}");
                    break;
                }

                stored = text;
                break;
            case IdentityQuestionKind.Number:
                if (!IdentityGroupCoder.TryNumber(text, out var number))
                {
                    Problem("value", $"'{text}' is not a number (digits, an optional '.' and decimals)");
                    break;
                }

                if ((question.Min is { } min && number < min) || (question.Max is { } max && number > max))
                {
                    Problem("value", $"{text} is outside {Range(question.Min, question.Max)}");
                    break;
                }

                stored = number.ToString("R", CultureInfo.InvariantCulture);
                break;
            default:
                if (text.Length > IdentityQuestion.MaxLength)
                {
                    Problem("value", $"at most {IdentityQuestion.MaxLength} characters ({text.Length} given)");
                }
                else if (text.Any(char.IsControl))
                {
                    Problem("value", "must be one line of text without control characters");
                }
                else
                {
                    stored = text;
                }

                break;
        }

        return new IdentityAnswerCheck(problems.Count == 0 ? stored : null, false, problems);
    }

    /// <summary>
    /// Problems with a list of question definitions, as (path, message); paths are relative to the list
    /// (<c>[1].options[0].code</c>), so a file reader prefixes its own location.
    /// </summary>
    public static IReadOnlyList<(string Path, string Message)> CheckQuestions(IReadOnlyList<IdentityQuestion> questions)
    {
        ArgumentNullException.ThrowIfNull(questions);
        var problems = new List<(string, string)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var at = $"[{i}]";
            if (!IsKey(q.Key))
            {
                problems.Add(($"{at}.key", $"'{q.Key}' is not a valid key (1 to 64 lower-case letters, digits and '-')"));
            }
            else if (!keys.Add(q.Key))
            {
                problems.Add(($"{at}.key", $"question '{q.Key}' is defined twice"));
            }

            if (q.Text.All(kv => string.IsNullOrWhiteSpace(kv.Value)))
            {
                problems.Add(($"{at}.text", "the question needs its wording in at least one language"));
            }

            if (q.Consent.All(kv => string.IsNullOrWhiteSpace(kv.Value)))
            {
                problems.Add(($"{at}.consent", "the question needs its consent text in at least one language"));
            }

            CheckOptions(q, at, problems);
            CheckNumbers(q, at, problems);
        }

        return problems;
    }

    /// <summary>A group code: 1 to 64 ASCII letters, digits, '-', '_', '+' or '.' (no '/', ';', '&amp;' or spaces, which join groups).</summary>
    public static bool IsCode(string? code) =>
        code is { Length: > 0 and <= 64 } && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' or '.');

    /// <summary>A question key: 1 to 64 lower-case ASCII letters, digits and '-', starting with a letter or digit.</summary>
    public static bool IsKey(string? key) =>
        key is { Length: > 0 and <= 64 } && char.IsAsciiLetterOrDigit(key[0]) &&
        key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static void CheckOptions(IdentityQuestion q, string at, List<(string, string)> problems)
    {
        if (!q.IsChoice)
        {
            if (q.Options.Count > 0)
            {
                problems.Add(($"{at}.options", $"a {q.Kind.ToToken()} question has no options"));
            }

            return;
        }

        if (q.Options.Count == 0)
        {
            problems.Add(($"{at}.options", "a choice question needs at least one option"));
        }

        var codes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var j = 0; j < q.Options.Count; j++)
        {
            var o = q.Options[j];
            if (!IsCode(o.Code))
            {
                problems.Add(($"{at}.options[{j}].code", $"'{o.Code}' is not a valid code (1 to 64 letters, digits, '-', '_', '+' or '.')"));
            }
            else if (!codes.Add(o.Code))
            {
                problems.Add(($"{at}.options[{j}].code", $"option '{o.Code}' is listed twice"));
            }

            if (o.Label.All(kv => string.IsNullOrWhiteSpace(kv.Value)))
            {
                problems.Add(($"{at}.options[{j}].label", "the option needs a label in at least one language"));
            }
        }
    }

    private static void CheckNumbers(IdentityQuestion q, string at, List<(string, string)> problems)
    {
        if (!q.IsNumeric)
        {
            if (q.Bands.Count > 0)
            {
                problems.Add(($"{at}.bands", $"a {q.Kind.ToToken()} question has no bands; bands group year and number answers"));
            }

            if (q.Min is not null || q.Max is not null)
            {
                problems.Add(($"{at}.min", $"a {q.Kind.ToToken()} question has no range; min and max bound year and number answers"));
            }

            return;
        }

        if (q.Min is { } min && q.Max is { } max && min > max)
        {
            problems.Add(($"{at}.max", $"max ({max.ToString(CultureInfo.InvariantCulture)}) is below min ({min.ToString(CultureInfo.InvariantCulture)})"));
        }

        var codes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var j = 0; j < q.Bands.Count; j++)
        {
            var b = q.Bands[j];
            if (!IsCode(b.Code))
            {
                problems.Add(($"{at}.bands[{j}].code", $"'{b.Code}' is not a valid code (1 to 64 letters, digits, '-', '_', '+' or '.')"));
            }
            else if (!codes.Add(b.Code))
            {
                problems.Add(($"{at}.bands[{j}].code", $"band '{b.Code}' is listed twice"));
            }

            if (b.Min is null && b.Max is null)
            {
                problems.Add(($"{at}.bands[{j}]", "a band needs min, max or both"));
            }
            else if (b.Min is { } lo && b.Max is { } hi && lo > hi)
            {
                problems.Add(($"{at}.bands[{j}].max", "max is below min"));
            }
            else if (q.Bands.Take(j).FirstOrDefault(o => Overlap(o, b)) is { } other)
            {
                problems.Add(($"{at}.bands[{j}]", $"band '{b.Code}' overlaps band '{other.Code}'; a value must fall in one band at most"));
            }
        }
    }

    private static bool Overlap(NumberBand a, NumberBand b) =>
        (a.Min ?? double.NegativeInfinity) <= (b.Max ?? double.PositiveInfinity) &&
        (b.Min ?? double.NegativeInfinity) <= (a.Max ?? double.PositiveInfinity);

    private static string Range(double? min, double? max) =>
        (min, max) switch
        {
            ({ } a, { } b) => $"{a.ToString(CultureInfo.InvariantCulture)}..{b.ToString(CultureInfo.InvariantCulture)}",
            ({ } a, null) => $"{a.ToString(CultureInfo.InvariantCulture)} or more",
            (null, { } b) => $"{b.ToString(CultureInfo.InvariantCulture)} or less",
            _ => "any number",
        };
}
