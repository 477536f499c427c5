using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Participation;

/// <summary>
/// What the participant use cases share: the database of the request, the clock, and the few reads and locks
/// several of them need (the participant, their study, their own assignment, a remembered request id).
/// </summary>
public sealed class ParticipationStore(PluralistDbContext db, TimeProvider clock)
{
    // A write that lost a race on a unique index (a concurrent first answer, a concurrent retry) runs again and then sees the winner.
    private const int WriteAttempts = 4;

    public PluralistDbContext Db => db;

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>The participant, unless they withdrew.</summary>
    public Task<Participant?> FindParticipantAsync(long id, CancellationToken ct) =>
        db.Participants.FirstOrDefaultAsync(p => p.Id == id && p.WithdrawnAt == null, ct);

    public async Task<Study?> StudyOfAsync(Participant participant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        if (participant.StudyId is not { } id)
        {
            return null;
        }

        // By id, never by key: a key is not an id, and an older all-digit key must not stand for another study.
        return await StudyStore.FindByIdAsync(db, id, ct);
    }

    /// <summary>The participant's consent that is not withdrawn, the latest one.</summary>
    public Task<ConsentRecord?> CurrentConsentAsync(long participantId, CancellationToken ct) =>
        db.ConsentRecords.Where(c => c.ParticipantId == participantId && c.WithdrawnAt == null)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);

    /// <summary>The participant's own assignment, or null (also when it is someone else's).</summary>
    public Task<Assignment?> OwnAssignmentAsync(long participantId, long assignmentId, CancellationToken ct) =>
        db.Assignments.AsNoTracking().FirstOrDefaultAsync(a => a.Id == assignmentId && a.ParticipantId == participantId, ct);

    /// <summary>The open batch of the study, if any (the earliest-closing one when several are open).</summary>
    public static Batch? OpenBatch(Study study, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(study);
        return study.Batches.Where(b => b.IsOpen(now)).OrderBy(b => b.ClosesAt).FirstOrDefault();
    }

    /// <summary>Whether answers to this batch are accepted now.</summary>
    public static bool IsBatchOpen(Study study, long? batchId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(study);
        return batchId is { } id && study.Batches.Any(b => b.Id == id && b.IsOpen(now));
    }

    /// <summary>The pairs the batch may draw from, in id order, with how often each was assigned.</summary>
    public async Task<List<PairCandidate>> PairCandidatesAsync(Study study, Batch batch, CancellationToken ct)
    {
        var pairs = await db.Pairs.AsNoTracking()
            .Where(p => p.StudyId == study.Id && (p.BatchId == batch.Id || p.BatchId == null))
            .OrderBy(p => p.Id)
            .Select(p => new { p.Id, p.Kind, Times = db.Assignments.Count(a => a.PairId == p.Id) })
            .ToListAsync(ct);
        return pairs.Select((p, i) => new PairCandidate(p.Id, p.Kind, p.Times, i)).ToList();
    }

    /// <summary>The pairs the participant was already given.</summary>
    public async Task<HashSet<long>> SeenPairsAsync(long participantId, CancellationToken ct) =>
        (await db.Assignments.Where(a => a.ParticipantId == participantId).Select(a => a.PairId).ToListAsync(ct)).ToHashSet();

    /// <summary>Runs one write, again after a lost race on a unique index, with a cleared change tracker.</summary>
    public async Task<T> WithRetriesAsync<T>(Func<Task<T>> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (DbUpdateException) when (attempt < WriteAttempts)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    public Task<AppliedRequest?> FindAppliedAsync(long participantId, AnswerKind kind, string requestId, CancellationToken ct) =>
        db.AppliedRequests.AsNoTracking()
            .FirstOrDefaultAsync(r => r.ParticipantId == participantId && r.Kind == kind && r.ClientRequestId == requestId, ct);

    /// <summary>
    /// Inside the caller's transaction: whether the participant has not withdrawn, held until commit.
    /// PostgreSQL: a key-share lock on their row (the lock the answer's foreign keys take anyway), which
    /// a withdrawal (it locks the row for update first) waits for, and which waits for a withdrawal in
    /// progress and then sees it. SQLite: the transaction already holds the database's write lock.
    /// </summary>
    public async Task<bool> HoldCurrentParticipantAsync(long participantId, CancellationToken ct)
    {
        if (db.Provider == DatabaseProvider.Postgres)
        {
            var rows = await db.Database
                .SqlQuery<long>($"SELECT id AS \"Value\" FROM participants WHERE id = {participantId} AND withdrawn_at IS NULL FOR KEY SHARE")
                .ToListAsync(ct);
            return rows.Count > 0;
        }

        return await db.Participants.AnyAsync(p => p.Id == participantId && p.WithdrawnAt == null, ct);
    }
}
