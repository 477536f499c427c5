using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Participation;

/// <summary>
/// What the participant use cases share: the database of the request, the clock, and the few reads and locks
/// several of them need (the participant, their study, their own assignment, a remembered request id).
/// </summary>
public sealed class ParticipationStore(PluralistDbContext db, TimeProvider clock, StudyCache? studies = null, PreparedReads? reads = null)
{
    // A write that lost a race on a unique index (a concurrent first answer, a concurrent retry) runs again and then sees the winner.
    private const int WriteAttempts = 4;

    // The reads every GET /task and answer makes, compiled once (EF otherwise funcletizes the expression and looks up
    // its compiled form on every call: a quarter of an answer's server CPU in the issue 24 profile).
    private static readonly PerModel<Func<PluralistDbContext, long, CancellationToken, Task<Participant?>>> CurrentParticipant = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long id, CancellationToken ct) =>
            db.Participants.FirstOrDefault(p => p.Id == id && p.WithdrawnAt == null)));

    // The three reads every participant request starts with (the participant, their study's revision, whether they hold a
    // consent) as one statement: each read has a fixed cost (a pooled connection, a prepared statement, EF's query pipeline).
    // Plain SQL (PreparedReads): on SQLite a statement kept prepared; the columns are the participant's in the model.
    private static readonly ReadQuery CallerSql = new(
        "SELECT p.id, p.study_id, p.pseudonym, p.email, p.password_hash, p.preferred_language, p.role, p.created_at, p.withdrawn_at, "
        + "(SELECT s.revision FROM studies s WHERE s.id = p.study_id), "
        + "EXISTS (SELECT 1 FROM consent_records c WHERE c.participant_id = p.id AND c.withdrawn_at IS NULL) "
        + "FROM participants p WHERE p.id = @p0 AND p.withdrawn_at IS NULL",
        1);

    // The participant's own assignment (untracked): every answer reads it.
    private static readonly ReadQuery OwnAssignmentSql = new(
        "SELECT id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at, overlap_slot "
        + "FROM assignments WHERE id = @p0 AND participant_id = @p1",
        2);

    private static readonly PerModel<Func<PluralistDbContext, long, CancellationToken, Task<bool>>> IsCurrent = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long id, CancellationToken ct) =>
            db.Participants.Any(p => p.Id == id && p.WithdrawnAt == null)));

    private static readonly PerModel<Func<PluralistDbContext, long, CancellationToken, Task<ConsentRecord?>>> LatestConsent = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long participantId, CancellationToken ct) =>
            db.ConsentRecords.Where(c => c.ParticipantId == participantId && c.WithdrawnAt == null).OrderByDescending(c => c.Id).FirstOrDefault()));

    private static readonly PerModel<Func<PluralistDbContext, long, IAsyncEnumerable<long>>> PairsOf = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long participantId) =>
            db.Assignments.Where(a => a.ParticipantId == participantId).Select(a => a.PairId)));

    private static readonly PerModel<Func<PluralistDbContext, long, IAsyncEnumerable<int>>> PlacesOf = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long pairId) =>
            db.Assignments.Where(a => a.PairId == pairId && a.OverlapSlot != null).Select(a => a.OverlapSlot!.Value)));

    private static readonly PerModel<Func<PluralistDbContext, long, AnswerKind, string, CancellationToken, Task<AppliedRequest?>>> Applied = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long participantId, AnswerKind kind, string requestId, CancellationToken ct) =>
            db.AppliedRequests.AsNoTracking().FirstOrDefault(r => r.ParticipantId == participantId && r.Kind == kind && r.ClientRequestId == requestId)));

    // An answer's checks inside the writer's transaction on SQLite (where the transaction already holds the write lock, so
    // nothing needs locking): whether the participant is current, the request id applied before, and whether the
    // assignment has an answer, in one statement.
    private static readonly PerModel<Func<PluralistDbContext, long, AnswerKind, string, long, CancellationToken, Task<AnswerCheckRow?>>> AnswerCheck = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long participantId, AnswerKind kind, string requestId, long assignmentId, CancellationToken ct) =>
            db.Participants.Where(p => p.Id == participantId && p.WithdrawnAt == null)
                .Select(p => new AnswerCheckRow(
                    db.AppliedRequests.Any(r => r.ParticipantId == participantId && r.Kind == kind && r.ClientRequestId == requestId),
                    db.AppliedRequests.Where(r => r.ParticipantId == participantId && r.Kind == kind && r.ClientRequestId == requestId).Select(r => r.AssignmentId).FirstOrDefault(),
                    db.Annotations.Any(n => n.AssignmentId == assignmentId)))
                .FirstOrDefault()));

    public PluralistDbContext Db => db;

    /// <summary>The SQLite group-commit writer's prepared statements, on <see cref="Db"/>'s connection (null outside the writer).</summary>
    public PreparedWrites? Prepared { get; init; }

    /// <summary>The app's prepared SQLite reads (null: each read on the context's connection, as in tests and the CLI).</summary>
    public PreparedReads? Reads => reads;

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>The participant, unless they withdrew.</summary>
    public Task<Participant?> FindParticipantAsync(long id, CancellationToken ct) => CurrentParticipant.For(db)(db, id, ct);

    /// <summary>The participant's study with its criteria, batches and consent documents; in the app a shared copy (<see cref="StudyCache"/>): read it, never change it.</summary>
    public async Task<Study?> StudyOfAsync(Participant participant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        if (participant.StudyId is not { } id)
        {
            return null;
        }

        // By id, never by key: a key is not an id, and an older all-digit key must not stand for another study.
        // The app keeps studies in memory (shared, untracked), checking their revision on each request.
        return studies is null ? await StudyStore.FindByIdAsync(db, id, ct) : await studies.FindByIdAsync(db, id, ct);
    }

    /// <summary>
    /// The participant (unless they withdrew) with their study (null when they have none) and whether they hold a consent
    /// that is not withdrawn, in one read: what <see cref="FindParticipantAsync"/>, <see cref="StudyOfAsync"/> and
    /// <see cref="CurrentConsentAsync"/> give together. Null when there is no such participant.
    /// </summary>
    public async Task<Caller?> CallerAsync(long participantId, CancellationToken ct)
    {
        if (await PreparedReads.ReadAsync(db, reads, CallerSql, (CallerRow?)null, ReadCaller, ct, participantId) is not { } row)
        {
            return null;
        }

        // Tracked, as the participant's own read is (a page may change and save them): the copy already tracked when there is one.
        var participant = row.Participant;
        if (db.Participants.Local.FindEntry(participant.Id) is { } tracked)
        {
            participant = tracked.Entity;
        }
        else
        {
            // As Unchanged, without Attach's walk of the entity graph (a participant has no navigations): half the read's CPU.
            db.Entry(participant).State = EntityState.Unchanged;
        }

        Study? study = null;
        if (participant.StudyId is { } studyId)
        {
            study = studies is null ? await StudyStore.FindByIdAsync(db, studyId, ct) : await studies.FindAsync(db, studyId, row.StudyRevision, ct);
        }

        return new Caller(participant, study, row.Consented);
    }

    private static bool ReadCaller(System.Data.Common.DbDataReader r, ref CallerRow? row)
    {
        var participant = new Participant
        {
            Id = r.GetInt64(0),
            StudyId = r.IsDBNull(1) ? null : r.GetInt64(1),
            Pseudonym = r.GetString(2),
            Email = r.IsDBNull(3) ? null : r.GetString(3),
            PasswordHash = r.IsDBNull(4) ? null : r.GetString(4),
            PreferredLanguage = r.GetString(5),
            Role = (Role)r.GetInt32(6),
            CreatedAt = PreparedReads.Time(r, 7),
            WithdrawnAt = PreparedReads.NullableTime(r, 8),
        };
        row = new CallerRow(participant, r.IsDBNull(9) ? null : r.GetInt64(9), r.GetBoolean(10));
        return false;
    }

    /// <summary>The participant's consent that is not withdrawn, the latest one.</summary>
    public Task<ConsentRecord?> CurrentConsentAsync(long participantId, CancellationToken ct) => LatestConsent.For(db)(db, participantId, ct);

    /// <summary>The participant's own assignment, or null (also when it is someone else's).</summary>
    public async Task<Assignment?> OwnAssignmentAsync(long participantId, long assignmentId, CancellationToken ct) =>
        await PreparedReads.ReadAsync(db, reads, OwnAssignmentSql, (Assignment?)null, ReadAssignment, ct, assignmentId, participantId);

    /// <summary>An assignment's row as EF maps it (<see cref="PluralistDbContext"/>: the criteria shown are a JSON list).</summary>
    private static bool ReadAssignment(System.Data.Common.DbDataReader r, ref Assignment? assignment)
    {
        assignment = new Assignment
        {
            Id = r.GetInt64(0),
            ParticipantId = r.GetInt64(1),
            PairId = r.GetInt64(2),
            BatchId = r.IsDBNull(3) ? null : r.GetInt64(3),
            CriteriaShown = PluralistDbContext.StringListOf(r.GetString(4)),
            Image0OnLeft = r.GetBoolean(5),
            Language = r.GetString(6),
            ServedAt = PreparedReads.Time(r, 7),
            OverlapSlot = r.IsDBNull(8) ? null : r.GetInt32(8),
        };
        return false;
    }

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

    /// <summary>
    /// The pairs the batch may draw from, in id order, with how often each was assigned (in any batch): the pairs' rows
    /// alone, since the database keeps each pair's count of assignments (schema version 14) instead of this read counting them.
    /// </summary>
    /// <remarks>
    /// Plain SQL (<see cref="PreparedReads"/>): the batch's every pair (168 in the demo) is read on each new assignment, and
    /// EF's per-row materialisation cost more than the query (docs/performance.md, 2026-12-07 22:00).
    /// </remarks>
    public async Task<List<PairCandidate>> PairCandidatesAsync(Study study, Batch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(batch);
        return await PreparedReads.ReadAsync(db, reads, CandidatesSql, new List<PairCandidate>(), ReadCandidate, ct, study.Id, batch.Id);
    }

    /// <summary>
    /// <see cref="PairCandidatesAsync"/> less the pairs the participant was already given (in any batch), which the picker
    /// would pass over: what a new assignment draws from, in one read. The participant's history stays in the database
    /// instead of coming back row by row on every new assignment (it grows with every answer).
    /// </summary>
    public async Task<List<PairCandidate>> UnseenPairCandidatesAsync(Study study, Batch batch, long participantId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(batch);
        return await PreparedReads.ReadAsync(db, reads, UnseenCandidatesSql, new List<PairCandidate>(), ReadCandidate, ct, study.Id, batch.Id, participantId);
    }

    private static bool ReadCandidate(System.Data.Common.DbDataReader r, ref List<PairCandidate> candidates)
    {
        candidates.Add(new PairCandidate(r.GetInt64(0), (PairKind)r.GetInt32(1), r.GetInt32(2), candidates.Count));
        return true;
    }

    // assignment_count: the pair's count of assignments (PluralistDbContext.AssignmentCountProperty), kept by triggers.
    private static readonly ReadQuery CandidatesSql = new(
        "SELECT id, kind, assignment_count FROM pairs WHERE study_id = @p0 AND (batch_id = @p1 OR batch_id IS NULL) ORDER BY id", 2);

    // NOT IN over an uncorrelated subquery: both SQLite and PostgreSQL read the participant's pairs once (by the index on
    // participant_id) into a set to probe, where a NOT EXISTS per pair would scan the participant's assignments for each.
    private static readonly ReadQuery UnseenCandidatesSql = new(
        "SELECT id, kind, assignment_count FROM pairs WHERE study_id = @p0 AND (batch_id = @p1 OR batch_id IS NULL) "
        + "AND id NOT IN (SELECT pair_id FROM assignments WHERE participant_id = @p2) ORDER BY id", 3);

    /// <summary>The pairs the participant was already given.</summary>
    public async Task<HashSet<long>> SeenPairsAsync(long participantId, CancellationToken ct)
    {
        var seen = new HashSet<long>();
        await foreach (var pairId in PairsOf.For(db)(db, participantId).WithCancellation(ct))
        {
            seen.Add(pairId);
        }

        return seen;
    }

    /// <summary>The rater places of the pair that are taken (<see cref="Assignment.OverlapSlot"/>), on the given context (the request's, or the group-commit writer's).</summary>
    public static async Task<List<int>> TakenPlacesAsync(PluralistDbContext db, long pairId, CancellationToken ct)
    {
        var taken = new List<int>();
        await foreach (var place in PlacesOf.For(db)(db, pairId).WithCancellation(ct))
        {
            taken.Add(place);
        }

        return taken;
    }

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
        Applied.For(db)(db, participantId, kind, requestId, ct);

    /// <summary>
    /// Inside the caller's transaction, what an answer to <paramref name="assignmentId"/> checks first: null when the
    /// participant is not current (held until commit, as <see cref="HoldCurrentParticipantAsync"/> holds it); else whether
    /// <paramref name="requestId"/> was applied (and to which assignment), and whether the assignment has an answer (null:
    /// not read, read it). SQLite reads it all in one statement; PostgreSQL takes the row lock first.
    /// </summary>
    public async Task<AnswerCheck?> CheckAnswerAsync(long participantId, AnswerKind kind, string requestId, long assignmentId, CancellationToken ct)
    {
        if (db.Provider == DatabaseProvider.Postgres)
        {
            if (!await HoldCurrentParticipantAsync(participantId, ct))
            {
                return null;
            }

            var applied = await FindAppliedAsync(participantId, kind, requestId, ct);
            return new AnswerCheck(applied is not null, applied?.AssignmentId, null);
        }

        if (Prepared is { } prepared)
        {
            return prepared.CheckAnswer(participantId, kind, requestId, assignmentId);
        }

        return await AnswerCheck.For(db)(db, participantId, kind, requestId, assignmentId, ct) is { } row
            ? new AnswerCheck(row.Applied, row.AppliedAssignmentId, row.Answered)
            : null;
    }

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

        return await IsCurrent.For(db)(db, participantId, ct);
    }

    private sealed record AnswerCheckRow(bool Applied, long? AppliedAssignmentId, bool Answered);

    private sealed record CallerRow(Participant Participant, long? StudyRevision, bool Consented);
}
