using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Data;

/// <summary>A study with the sizes of what it holds.</summary>
public sealed record StudySummary(long Id, string Key, string Title, int Criteria, int Batches, int Prompts, int Images, int Pairs, int Participants, int Annotations);

/// <summary>Queries and commands on studies.</summary>
public static class StudyStore
{
    /// <summary>Creates the default LIVS study if no study has its key; returns it either way, with criteria, batches and consent documents.</summary>
    public static async Task<Study> EnsureDefaultStudyAsync(PluralistDbContext db, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var existing = await FindAsync(db, Defaults.StudyKey, ct);
        if (existing is not null)
        {
            return existing;
        }

        var study = Defaults.LivsStudy(now);
        db.Studies.Add(study);
        try
        {
            await db.SaveChangesAsync(ct);
            return study;
        }
        catch (DbUpdateException error)
        {
            // Another process created it between our look and our insert: use theirs.
            db.ChangeTracker.Clear();
            return await FindAsync(db, Defaults.StudyKey, ct)
                ?? throw new InvalidOperationException($"Study '{Defaults.StudyKey}' could not be created.", error);
        }
    }

    /// <summary>Every study with its counts, by id.</summary>
    public static async Task<IReadOnlyList<StudySummary>> ListAsync(PluralistDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var rows = await db.Studies.AsNoTracking().OrderBy(s => s.Id).Select(s => new
        {
            s.Id,
            s.Key,
            s.Title,
            Criteria = db.Criteria.Count(c => c.StudyId == s.Id),
            Batches = db.Batches.Count(b => b.StudyId == s.Id),
            Prompts = db.Prompts.Count(p => p.StudyId == s.Id),
            Images = db.Images.Count(i => i.StudyId == s.Id),
            Pairs = db.Pairs.Count(p => p.StudyId == s.Id),
            Participants = db.Participants.Count(p => p.StudyId == s.Id),
            Annotations = db.Annotations.Count(a => db.Pairs.Any(p => p.Id == a.PairId && p.StudyId == s.Id)),
        }).ToListAsync(ct);
        return rows.Select(r => new StudySummary(r.Id, r.Key, r.Title.Get("en"), r.Criteria, r.Batches, r.Prompts, r.Images, r.Pairs, r.Participants, r.Annotations)).ToList();
    }

    /// <summary>The study with this key (or, failing that, this numeric id), with its criteria (in position order), batches and consent documents.</summary>
    public static async Task<Study?> FindAsync(PluralistDbContext db, string keyOrId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyOrId);
        var query = db.Studies.Include(s => s.Criteria).Include(s => s.Batches).Include(s => s.ConsentDocuments).AsSplitQuery();
        var study = await query.FirstOrDefaultAsync(s => s.Key == keyOrId, ct);
        if (study is null && long.TryParse(keyOrId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            study = await query.FirstOrDefaultAsync(s => s.Id == id, ct);
        }

        if (study is not null)
        {
            study.Criteria.Sort((a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Id.CompareTo(b.Id));
            study.Batches.Sort((a, b) => a.Id.CompareTo(b.Id));
            study.ConsentDocuments.Sort((a, b) => a.Id.CompareTo(b.Id));
        }

        return study;
    }
}
