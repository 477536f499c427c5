using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;

namespace Pluralist.Studies.Raters;

/// <summary>
/// <c>pluralist raters export</c>: a synthetic run's answers as CSV in long form (one row per criterion or question),
/// every row flagged <c>synthetic=true</c> with the model, so that no one mistakes them for people's answers
/// (docs/formats.md, "Synthetic answers").
/// </summary>
public static class RaterExport
{
    public static readonly string[] Columns =
    [
        "synthetic", "study", "run", "model", "endpoint", "persona", "persona_markers", "pair_id", "image_0_id", "image_1_id", "image_id",
        "criterion", "position", "score", "preference", "image_0_on_left", "status", "error", "from_cache", "answered_at",
    ];

    /// <summary>Writes the run's answers; returns the number of data rows.</summary>
    public static async Task<int> WriteAsync(PluralistDbContext db, string studyKey, string runName, TextWriter writer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(writer);
        var study = await StudyLookup.FindStudyAsync(db, studyKey, ct).ConfigureAwait(false);
        var run = await db.SyntheticRuns.AsNoTracking().FirstOrDefaultAsync(r => r.StudyId == study.Id && r.Name == runName, ct).ConfigureAwait(false)
            ?? throw new StudyInputException($"--run: study '{study.Key}' has no synthetic run '{runName}'.");
        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, ct).ConfigureAwait(false);
        var answers = await db.SyntheticAnswers.AsNoTracking().Where(x => x.RunId == run.Id).OrderBy(x => x.Id).ToListAsync(ct).ConfigureAwait(false);
        var csv = new CsvWriter(writer);
        csv.WriteRow(Columns);
        int rows = 0;
        foreach (var x in answers)
        {
            var pair = x.PairId is { } pid ? pairs.GetValueOrDefault(pid) : null;
            for (int i = 0; i < x.CriteriaShown.Count; i++)
            {
                double? score = x.Status == SyntheticStatus.Ok && i < x.Scores.Count ? x.Scores[i] : null;
                double? preference = score is { } s && x.Image0OnLeft is { } left ? RaterComparison.Oriented(s, left) : null;
                csv.WriteRow(
                    "true", study.Key, run.Name, run.Model, run.Endpoint, x.PersonaKey, x.Persona.Count == 0 ? "" : JsonSerializer.Serialize(x.Persona),
                    Id(pair?.Id), Id(pair?.Image0Id), Id(pair?.Image1Id), Id(x.ImageId),
                    x.CriteriaShown[i], i.ToString(CultureInfo.InvariantCulture), score is { } v ? CsvWriter.Format(v) : "", preference is { } p ? CsvWriter.Format(p) : "",
                    x.Image0OnLeft is { } b ? (b ? "true" : "false") : "", x.Status.ToString().ToLowerInvariant(), x.Error ?? "", x.FromCache ? "true" : "false",
                    x.AnsweredAt.ToString("O", CultureInfo.InvariantCulture));
                rows++;
            }
        }

        return rows;
    }

    private static string Id(long? id) => id?.ToString(CultureInfo.InvariantCulture) ?? "";
}
