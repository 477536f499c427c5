using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Core.Privacy;
using Pluralist.Data;
using Pluralist.Data.Datasets;

namespace Pluralist.Studies.Console.Monitoring;

/// <summary>Computes <see cref="StudyProgressReport"/> from the stored answers.</summary>
public static class StudyProgress
{
    public static async Task<StudyProgressReport> ComputeAsync(PluralistDbContext db, Study study, long? batchId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        var dataset = await StudyDatasetLoader.LoadAsync(db, study.Key, ct);
        var rows = dataset.Rows.Where(r => batchId is null || r.BatchId == batchId).ToList();
        var annotations = rows.GroupBy(r => r.AnnotationId).Select(g => g.ToList()).ToList();
        var pseudonyms = await db.Participants.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.Pseudonym, ct);

        var criteria = study.Criteria.Select(c =>
        {
            var shown = rows.Where(r => r.Criterion == c.Key).ToList();
            var answered = shown.Count(r => r.ScoreAsShown is not null);
            var neutral = shown.Count(r => r.ScoreAsShown == 0);
            return new CriterionProgress(c.Key, c.Name.Get("en"), shown.Count, answered, neutral, Share(neutral, answered));
        }).ToList();

        var checks = annotations.Where(a => a[0].PairKind == PairKind.AttentionCheck && a[0].ExpectedPreference is not null).ToList();
        var people = annotations.GroupBy(a => a[0].ParticipantId).Select(g =>
        {
            var mine = g.SelectMany(a => a).ToList();
            var myChecks = g.Where(a => a[0].PairKind == PairKind.AttentionCheck && a[0].ExpectedPreference is not null).ToList();
            return new ParticipantProgress(
                pseudonyms.GetValueOrDefault(g.Key, g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)), g.Count(),
                Share(mine.Count(r => r.ScoreAsShown == 0), mine.Count(r => r.ScoreAsShown is not null)),
                Median(g.Select(Seconds)), myChecks.Count, myChecks.Count(FailedCheck), g.Max(a => a[0].SubmittedAt));
        }).OrderBy(p => p.Participant, StringComparer.Ordinal).ToList();

        // Identity groups: consented markers only. Members are the people with answers in the rows chosen (the
        // whole study or one batch): a group with fewer than the minimum there is never shown.
        var groups = new List<GroupProgress>();
        var suppressed = new List<SuppressedGroups>();
        var participantIds = annotations.Select(a => a[0].ParticipantId).Distinct().ToList();
        foreach (var marker in study.IdentityMarkers)
        {
            var of = await StudyDatasetLoader.ConsentedGroupsAsync(db, participantIds, [marker], ct);
            var small = new List<int>();
            foreach (var g in of.GroupBy(kv => kv.Value, kv => kv.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var members = g.ToHashSet();
                if (!MinimumGroupSize.MayShow(members.Count, study.MinGroupSize))
                {
                    small.Add(members.Count);
                    continue;
                }

                var mine = rows.Where(r => members.Contains(r.ParticipantId)).ToList();
                groups.Add(new GroupProgress(marker, g.Key, members.Count, mine.Select(r => r.AnnotationId).Distinct().Count(),
                    Share(mine.Count(r => r.ScoreAsShown == 0), mine.Count(r => r.ScoreAsShown is not null))));
            }

            if (small.Count > 0)
            {
                suppressed.Add(new SuppressedGroups(marker, small.Count, small.Sum()));
            }
        }

        var reports = (await db.ImageReports.AsNoTracking().Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == study.Id)).Select(r => r.ImageId).ToListAsync(ct))
            .GroupBy(i => i).Select(g => new ReportedImage(g.Key, g.Count())).OrderByDescending(r => r.Reports).ThenBy(r => r.ImageId).ToList();

        return new StudyProgressReport(
            study.Key, batchId, annotations.Count, people.Count,
            Share(rows.Count(r => r.ScoreAsShown == 0), rows.Count(r => r.ScoreAsShown is not null)),
            Median(annotations.Select(Seconds)), checks.Count, checks.Count(FailedCheck), study.MinGroupSize,
            criteria,
            annotations.GroupBy(a => DateOnly.FromDateTime(a[0].SubmittedAt.UtcDateTime)).OrderBy(g => g.Key).Select(g => new DayProgress(g.Key, g.Count())).ToList(),
            people, groups, suppressed, reports, await OverlapAsync(db, study, batchId, rows, ct));
    }

    private static async Task<OverlapProgress> OverlapAsync(PluralistDbContext db, Study study, long? batchId, List<CleaningRow> rows, CancellationToken ct)
    {
        var pairs = await db.Pairs.AsNoTracking()
            .Where(p => p.StudyId == study.Id && (p.Kind == PairKind.Annotation || p.Kind == PairKind.Evaluation) && (batchId == null || p.BatchId == batchId || p.BatchId == null))
            .Select(p => p.Id).ToListAsync(ct);
        var raters = rows.GroupBy(r => r.PairId).ToDictionary(g => g.Key, g => g.Select(r => r.ParticipantId).Distinct().Count());
        var counts = pairs.Select(id => raters.GetValueOrDefault(id)).ToList();
        var batches = study.Batches.Where(b => batchId is null || b.Id == batchId).ToList();
        var target = batches.Count == 0 ? Batch.DefaultOverlap : batches.Max(b => b.Overlap);
        var distribution = counts.Count == 0 ? [] : Enumerable.Range(0, counts.Max() + 1).Select(n => new RatersPerPair(n, counts.Count(c => c == n))).ToList();
        return new OverlapProgress(target, counts.Count, counts.Count(c => c >= target), counts.Count(c => c >= 2), distribution);
    }

    /// <summary>
    /// An attention check fails when at most half of its criteria lean the way the expected
    /// preference does (neutral and unanswered count as not leaning): the definition of the
    /// attention-check cleaning rule (docs/cleaning.md).
    /// </summary>
    public static bool FailedCheck(IReadOnlyList<CleaningRow> annotation)
    {
        ArgumentNullException.ThrowIfNull(annotation);
        var expected = Math.Sign(annotation[0].ExpectedPreference ?? 0);
        var matching = annotation.Count(r => r.Preference is { } p && Math.Sign(p) == expected && expected != 0);
        return matching * 2 <= annotation.Count;
    }

    private static double? Seconds(IReadOnlyList<CleaningRow> annotation) =>
        (annotation[0].ClientMs ?? annotation[0].ServerMs) is { } ms ? ms / 1000.0 : null;

    private static double? Share(int part, int whole) => whole == 0 ? null : (double)part / whole;

    private static double? Median(IEnumerable<double?> values)
    {
        var v = values.OfType<double>().Order().ToList();
        if (v.Count == 0)
        {
            return null;
        }

        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
    }
}
