using System.Globalization;
using System.Net;
using System.Text;
using Pluralist.Core.Model;

namespace Pluralist.Core.Cleaning;

/// <summary>The verdict on one row: kept, or the first rule (in file order) that dropped it.</summary>
public sealed record RowVerdict(CleaningRow Row, string? DroppedBy, string? ReasonCode)
{
    public bool Kept => DroppedBy is null;
}

/// <summary>One stage (rule) of a cleaning run: rows entering, newly dropped, leaving, and all rows it matched.</summary>
public sealed record StageCount(int Stage, string Rule, string ReasonCode, IReadOnlyDictionary<string, double> Parameters, int RowsIn, int Dropped, int RowsOut, int Matched);

/// <summary>Rows in and out for one participant or criterion, with the drops per rule.</summary>
public sealed record BreakdownCount(string Key, int RowsIn, int RowsOut, IReadOnlyDictionary<string, int> DroppedByRule);

/// <summary>The report of a run; JSON-serialisable as is.</summary>
public sealed record CleaningReport(
    string RulesVersion,
    int RowsIn,
    int RowsOut,
    IReadOnlyList<StageCount> Stages,
    IReadOnlyList<BreakdownCount> PerParticipant,
    IReadOnlyList<BreakdownCount> PerCriterion);

/// <summary>The result of a cleaning run: a verdict for every row (nothing deleted) and the report.</summary>
public sealed record CleaningRun(IReadOnlyList<RowVerdict> Verdicts, CleaningReport Report)
{
    public IEnumerable<CleaningRow> KeptRows => Verdicts.Where(v => v.Kept).Select(v => v.Row);
}

/// <summary>
/// Applies an ordered rule set. Every rule is evaluated on all rows (so rates are not distorted by
/// earlier stages); a row is attributed to the first rule in order that matches it.
/// </summary>
public static class CleaningEngine
{
    public static CleaningRun Run(IReadOnlyList<CleaningRow> rows, CleaningRuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(rules);
        var dropped = new (string Rule, string Reason)?[rows.Count];
        var stages = new List<StageCount>();
        var remaining = rows.Count;
        for (var s = 0; s < rules.Rules.Count; s++)
        {
            var rule = rules.Rules[s];
            var matched = Match(rows, rule);
            var newly = 0;
            var total = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                if (!matched[i])
                {
                    continue;
                }

                total++;
                if (dropped[i] is null)
                {
                    dropped[i] = (rule.Rule, rule.ReasonCode);
                    newly++;
                }
            }

            stages.Add(new StageCount(s + 1, rule.Rule, rule.ReasonCode, rule.Parameters, remaining, newly, remaining - newly, total));
            remaining -= newly;
        }

