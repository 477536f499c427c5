using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Pluralist.Core.Model;

namespace Pluralist.Data.Bundles;

// The labeling platform's field conventions: slugs, PostgreSQL intervals and timestamps, prompt methods and pair types.
public static partial class AipithetReader
{
    /// <summary>Lower-case ASCII letters and digits joined by '-' ("Invitingness / Convivialité" → invitingness-convivialite).</summary>
    public static string Slug(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark && sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        var slug = sb.ToString().Trim('-');
        return slug.Length > 64 ? slug[..64].TrimEnd('-') : slug;
    }

    /// <summary>
    /// PostgreSQL interval text in milliseconds: the default style (<c>00:00:12.345</c>,
    /// <c>1 day 02:03:04</c>, <c>3 mins 2.5 secs</c> in the verbose style) or ISO 8601 (<c>PT12.345S</c>).
    /// Months and years are refused: their length in milliseconds is not defined.
    /// </summary>
    public static bool TryParseInterval(string text, out long milliseconds)
    {
        ArgumentNullException.ThrowIfNull(text);
        milliseconds = 0;
        var s = text.Trim().Trim('"').Trim();
        if (s.StartsWith('@'))
        {
            s = s[1..].Trim();
        }

        if (s.Length == 0)
        {
            return false;
        }

        var iso = IsoInterval().Match(s);
        if (iso.Success)
        {
            double total = 0;
            total += Group(iso, "d") * 86_400_000;
            total += Group(iso, "h") * 3_600_000;
            total += Group(iso, "m") * 60_000;
            total += Group(iso, "s") * 1000;
            milliseconds = (long)Math.Round(total);
            return true;
        }

        var m = PostgresInterval().Match(s);
        if (!m.Success)
        {
            return false;
        }

        double ms = 0;
        foreach (Capture part in m.Groups["part"].Captures)
        {
            var pieces = part.Value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var n = double.Parse(pieces[0], CultureInfo.InvariantCulture);
            ms += pieces[1].ToUpperInvariant() switch
            {
                "DAY" or "DAYS" => n * 86_400_000,
                "HOUR" or "HOURS" => n * 3_600_000,
                "MIN" or "MINS" or "MINUTE" or "MINUTES" => n * 60_000,
                "SEC" or "SECS" or "SECOND" or "SECONDS" => n * 1000,
                _ => double.NaN,
            };
        }

        if (m.Groups["time"].Success)
        {
            var sign = m.Groups["sign"].Value == "-" ? -1 : 1;
            ms += sign * ((double.Parse(m.Groups["hh"].Value, CultureInfo.InvariantCulture) * 3600 +
                           double.Parse(m.Groups["mm"].Value, CultureInfo.InvariantCulture) * 60 +
                           double.Parse(m.Groups["ss"].Value, CultureInfo.InvariantCulture)) * 1000);
        }

        if (double.IsNaN(ms) || ms < 0 || ms > int.MaxValue)
        {
            return false;
        }

        milliseconds = (long)Math.Round(ms);
        return true;
    }

    private static double Group(Match m, string name) =>
        m.Groups[name].Success ? double.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^P(?:(?<d>\d+(?:\.\d+)?)D)?(?:T(?:(?<h>\d+(?:\.\d+)?)H)?(?:(?<m>\d+(?:\.\d+)?)M)?(?:(?<s>\d+(?:\.\d+)?)S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoInterval();

    [GeneratedRegex(@"^(?<part>\s*-?\d+(?:\.\d+)?\s+(?:days?|hours?|mins?|minutes?|secs?|seconds?)\s*)*(?<time>(?<sign>-)?(?<hh>\d+):(?<mm>\d{2}):(?<ss>\d{2}(?:\.\d+)?))?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex PostgresInterval();

    // Empty for an answer row that was created but never answered (the platform's schema allows it).
    private static int? Interval(TableRow r, string column)
    {
        if (r.OptionalString(column) is not { } s)
        {
            return null;
        }

        if (TryParseInterval(s, out var ms))
        {
            return (int)ms;
        }

        r.Error(column, $"'{s}' is not a PostgreSQL interval of days, hours, minutes and seconds (00:00:12.345, 1 day 02:03:04, PT12S)");
        return null;
    }

    // ISO 8601 as JavaScript writes it, or PostgreSQL's text form ("2024-03-01 10:15:00.123+00").
    private static DateTimeOffset? Date(TableRow r, string column)
    {
        var s = r.OptionalString(column)?.Trim().Trim('"');
        if (s is null)
        {
            if (column != "answeredAt")
            {
                r.Error(column, "a value is required");
            }

            return null;
        }

        if (ShortOffset().IsMatch(s))
        {
            s += ":00";
        }

        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d))
        {
            return d;
        }

        r.Error(column, $"'{s}' is not a date and time (ISO 8601 or PostgreSQL's timestamptz text)");
        return null;
    }

    [GeneratedRegex(@"[+-]\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex ShortOffset();

    // Prompt methods of the platform mapped to Pluralist's prompt sources (docs/formats.md).
    private static PromptSource PromptMethod(TableRow r)
    {
        var raw = r.OptionalString("method");
        var m = Slug(raw ?? string.Empty).Replace("-", string.Empty, StringComparison.Ordinal);
        switch (m)
        {
            case "" or "human" or "workshop" or "manual" or "participant": return PromptSource.Human;
            case "scenario": return PromptSource.Scenario;
            case "llm1" or "fewshot": return PromptSource.Llm1;
            case "llm2": return PromptSource.Llm2;
            case "llm3": return PromptSource.Llm3;
            case "template": return PromptSource.Template;
            default:
                r.Error("method", $"'{raw}' is not a known prompt method (human, workshop, scenario, llm-1, llm-2, llm-3, few-shot, template)");
                return PromptSource.Human;
        }
    }

    private static PairKind PairType(TableRow r)
    {
        var raw = r.OptionalString("type");
        switch (Slug(raw ?? string.Empty).Replace("-", string.Empty, StringComparison.Ordinal))
        {
            case "" or "annotation" or "standard" or "normal" or "labeling": return PairKind.Annotation;
            case "evaluation" or "eval" or "ab": return PairKind.Evaluation;
            case "attention" or "attentioncheck" or "check": return PairKind.AttentionCheck;
            case "gold": return PairKind.Gold;
            default:
                r.Error("type", $"'{raw}' is not a known pair type (annotation, evaluation, attention-check, gold)");
                return PairKind.Annotation;
        }
    }
}
