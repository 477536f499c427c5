using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Data.Bundles;

/// <summary>
/// Reads one study from the database into a <see cref="StudyBundle"/> with bundle-local ids (1..n per
/// table, in database id order), keeping only identity markers their participant consented to.
/// </summary>
public static class StudyExporter
{
    public static async Task<StudyBundle> LoadAsync(PluralistDbContext db, DataDirectory data, string studyKeyOrId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        var stored = await StudyStore.FindAsync(db, studyKeyOrId, ct)
            ?? throw new ArgumentException($"no study with key or id '{studyKeyOrId}'");
        var sid = stored.Id;

        var study = new Study
        {
            Key = stored.Key,
            Title = stored.Title.Clone(),
            Description = stored.Description.Clone(),
            CreatedAt = stored.CreatedAt,
        };
        study.CopySettingsFrom(stored);
        study.Criteria.AddRange(stored.Criteria.Select(c => new Criterion
        {
            Key = c.Key,
            Name = c.Name.Clone(),
            Definition = c.Definition.Clone(),
            Position = c.Position,
            Retired = c.Retired,
        }));
        var batches = Renumber(stored.Batches.Select(b => b.Id));
        study.Batches.AddRange(stored.Batches.Select(b => new Batch
        {
            Id = batches[b.Id],
            Name = b.Name,
            OpensAt = b.OpensAt,
            ClosesAt = b.ClosesAt,
            QuotaPerParticipant = b.QuotaPerParticipant,
            SessionCap = b.SessionCap,
            BreakMinutes = b.BreakMinutes,
            Distribution = b.Distribution,
            Overlap = b.Overlap,
        }));
        study.ConsentDocuments.AddRange(stored.ConsentDocuments.Select(d => new ConsentDocument
        {
            Version = d.Version,
            Language = d.Language,
            Text = d.Text,
            PublishedAt = d.PublishedAt,
        }));

        var bundle = new StudyBundle(study);
        var scenarios = await db.Scenarios.AsNoTracking().Where(s => s.StudyId == sid).OrderBy(s => s.Id).ToListAsync(ct);
        var scenarioIds = Renumber(scenarios.Select(s => s.Id));
        foreach (var s in scenarios)
        {
            s.Id = scenarioIds[s.Id];
            bundle.Scenarios.Add(s);
        }

        var prompts = await db.Prompts.AsNoTracking().Where(p => p.StudyId == sid).OrderBy(p => p.Id).ToListAsync(ct);
        var promptIds = Renumber(prompts.Select(p => p.Id));
        foreach (var p in prompts)
        {
            p.Id = promptIds[p.Id];
            p.ParentPromptId = Map(promptIds, p.ParentPromptId);
            p.ScenarioId = Map(scenarioIds, p.ScenarioId);
            bundle.Prompts.Add(p);
        }

        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == sid).OrderBy(i => i.Id).ToListAsync(ct);
        var imageIds = Renumber(images.Select(i => i.Id));
        foreach (var i in images)
        {
            i.Id = imageIds[i.Id];
            i.PromptId = promptIds[i.PromptId];
            var file = Path.GetFullPath(Path.Combine(data.ImagesPath, i.StoragePath));
            if (file.StartsWith(Path.GetFullPath(data.ImagesPath) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(file))
            {
                bundle.ImageFiles[i.Id] = file;
            }

            bundle.Images.Add(i);
        }

        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == sid).OrderBy(p => p.Id).ToListAsync(ct);
        var pairIds = Renumber(pairs.Select(p => p.Id));
        foreach (var p in pairs)
        {
            p.Id = pairIds[p.Id];
            p.Image0Id = imageIds[p.Image0Id];
            p.Image1Id = imageIds[p.Image1Id];
            p.BatchId = Map(batches, p.BatchId);
            bundle.Pairs.Add(p);
        }

        var participants = await db.Participants.AsNoTracking().Where(p => p.StudyId == sid).OrderBy(p => p.Id).ToListAsync(ct);
        var participantIds = Renumber(participants.Select(p => p.Id));
        var withdrawn = participants.Where(p => p.WithdrawnAt is not null).Select(p => p.Id).ToHashSet();
        foreach (var p in participants)
        {
            // Pseudonymous export: no email, no password hash, no role beyond participant.
            bundle.Participants.Add(new Participant
            {
                Id = participantIds[p.Id],
                Pseudonym = p.Pseudonym,
                PreferredLanguage = p.PreferredLanguage,
                CreatedAt = p.CreatedAt,
                WithdrawnAt = p.WithdrawnAt,
            });
        }

