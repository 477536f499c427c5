using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;

namespace Pluralist.Data.Datasets;

/// <summary>A study's answers as cleaning rows, with its captions and consented groups.</summary>
public sealed record StudyDataset(
    Study Study,
    IReadOnlyList<CleaningRow> Rows,
    IReadOnlyDictionary<long, string> Captions,
    IReadOnlyDictionary<long, string> ImagePaths)
{
    /// <summary>Generator name of each image (<see cref="Image.Generator"/>), where recorded.</summary>
    public IReadOnlyDictionary<long, string> ImageGenerators { get; init; } = new Dictionary<long, string>();
}

/// <summary>Builds cleaning rows and consented identity groups from the database.</summary>
public static class StudyDatasetLoader
{
    /// <summary>Loads one row per shown-criterion answer of the study's assignments.</summary>
    public static async Task<StudyDataset> LoadAsync(PluralistDbContext db, string studyKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var study = await db.Studies.AsNoTracking().SingleOrDefaultAsync(s => s.Key == studyKey, ct)
            ?? throw new ArgumentException($"no study with key '{studyKey}'", nameof(studyKey));
        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, ct);
        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, ct);
        var prompts = await db.Prompts.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.Text, ct);
        var batches = await db.Batches.AsNoTracking().Where(b => b.StudyId == study.Id).ToDictionaryAsync(b => b.Id, ct);
        var imageIds = images.Keys.ToList();
        var reports = (await db.ImageReports.AsNoTracking().Where(r => imageIds.Contains(r.ImageId)).Select(r => r.ImageId).ToListAsync(ct))
            .GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        // Joins on the study's pairs rather than id lists: a study holds tens of thousands of annotations.
        var studyPairs = db.Pairs.Where(p => p.StudyId == study.Id);
        var assignments = await db.Assignments.AsNoTracking().Join(studyPairs, a => a.PairId, p => p.Id, (a, p) => a).ToDictionaryAsync(a => a.Id, ct);
        var annotations = await db.Annotations.AsNoTracking().Join(studyPairs, a => a.PairId, p => p.Id, (a, p) => a).ToListAsync(ct);
        var scores = (await db.AnnotationScores.AsNoTracking()
                .Join(db.Annotations.Join(studyPairs, a => a.PairId, p => p.Id, (a, p) => a), s => s.AnnotationId, a => a.Id, (s, a) => s)
                .ToListAsync(ct))
            .ToLookup(s => s.AnnotationId);
        var participantIds = annotations.Select(a => a.ParticipantId).Distinct().ToList();
        var withdrawn = await db.Participants.AsNoTracking().Where(p => participantIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.WithdrawnAt, ct);

        var rows = new List<CleaningRow>();
        foreach (var a in annotations.OrderBy(a => a.Id))
        {
            var pair = pairs[a.PairId];
            var assignment = assignments[a.AssignmentId];
            var batch = assignment.BatchId is { } b && batches.TryGetValue(b, out var found) ? found : null;
            var image0 = images[pair.Image0Id];
            foreach (var s in scores[a.Id].OrderBy(s => s.Position))
            {
                rows.Add(new CleaningRow
                {
                    AnswerId = s.Id,
                    AnnotationId = a.Id,
                    AssignmentId = a.AssignmentId,
                    ParticipantId = a.ParticipantId,
                    BatchId = assignment.BatchId,
                    PairId = pair.Id,
                    PromptId = image0.PromptId,
                    Image0Id = pair.Image0Id,
                    Image1Id = pair.Image1Id,
                    PairKind = pair.Kind,
                    ExpectedPreference = pair.ExpectedPreference,
                    Criterion = s.CriterionKey,
                    Position = s.Position,
                    ScoreAsShown = s.Score,
                    Image0OnLeft = assignment.Image0OnLeft,
                    ClientMs = a.ClientDurationMs,
                    ServerMs = a.ServerDurationMs,
                    SubmittedAt = a.SubmittedAt,
                    ClientRequestId = a.ClientRequestId,
                    ImageFlags = image0.Flags | images[pair.Image1Id].Flags,
                    ImageReports = reports.GetValueOrDefault(pair.Image0Id) + reports.GetValueOrDefault(pair.Image1Id),
                    BatchOpensAt = batch?.OpensAt,
                    BatchClosesAt = batch?.ClosesAt,
                    WithdrawnAt = withdrawn.GetValueOrDefault(a.ParticipantId),
                    WithdrawalPolicy = study.WithdrawalPolicy,
                });
            }
        }

        return new StudyDataset(study, rows, prompts, images.ToDictionary(kv => kv.Key, kv => kv.Value.StoragePath))
        {
            ImageGenerators = images.Where(kv => kv.Value.Generator.Length > 0).ToDictionary(kv => kv.Key, kv => kv.Value.Generator),
        };
    }

    /// <summary>
    /// The consented group of each participant for the given markers: each answer coded into its analysis group
    /// (<see cref="IdentityGroupCoder"/>, with the participant's study's questions and coding table), the codes
    /// joined with "/". A marker counts only if the participant's latest unwithdrawn consent record consents to it,
    /// the participant has not withdrawn, and the answer has a group (not "prefer not to say", not empty, not outside
    /// every band); participants missing any marker get no group.
    /// </summary>
    public static async Task<Dictionary<long, string>> ConsentedGroupsAsync(PluralistDbContext db, IReadOnlyCollection<long> participantIds, IReadOnlyList<string> markers, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(markers);
        var ids = participantIds.ToList();
        var people = await db.Participants.AsNoTracking().Where(p => ids.Contains(p.Id) && p.WithdrawnAt == null).Select(p => new { p.Id, p.StudyId }).ToListAsync(ct);
        var studyOf = people.ToDictionary(p => p.Id, p => p.StudyId);
        var studyIds = people.Where(p => p.StudyId != null).Select(p => p.StudyId!.Value).Distinct().ToList();
        var studies = await db.Studies.AsNoTracking().Where(s => studyIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        var tables = (await db.IdentityCodings.AsNoTracking().Where(c => studyIds.Contains(c.StudyId)).ToListAsync(ct))
            .GroupBy(c => c.StudyId).ToDictionary(g => g.Key, g => new IdentityCodingTable(g));
        var noStudy = new Study();
        var consents = (await db.ConsentRecords.AsNoTracking().Where(c => ids.Contains(c.ParticipantId) && c.WithdrawnAt == null).ToListAsync(ct))
            .GroupBy(c => c.ParticipantId).ToDictionary(g => g.Key, g => g.OrderByDescending(c => c.ConsentedAt).First());
        var answers = (await db.IdentityAnswers.AsNoTracking().Where(a => ids.Contains(a.ParticipantId)).ToListAsync(ct)).ToLookup(a => a.ParticipantId);
        var result = new Dictionary<long, string>();
        foreach (var p in ids.Where(studyOf.ContainsKey))
        {
            if (!consents.TryGetValue(p, out var consent))
            {
                continue;
            }

            var sid = studyOf[p];
            var study = sid is { } s1 && studies.TryGetValue(s1, out var found) ? found : noStudy;
            var table = sid is { } s2 ? tables.GetValueOrDefault(s2) : null;
            var values = new List<string>();
            foreach (var m in markers)
            {
                var answer = answers[p].Where(a => a.Marker == m).OrderByDescending(a => a.AnsweredAt).FirstOrDefault();
                if (!consent.MarkerConsents.GetValueOrDefault(m) || IdentityGroupCoder.Code(study.QuestionFor(m), answer, table) is not { } code)
                {
                    break;
                }

                values.Add(code);
            }

            if (values.Count == markers.Count && markers.Count > 0)
            {
                result[p] = string.Join("/", values);
            }
        }

        return result;
    }
}