        var verdicts = rows.Select((r, i) => new RowVerdict(r, dropped[i]?.Rule, dropped[i]?.Reason)).ToList();
        var report = new CleaningReport(
            rules.Version,
            rows.Count,
            remaining,
            stages,
            Breakdown(verdicts, v => v.Row.ParticipantId.ToString(CultureInfo.InvariantCulture), v => v.Row.ParticipantId),
            Breakdown(verdicts, v => v.Row.Criterion, v => 0));
        return new CleaningRun(verdicts, report);
    }

    /// <summary>Which rows one rule matches, independent of other rules.</summary>
    public static bool[] Match(IReadOnlyList<CleaningRow> rows, RuleConfig rule)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(rule);
        var p = rule.Parameters;
        var m = new bool[rows.Count];
        switch (rule.Rule)
        {
            case "withdrawn":
                For(rows, m, r => r.WithdrawnAt is not null && r.WithdrawalPolicy == WithdrawalPolicy.DeleteAnnotations);
                break;
            case "outside-window":
                For(rows, m, r => (r.BatchOpensAt is { } o && r.SubmittedAt < o) || (r.BatchClosesAt is { } c && r.SubmittedAt > c));
                break;
            case "flagged-image":
                For(rows, m, r => r.ImageFlags != ImageFlags.None || (p["minReports"] > 0 && r.ImageReports >= p["minReports"]));
                break;
            case "duplicate":
                Duplicates(rows, m);
                break;
            case "too-fast":
                TooFast(rows, m, p["minMsPerAnswer"], rule.Clock ?? "client");
                break;
            case "straight-line":
                StraightLine(rows, m, (int)p["minRun"], (int)p["minAnswers"], p["maxStdDev"]);
                break;
            case "all-neutral":
                foreach (var g in Indexed(rows).GroupBy(x => x.Row.Session))
                {
                    var answered = g.Where(x => x.Row.ScoreAsShown is not null).ToList();
                    if (answered.Count > 0 && answered.Count >= p["minAnswers"] && answered.All(x => x.Row.ScoreAsShown == 0))
                    {
                        foreach (var x in g)
                        {
                            m[x.Index] = true;
                        }
                    }
                }

                break;
            case "attention-check":
                CheckRate(rows, m, PairKind.AttentionCheck, p["maxFailRate"], p["minChecks"], perBatch: true);
                break;
            case "gold-disagreement":
                CheckRate(rows, m, PairKind.Gold, p["maxDisagreeRate"], p["minGold"], perBatch: false);
                break;
            case "rater-reliability":
                LowReliability(rows, m, p["minReliability"], p["minItems"], rule.Model ?? RaterModels.DawidSkene);
                break;
            default:
                throw new ArgumentException($"unknown rule '{rule.Rule}'", nameof(rule));
        }

        return m;
    }

    /// <summary>The three classes a slider answer is binned to for <see cref="DawidSkene"/>: the oriented preference's sign.</summary>
    public static readonly IReadOnlyList<string> PreferenceClasses = ["image_0", "neutral", "image_1"];

    /// <summary>The class of an oriented preference: below 0 image_0, 0 neutral, above 0 image_1.</summary>
    public static string PreferenceClass(double preference) => preference < 0 ? "image_0" : preference > 0 ? "image_1" : "neutral";

    // A rater model over the answered annotation rows (items = pair and criterion; Dawid-Skene on the preference's sign, or
    // the ordinal model on the binned slider): every row of a participant with at least minItems labels whose reliability
    // (accuracy, or a|a| / (a² + π²/3)) is below minReliability.
    private static void LowReliability(IReadOnlyList<CleaningRow> rows, bool[] m, double minReliability, double minItems, string model)
    {
        var answered = rows.Where(r => r.PairKind == PairKind.Annotation && r.Preference is not null).ToList();
        if (answered.Select(r => r.ParticipantId).Distinct().Take(2).Count() < 2)
        {
            return;
        }

        static string Item(CleaningRow r) => string.Create(CultureInfo.InvariantCulture, $"{r.PairId}/{r.Criterion}");
        static string Rater(CleaningRow r) => r.ParticipantId.ToString(CultureInfo.InvariantCulture);
        var low = new HashSet<long>();
        if (model == RaterModels.Ordinal)
        {
            if (answered.Select(r => OrdinalRaterModel.SliderCategory(r.Preference!.Value)).Distinct().Take(2).Count() < 2)
            {
                return;
            }

            var fit = OrdinalRaterModel.Fit(answered.Select(r => new OrdinalLabel(Item(r), Rater(r), OrdinalRaterModel.SliderCategory(r.Preference!.Value))));
            for (var j = 0; j < fit.Raters.Count; j++)
            {
                if (fit.RaterLabels[j] >= minItems && fit.ReliabilityAt(j) < minReliability)
                {
                    low.Add(long.Parse(fit.Raters[j], CultureInfo.InvariantCulture));
                }
            }
        }
        else
        {
            var fit = DawidSkene.Fit(answered.Select(r => new CategoricalLabel(Item(r), Rater(r), PreferenceClass(r.Preference!.Value))), PreferenceClasses);
            for (var j = 0; j < fit.Raters.Count; j++)
            {
                if (fit.RaterLabels[j] >= minItems && fit.Accuracy[j] < minReliability)
                {
                    low.Add(long.Parse(fit.Raters[j], CultureInfo.InvariantCulture));
                }
            }
        }

        For(rows, m, r => low.Contains(r.ParticipantId));
    }

    private static IEnumerable<(CleaningRow Row, int Index)> Indexed(IReadOnlyList<CleaningRow> rows) =>
        rows.Select((r, i) => (r, i));

    private static void For(IReadOnlyList<CleaningRow> rows, bool[] m, Func<CleaningRow, bool> test)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            m[i] = test(rows[i]);
        }
    }

    // A resubmission (same participant and client request id, or the same participant answering the
    // same pair and criterion again): the earliest submission is kept.
    private static void Duplicates(IReadOnlyList<CleaningRow> rows, bool[] m)
    {
        var firstAnnotation = new Dictionary<(long, string), long>();
        var firstAnswer = new HashSet<(long, long, string)>();
        foreach (var (r, i) in Indexed(rows).OrderBy(x => x.Row.SubmittedAt).ThenBy(x => x.Row.AnnotationId).ThenBy(x => x.Row.AnswerId))
        {
            if (r.ClientRequestId.Length > 0)
            {
                var key = (r.ParticipantId, r.ClientRequestId);
                if (firstAnnotation.TryGetValue(key, out var a) && a != r.AnnotationId)
                {
                    m[i] = true;
                    continue;
                }

                firstAnnotation[key] = r.AnnotationId;
            }

            if (!firstAnswer.Add((r.ParticipantId, r.PairId, r.Criterion)))
            {
                m[i] = true;
            }
        }
    }

    // Time per answer = annotation duration / number of answered criteria in that annotation.
    // Exactly the threshold passes. A missing duration on the chosen clock never matches.
    private static void TooFast(IReadOnlyList<CleaningRow> rows, bool[] m, double minMs, string clock)
    {
        foreach (var g in Indexed(rows).GroupBy(x => x.Row.AnnotationId))
        {
            var answered = Math.Max(1, g.Count(x => x.Row.ScoreAsShown is not null));
            var first = g.First().Row;
            bool Fast(int? ms) => ms is { } v && (double)v / answered < minMs;
            var fast = clock switch
            {
                "server" => Fast(first.ServerMs),
                "either" => Fast(first.ClientMs) || Fast(first.ServerMs),
                _ => Fast(first.ClientMs),
            };
            if (fast)
            {
                foreach (var x in g)
                {
                    m[x.Index] = true;
                }
            }
        }
    }

    // Per participant, answered scores in submission order: a run of at least minRun identical
    // values is matched; so is every answer of a participant with at least minAnswers answers whose
    // standard deviation is at most maxStdDev. minRun 0 or minAnswers 0 turns that half off.
    private static void StraightLine(IReadOnlyList<CleaningRow> rows, bool[] m, int minRun, int minAnswers, double maxStdDev)
    {
        foreach (var g in Indexed(rows).GroupBy(x => x.Row.ParticipantId))
        {
            var seq = g.Where(x => x.Row.ScoreAsShown is not null)
                .OrderBy(x => x.Row.SubmittedAt).ThenBy(x => x.Row.AnnotationId).ThenBy(x => x.Row.Position).ToList();
            if (minRun > 0)
            {
                var start = 0;
                for (var i = 1; i <= seq.Count; i++)
                {
                    if (i < seq.Count && seq[i].Row.ScoreAsShown == seq[start].Row.ScoreAsShown)
                    {
                        continue;
                    }

                    if (i - start >= minRun)
                    {
                        for (var k = start; k < i; k++)
                        {
                            m[seq[k].Index] = true;
                        }
                    }

                    start = i;
                }
            }

            if (minAnswers > 0 && seq.Count >= minAnswers)
            {
                var mean = seq.Average(x => x.Row.ScoreAsShown!.Value);
                var sd = Math.Sqrt(seq.Sum(x => Math.Pow(x.Row.ScoreAsShown!.Value - mean, 2)) / seq.Count);
                if (sd <= maxStdDev)
                {
                    foreach (var x in g)
                    {
                        m[x.Index] = true;
                    }
                }
            }
        }
    }

    // A check answer fails when its oriented preference does not have the expected sign (neutral and
    // unanswered fail). Checks are counted per annotation (majority of its criteria). A fail rate
    // strictly above the threshold drops the participant's batch (attention) or all their rows (gold).
    private static void CheckRate(IReadOnlyList<CleaningRow> rows, bool[] m, PairKind kind, double maxRate, double minChecks, bool perBatch)
    {
        foreach (var g in Indexed(rows).GroupBy(x => perBatch ? x.Row.Session : (x.Row.ParticipantId, 0L)))
        {
            var checks = g.Where(x => x.Row.PairKind == kind && x.Row.ExpectedPreference is { } e && e != 0)
                .GroupBy(x => x.Row.AnnotationId)
                .Select(a => a.Count(x => x.Row.Preference is { } p && Math.Sign(p) == Math.Sign(x.Row.ExpectedPreference!.Value)) * 2 <= a.Count())
                .ToList();
            if (checks.Count == 0 || checks.Count < minChecks)
            {
                continue;
            }

            var rate = checks.Count(f => f) / (double)checks.Count;
            if (rate > maxRate)
            {
                foreach (var x in g)
                {
                    m[x.Index] = true;
                }
            }
        }
    }

    private static List<BreakdownCount> Breakdown(List<RowVerdict> verdicts, Func<RowVerdict, string> key, Func<RowVerdict, long> order) =>
        verdicts.GroupBy(key).OrderBy(g => order(g.First())).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new BreakdownCount(
                g.Key,
                g.Count(),
                g.Count(v => v.Kept),
                g.Where(v => !v.Kept).GroupBy(v => v.DroppedBy!).OrderBy(x => x.Key, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Count())))
            .ToList();
}