        var consents = await db.ConsentRecords.AsNoTracking()
            .Where(c => db.Participants.Any(p => p.Id == c.ParticipantId && p.StudyId == sid))
            .OrderBy(c => c.Id).ToListAsync(ct);
        var answers = await db.IdentityAnswers.AsNoTracking()
            .Where(a => db.Participants.Any(p => p.Id == a.ParticipantId && p.StudyId == sid))
            .OrderBy(a => a.Id).ToListAsync(ct);
        foreach (var a in answers)
        {
            // Only markers the study offers, the participant consented to in their latest consent, and not withdrawn.
            var latest = consents.Where(c => c.ParticipantId == a.ParticipantId && c.WithdrawnAt is null).MaxBy(c => c.ConsentedAt);
            if (withdrawn.Contains(a.ParticipantId) || !study.IdentityMarkers.Contains(a.Marker) ||
                latest is null || !latest.MarkerConsents.TryGetValue(a.Marker, out var ok) || !ok)
            {
                continue;
            }

            a.Id = 0;
            a.ParticipantId = participantIds[a.ParticipantId];
            bundle.IdentityAnswers.Add(a);
        }

        // The coding table travels only for answers the bundle itself carries (a coded answer is no export of an
        // unconsented one), and without the staff pseudonym that coded it, as staff never appear in a bundle.
        var exported = bundle.IdentityAnswers.Where(a => !a.PreferNotToSay && a.Value is not null)
            .SelectMany(a => a.Value!.Split(IdentityGroupCoder.StoredSeparator).Append(a.Value).Select(v => (a.Marker, Answer: IdentityCodingTable.Normalize(v))))
            .ToHashSet();
        bundle.IdentityCodings.AddRange((await IdentityCodingStore.ListAsync(db, sid, ct))
            .Where(c => exported.Contains((c.QuestionKey, c.Answer)))
            .Select(c => new IdentityCoding { QuestionKey = c.QuestionKey, Answer = c.Answer, Code = c.Code, CodedAt = c.CodedAt }));

        foreach (var c in consents)
        {
            c.Id = 0;
            c.ParticipantId = participantIds[c.ParticipantId];
            bundle.Consents.Add(c);
        }

        var assignments = await db.Assignments.AsNoTracking()
            .Where(a => db.Pairs.Any(p => p.Id == a.PairId && p.StudyId == sid))
            .OrderBy(a => a.Id).ToListAsync(ct);
        var assignmentIds = Renumber(assignments.Select(a => a.Id));
        foreach (var a in assignments)
        {
            a.Id = assignmentIds[a.Id];
            a.ParticipantId = participantIds[a.ParticipantId];
            a.PairId = pairIds[a.PairId];
            a.BatchId = Map(batches, a.BatchId);
            bundle.Assignments.Add(a);
        }

        var annotations = await db.Annotations.AsNoTracking().Include(a => a.Scores)
            .Where(a => db.Pairs.Any(p => p.Id == a.PairId && p.StudyId == sid))
            .OrderBy(a => a.Id).AsSplitQuery().ToListAsync(ct);
        var annotationIds = Renumber(annotations.Select(a => a.Id));
        foreach (var a in annotations)
        {
            a.Id = annotationIds[a.Id];
            a.AssignmentId = assignmentIds[a.AssignmentId];
            a.ParticipantId = participantIds[a.ParticipantId];
            a.PairId = pairIds[a.PairId];
            a.Scores.Sort((x, y) => x.Position.CompareTo(y.Position));
            bundle.Annotations.Add(a);
        }

        var reports = await db.ImageReports.AsNoTracking()
            .Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == sid))
            .OrderBy(r => r.Id).ToListAsync(ct);
        var reportIds = Renumber(reports.Select(r => r.Id));
        foreach (var r in reports)
        {
            r.Id = reportIds[r.Id];
            r.ImageId = imageIds[r.ImageId];
            r.ParticipantId = participantIds[r.ParticipantId];
            r.AssignmentId = Map(assignmentIds, r.AssignmentId);
            bundle.Reports.Add(r);
        }

        var ratings = await db.LikertRatings.AsNoTracking()
            .Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == sid))
            .OrderBy(r => r.Id).ToListAsync(ct);
        var ratingIds = Renumber(ratings.Select(r => r.Id));
        foreach (var r in ratings)
        {
            r.Id = ratingIds[r.Id];
            r.ParticipantId = participantIds[r.ParticipantId];
            r.ImageId = imageIds[r.ImageId];
            bundle.Ratings.Add(r);
        }

        return bundle;
    }

    private static Dictionary<long, long> Renumber(IEnumerable<long> ids)
    {
        var map = new Dictionary<long, long>();
        foreach (var id in ids.Order())
        {
            map[id] = map.Count + 1;
        }

        return map;
    }

    private static long? Map(Dictionary<long, long> map, long? id) => id is { } v && map.TryGetValue(v, out var m) ? m : null;
}
