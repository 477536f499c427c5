using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Data;

/// <summary>
/// Studies (settings, criteria, batches, consent documents) kept in memory for the participant app, which needs its
/// participant's study on every request. Each look-up reads the study's revision, one indexed row, and loads the study
/// again only when the revision moved. The database raises the revision on every change to those rows (triggers of
/// schema version 11), whoever makes it: the console, the CLI, an import, another app instance on the same database.
/// </summary>
/// <remarks>
/// The studies handed out are shared by concurrent requests and tracked by no context: read them, never change them.
/// </remarks>
public sealed class StudyCache
{
    /// <summary>The shadow property (column <c>revision</c>) that holds a study's revision.</summary>
    public const string RevisionProperty = "Revision";

    private static readonly PerModel<Func<PluralistDbContext, long, CancellationToken, Task<long?>>> RevisionOf = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long id, CancellationToken ct) =>
            db.Studies.Where(s => s.Id == id).Select(s => (long?)EF.Property<long>(s, RevisionProperty)).FirstOrDefault()));

    private readonly ConcurrentDictionary<long, Entry> _studies = new();

    /// <summary>How many times a study was loaded from the database (not counting the revision checks).</summary>
    public long Loads => Interlocked.Read(ref _loads);

    private long _loads;

    /// <summary>The study with this id as it is now in the database, or null when there is none.</summary>
    public async Task<Study?> FindByIdAsync(PluralistDbContext db, long id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await FindAsync(db, id, await RevisionOf.For(db)(db, id, ct), ct);
    }

    /// <summary>
    /// The study with this id at <paramref name="revision"/>, a revision the caller has just read from the database (with
    /// another read: the participant app reads it with its participant), or null when it read none.
    /// </summary>
    public async Task<Study?> FindAsync(PluralistDbContext db, long id, long? revision, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (revision is null)
        {
            _studies.TryRemove(id, out _);
            return null;
        }

        if (_studies.TryGetValue(id, out var entry) && entry.Revision == revision)
        {
            return entry.Study;
        }

        // Read after the revision, so what is loaded is at least as new as the revision it is filed under: a change
        // committed in between is newer than that revision, and the next look-up loads again.
        var study = await StudyStore.LoadUntrackedAsync(db, id, ct);
        Interlocked.Increment(ref _loads);
        if (study is null)
        {
            _studies.TryRemove(id, out _);
            return null;
        }

        _studies[id] = new Entry(revision.Value, study);
        return study;
    }

    /// <summary>The revision of the study in the database, or null when there is none.</summary>
    public static Task<long?> RevisionAsync(PluralistDbContext db, long id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return RevisionOf.For(db)(db, id, ct);
    }

    private sealed record Entry(long Revision, Study Study);
}