/// <summary>Renders a cleaning report as a plain, accessible HTML page (tables with captions and header scopes).</summary>
public static class CleaningReportHtml
{
    public static string Render(CleaningReport report, string title)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        var t = WebUtility.HtmlEncode(title);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(t).Append("</title>")
          .Append("<style>body{font-family:sans-serif;max-width:60em;margin:1em auto}table{border-collapse:collapse}td,th{border:1px solid #555;padding:.2em .5em}td{text-align:right}</style></head><body>\n")
          .Append("<h1>").Append(t).Append("</h1>\n")
          .Append(CultureInfo.InvariantCulture, $"<p>Rules version <code>{WebUtility.HtmlEncode(report.RulesVersion)}</code>: {report.RowsIn:N0} rows in, {report.RowsOut:N0} rows out ({report.RowsIn - report.RowsOut:N0} dropped).</p>\n");
        sb.Append("<table><caption>Rows per stage (a row is counted at the first rule that drops it)</caption><thead><tr>")
          .Append("<th scope=\"col\">Stage</th><th scope=\"col\">Rule</th><th scope=\"col\">Reason</th><th scope=\"col\">Parameters</th><th scope=\"col\">Rows in</th><th scope=\"col\">Dropped</th><th scope=\"col\">Rows out</th><th scope=\"col\">Matched (incl. earlier drops)</th></tr></thead><tbody>\n");
        foreach (var s in report.Stages)
        {
            var ps = string.Join(", ", s.Parameters.Select(kv => kv.Key + "=" + kv.Value.ToString(CultureInfo.InvariantCulture)));
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{s.Stage}</td><th scope=\"row\">{WebUtility.HtmlEncode(s.Rule)}</th><td>{WebUtility.HtmlEncode(s.ReasonCode)}</td><td>{WebUtility.HtmlEncode(ps)}</td><td>{s.RowsIn}</td><td>{s.Dropped}</td><td>{s.RowsOut}</td><td>{s.Matched}</td></tr>\n");
        }

        sb.Append("</tbody></table>\n");
        Table(sb, "Per criterion", "Criterion", report.PerCriterion);
        Table(sb, "Per participant", "Participant", report.PerParticipant);
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string caption, string keyName, IReadOnlyList<BreakdownCount> rows)
    {
        sb.Append("<table><caption>").Append(caption).Append("</caption><thead><tr><th scope=\"col\">").Append(keyName)
          .Append("</th><th scope=\"col\">Rows in</th><th scope=\"col\">Rows out</th><th scope=\"col\">Dropped by rule</th></tr></thead><tbody>\n");
        foreach (var b in rows)
        {
            var d = string.Join(", ", b.DroppedByRule.Select(kv => $"{kv.Key}: {kv.Value}"));
            sb.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{WebUtility.HtmlEncode(b.Key)}</th><td>{b.RowsIn}</td><td>{b.RowsOut}</td><td>{WebUtility.HtmlEncode(d)}</td></tr>\n");
        }

        sb.Append("</tbody></table>\n");
    }
}
