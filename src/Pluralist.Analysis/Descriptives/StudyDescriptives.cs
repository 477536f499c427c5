using Pluralist.Core.Cleaning;

namespace Pluralist.Analysis.Descriptives;

/// <summary>
/// Answers of one slice (a criterion, participant, batch, prompt source or group): shown and
/// answered criteria, neutral (exact 0) answers, and the mean and sample variance (n − 1) of the
/// oriented preference (−1 = image_0 strongly preferred).
/// </summary>
public sealed record AnswerSummary(string Key, int Shown, int Answered, int Neutral, int Participants, int Annotations, double Mean, double Variance)
{
    /// <summary>Neutral answers over answered ones (NaN when nothing was answered).</summary>
    public double NeutralShare => Answered == 0 ? double.NaN : (double)Neutral / Answered;

    /// <summary>Shown criteria left unanswered over shown ones.</summary>
    public double UnansweredShare => Shown == 0 ? double.NaN : (double)(Shown - Answered) / Shown;
}

/// <summary>One bin of a slider histogram: values as shown in [Lower, Upper) (the last bin includes 1); exact zeros have their own bin with Lower = Upper = 0.</summary>
public sealed record SliderBin(string Criterion, double Lower, double Upper, int Count);

/// <summary>Descriptive statistics of a study's slider answers (LIVS figure 4 and appendix I).</summary>
public sealed record StudyDescriptives(
    AnswerSummary Overall,
    IReadOnlyList<AnswerSummary> PerCriterion,
    IReadOnlyList<SliderBin> SliderHistogram,
    IReadOnlyList<AnswerSummary> PerParticipant,
    IReadOnlyList<AnswerSummary> PerBatch,
    IReadOnlyList<AnswerSummary> PerPromptSource,
    IReadOnlyList<AnswerSummary> PerGroup,
    int GroupsSuppressed);

/// <summary>Computes <see cref="StudyDescriptives"/> from cleaning rows (one row per shown criterion).</summary>
public static class Descriptives
{
    /// <summary>Width of a histogram bin on the slider (20 bins over [−1, 1], plus one for exact zeros).</summary>
    public const double BinWidth = 0.1;

    /// <param name="rows">The answers (usually the rows a cleaning run kept).</param>
    /// <param name="participantName">Label of a participant in the per-participant table (a pseudonym); default the id.</param>
    /// <param name="promptSource">Source of a prompt (<c>human</c>, <c>llm1</c>, ...); null leaves the prompt out of that table.</param>
    /// <param name="groups">Consented group of each participant; absent = none.</param>
    /// <param name="minGroupSize">Groups with fewer participants are not shown; only their number is reported.</param>
    public static StudyDescriptives Compute(
        IReadOnlyList<CleaningRow> rows,
        Func<long, string>? participantName = null,
        Func<long, string?>? promptSource = null,
        IReadOnlyDictionary<long, string>? groups = null,
        int minGroupSize = 5)
    {
        ArgumentNullException.ThrowIfNull(rows);
        participantName ??= id => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var perGroup = new List<AnswerSummary>();
        var suppressed = 0;
        if (groups is not null)
        {
            foreach (var g in rows.Where(r => groups.ContainsKey(r.ParticipantId)).GroupBy(r => groups[r.ParticipantId], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var s = Summarize(g.Key, g.ToList());
                if (s.Participants >= minGroupSize)
                {
                    perGroup.Add(s);
                }
                else
                {
                    suppressed++;
                }
            }
        }

        return new StudyDescriptives(
            Summarize("all", rows),
            Slices(rows, r => r.Criterion),
            Histogram(rows),
            rows.GroupBy(r => r.ParticipantId).OrderBy(g => g.Key).Select(g => Summarize(participantName(g.Key), g.ToList())).ToList(),
            rows.GroupBy(r => r.BatchId).OrderBy(g => g.Key ?? long.MaxValue)
                .Select(g => Summarize(g.Key is { } b ? b.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none", g.ToList())).ToList(),
            promptSource is null ? [] : Slices(rows.Where(r => promptSource(r.PromptId) is not null).ToList(), r => promptSource(r.PromptId)!),
            perGroup,
            suppressed);
    }

    /// <summary>Counts, neutral share, mean and sample variance of one slice.</summary>
    public static AnswerSummary Summarize(string key, IReadOnlyList<CleaningRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int answered = 0, neutral = 0;
        double sum = 0;
        foreach (var r in rows)
        {
            if (r.Preference is { } p)
            {
                answered++;
                sum += p;
                neutral += p == 0 ? 1 : 0;
            }
        }

        var mean = answered == 0 ? double.NaN : sum / answered;
        double ss = 0;
        foreach (var r in rows)
        {
            if (r.Preference is { } p)
            {
                ss += (p - mean) * (p - mean);
            }
        }

        return new AnswerSummary(
            key, rows.Count, answered, neutral,
            rows.Select(r => r.ParticipantId).Distinct().Count(),
            rows.Select(r => r.AnnotationId).Distinct().Count(),
            mean,
            answered < 2 ? double.NaN : ss / (answered - 1));
    }

    private static List<AnswerSummary> Slices(IReadOnlyList<CleaningRow> rows, Func<CleaningRow, string> key) =>
        rows.GroupBy(key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Summarize(g.Key, g.ToList())).ToList();

    // Values as shown (left/right), so that a side bias is visible; exact zeros (neutral) are their own bin.
    private static List<SliderBin> Histogram(IReadOnlyList<CleaningRow> rows)
    {
        var bins = (int)Math.Round(2 / BinWidth);
        var result = new List<SliderBin>();
        foreach (var g in rows.Where(r => r.ScoreAsShown is not null).GroupBy(r => r.Criterion, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var counts = new int[bins];
            var zeros = 0;
            foreach (var r in g)
            {
                var v = r.ScoreAsShown!.Value;
                if (v == 0)
                {
                    zeros++;
                    continue;
                }

                counts[Math.Clamp((int)Math.Floor((v + 1) / BinWidth), 0, bins - 1)]++;
            }

            for (var b = 0; b < bins; b++)
            {
                var lower = Math.Round(-1 + (b * BinWidth), 10);
                result.Add(new SliderBin(g.Key, lower, Math.Round(lower + BinWidth, 10), counts[b]));
                if (b == (bins / 2) - 1)
                {
                    result.Add(new SliderBin(g.Key, 0, 0, zeros));
                }
            }
        }

        return result;
    }
}
