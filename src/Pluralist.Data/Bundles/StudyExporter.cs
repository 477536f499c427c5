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
        var scenarioIds = Copy(scenarios, s => s.Id, bundle.Scenarios, (s, id) => s.Id = id);

        var prompts = await db.Prompts.AsNoTracking().Where(p => p.StudyId == sid).OrderBy(p => p.Id).ToListAsync(ct);
        var promptIds = Renumber(prompts.Select(p => p.Id));
        Copy(prompts, p => p.Id, bundle.Prompts, (p, id) =>
        {
            p.Id = id;
            p.ParentPromptId = Map(promptIds, p.ParentPromptId);
            p.ScenarioId = Map(scenarioIds, p.ScenarioId);
        });

        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == sid).OrderBy(i => i.Id).ToListAsync(ct);
        var imageIds = Copy(images, i => i.Id, bundle.Images, (i, id) =>
        {
            i.Id = id;
            i.PromptId = promptIds[i.PromptId];
            var file = Path.GetFullPath(Path.Combine(data.ImagesPath, i.StoragePath));
            if (file.StartsWith(Path.GetFullPath(data.ImagesPath) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(file))
            {
                bundle.ImageFiles[i.Id] = file;
            }
        });

        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == sid).OrderBy(p => p.Id).ToListAsync(ct);
        var pairIds = Copy(pairs, p => p.Id, bundle.Pairs, (p, id) =>
        {
            p.Id = id;
            p.Image0Id = imageIds[p.Image0Id];
            p.Image1Id = imageIds[p.Image1Id];
            p.BatchId = Map(batches, p.BatchId);
        });

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
        var assignmentIds = Copy(assignments, a => a.Id, bundle.Assignments, (a, id) =>
        {
            a.Id = id;
            a.ParticipantId = participantIds[a.ParticipantId];
            a.PairId = pairIds[a.PairId];
            a.BatchId = Map(batches, a.BatchId);
        });

        var annotations = await db.Annotations.AsNoTracking().Include(a => a.Scores)
            .Where(a => db.Pairs.Any(p => p.Id == a.PairId && p.StudyId == sid))
            .OrderBy(a => a.Id).AsSplitQuery().ToListAsync(ct);
        Copy(annotations, a => a.Id, bundle.Annotations, (a, id) =>
        {
            a.Id = id;
            a.AssignmentId = assignmentIds[a.AssignmentId];
            a.ParticipantId = participantIds[a.ParticipantId];
            a.PairId = pairIds[a.PairId];
            a.Scores.Sort((x, y) => x.Position.CompareTo(y.Position));
        });

        var reports = await db.ImageReports.AsNoTracking()
            .Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == sid))
            .OrderBy(r => r.Id).ToListAsync(ct);
        Copy(reports, r => r.Id, bundle.Reports, (r, id) =>
        {
            r.Id = id;
            r.ImageId = imageIds[r.ImageId];
            r.ParticipantId = participantIds[r.ParticipantId];
            r.AssignmentId = Map(assignmentIds, r.AssignmentId);
        });

        var ratings = await db.LikertRatings.AsNoTracking()
            .Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == sid))
            .OrderBy(r => r.Id).ToListAsync(ct);
        Copy(ratings, r => r.Id, bundle.Ratings, (r, id) =>
        {
            r.Id = id;
            r.ParticipantId = participantIds[r.ParticipantId];
            r.ImageId = imageIds[r.ImageId];
        });

        return bundle;
    }

    /// <summary>
    /// Gives each row its bundle id (1..n in database id order) through <paramref name="rewrite"/>, which also maps
    /// the row's references, and adds it to <paramref name="into"/>; returns the database id to bundle id map.
    /// </summary>
    private static Dictionary<long, long> Copy<T>(List<T> rows, Func<T, long> id, List<T> into, Action<T, long> rewrite)
    {
        var ids = Renumber(rows.Select(id));
        foreach (var row in rows)
        {
            rewrite(row, ids[id(row)]);
            into.Add(row);
        }

        return ids;
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
