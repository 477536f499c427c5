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
        var existing = await FindByKeyAsync(db, Defaults.StudyKey, ct);
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
            return await FindByKeyAsync(db, Defaults.StudyKey, ct)
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

    /// <summary>The study with this id, with its criteria (in position order), batches and consent documents. Participant paths use this: they hold an id.</summary>
    public static Task<Study?> FindByIdAsync(PluralistDbContext db, long id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return LoadAsync(db, s => s.Id == id, ct);
    }

    /// <summary>The study with this key (an older all-digit key included), with its criteria, batches and consent documents.</summary>
    public static Task<Study?> FindByKeyAsync(PluralistDbContext db, string key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return LoadAsync(db, s => s.Key == key, ct);
    }

    /// <summary>
    /// The study a reference typed by staff names (<see cref="StudyKeys.ParseReference"/>): <c>id:N</c> or all
    /// digits by id, <c>key:K</c> or anything else by key. A bare number that is also the key of an older
    /// study (all-digit keys were accepted before schema version 6) is refused as ambiguous.
    /// </summary>
    /// <exception cref="ArgumentException">The reference is malformed or ambiguous.</exception>
    public static async Task<Study?> FindAsync(PluralistDbContext db, string reference, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var parsed = StudyKeys.ParseReference(reference)
            ?? throw new ArgumentException($"'{reference}' is not a study reference: give a study key, a study id, id:N or key:K");
        if (parsed.Key is { } key)
        {
            return await FindByKeyAsync(db, key, ct);
        }

        var id = parsed.Id!.Value;
        if (!parsed.Explicit && await db.Studies.AsNoTracking().Where(s => s.Key == reference.Trim() && s.Id != id).Select(s => (long?)s.Id).FirstOrDefaultAsync(ct) is { } other)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"'{reference.Trim()}' is ambiguous: it is a study id, and the all-digit key of the study with id {other}; write id:{id} or key:{reference.Trim()}"));
        }

        return await FindByIdAsync(db, id, ct);
    }

    /// <summary>The study with this id, as <see cref="FindByIdAsync"/> gives it, but tracked by no context (<see cref="StudyCache"/> keeps it).</summary>
    public static Task<Study?> LoadUntrackedAsync(PluralistDbContext db, long id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return LoadAsync(db, s => s.Id == id, ct, tracked: false);
    }

    private static async Task<Study?> LoadAsync(PluralistDbContext db, System.Linq.Expressions.Expression<Func<Study, bool>> where, CancellationToken ct, bool tracked = true)
    {
        var studies = tracked ? db.Studies : db.Studies.AsNoTracking();
        var study = await studies.Include(s => s.Criteria).Include(s => s.Batches).Include(s => s.ConsentDocuments).AsSplitQuery()
            .FirstOrDefaultAsync(where, ct);
        if (study is not null)
        {
            study.Criteria.Sort((a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Id.CompareTo(b.Id));
            study.Batches.Sort((a, b) => a.Id.CompareTo(b.Id));
            study.ConsentDocuments.Sort((a, b) => a.Id.CompareTo(b.Id));
        }

        return study;
    }
}