/// <summary>Small reads of a study's provenance used by reports and exports.</summary>
public static class StudyProvenance
{
    /// <summary>The source of each prompt of the study (<c>human</c>, <c>llm1</c>, ...), by prompt id.</summary>
    public static async Task<Dictionary<long, string>> PromptSourcesAsync(PluralistDbContext db, long studyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var prompts = await db.Prompts.AsNoTracking().Where(p => p.StudyId == studyId).Select(p => new { p.Id, p.Source }).ToListAsync(ct);
        return prompts.ToDictionary(p => p.Id, p => p.Source.ToToken());
    }

    /// <summary>
    /// Each participant's consented group per marker, coded as <see cref="StudyDatasetLoader.ConsentedGroupsAsync"/> codes it (one axis at a time, so a participant who
    /// consented to one marker but not another keeps the one). Unconsented, unanswered and
    /// "prefer not to say" markers are absent, as are withdrawn participants.
    /// </summary>
    public static async Task<Dictionary<long, Dictionary<string, string>>> ConsentedMarkersAsync(PluralistDbContext db, IReadOnlyCollection<long> participantIds, IReadOnlyList<string> markers, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(markers);
        var result = new Dictionary<long, Dictionary<string, string>>();
        foreach (var m in markers)
        {
            foreach (var (p, value) in await StudyDatasetLoader.ConsentedGroupsAsync(db, participantIds, [m], ct))
            {
                if (!result.TryGetValue(p, out var d))
                {
                    result[p] = d = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                d[m] = value;
            }
        }

        return result;
    }

    /// <summary>Pseudonym of each participant.</summary>
    public static async Task<Dictionary<long, string>> PseudonymsAsync(PluralistDbContext db, IReadOnlyCollection<long> participantIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var ids = participantIds.ToList();
        return await db.Participants.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Pseudonym, ct);
    }
}
