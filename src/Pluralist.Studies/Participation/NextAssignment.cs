using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Diagnostics;

namespace Pluralist.Studies.Participation;

/// <summary>What the participant sees next: their unanswered assignment, a new one, an image to rate, a break, or nothing left.</summary>
public sealed class NextAssignment(ParticipationStore store, SessionProgress sessions, QuotaPlaces quotaPlaces, NextRating ratings, CriteriaCounts criteriaCounts, GroupCommit? commits = null)
{
    // Each lost race means another participant's assignment was stored, so the hand-out advances; this bounds a crowd on one pair.
    private const int ClaimAttempts = 64;

    // Of the participant's assignments in the batch: the unanswered one with the lowest id (null when none) and how many the
    // participant answered, in one row: SQLite and PostgreSQL count them, so the participant's history (which grows with
    // every answer) does not come back row by row on every task page. An assignment has at most one answer (a unique
    // index): one join gives both whether it is answered and by whom.
    private static readonly ReadQuery OwnAssignmentSummary = new(
        "SELECT MIN(CASE WHEN n.id IS NULL THEN a.id END), SUM(CASE WHEN n.participant_id = @p0 THEN 1 ELSE 0 END) FROM assignments a "
        + "LEFT JOIN annotations n ON n.assignment_id = a.id WHERE a.participant_id = @p0 AND a.batch_id = @p1",
        2);

    // Nothing: the pairs a participant was given are left out of the candidates by the database (UnseenPairCandidatesAsync).
    private static readonly HashSet<long> NoneSeen = [];

    private static readonly PerModel<Func<PluralistDbContext, long, CancellationToken, Task<Assignment?>>> AssignmentById = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long id, CancellationToken ct) => db.Assignments.FirstOrDefault(a => a.Id == id)));

    // The pair's images and the prompt of its first image (null when it has none), in one read.
    private static readonly ReadQuery PairById = new(
        "SELECT p.image_0_id, p.image_1_id, t.text, t.language FROM pairs p "
        + "LEFT JOIN images i ON i.id = p.image_0_id LEFT JOIN prompts t ON t.id = i.prompt_id WHERE p.id = @p0",
        1);

    /// <summary>The participant's unanswered assignment in the open batch, or a new one; or a break, or nothing left.</summary>
    public async Task<NextStep> NextAsync(Participant participant, Study study, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var started = Stopwatch.GetTimestamp();
        var outcome = PluralistTelemetry.Failed;
        try
        {
            var step = await ChooseAsync(participant, study, lang, ct);
            outcome = step switch
            {
                NextStep.Task => "task",
                NextStep.Rate => "rate",
                NextStep.Break => "break",
                NextStep.AllDone => "done",
                NextStep.NoOpenBatch => "no-open-batch",
                _ => "other",
            };
            return step;
        }
        finally
        {
            PluralistTelemetry.NextTaskDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(PluralistTelemetry.StudyTag, PluralistTelemetry.StudyId(study.Id)),
                new KeyValuePair<string, object?>(PluralistTelemetry.OutcomeTag, outcome));
        }
    }

    private async Task<NextStep> ChooseAsync(Participant participant, Study study, string lang, CancellationToken ct)
    {
        var db = store.Db;
        var now = store.Now;
        var batch = ParticipationStore.OpenBatch(study, now);
        if (batch is null)
        {
            return new NextStep.NoOpenBatch();
        }

        Assignment? pending = null;
        int? answered = null;
        if (study.TaskType != TaskType.Likert)
        {
            (pending, answered) = await OwnAssignmentsAsync(participant.Id, batch.Id, ct);
        }

        var (progress, breakUntil) = await sessions.ProgressAsync(participant.Id, study, batch, now, ct, answered);
        if (breakUntil is { } until)
        {
            return new NextStep.Break(until, progress.InSession);
        }

        if (pending is null)
        {
            if (progress.InBatch >= batch.QuotaPerParticipant)
            {
                return new NextStep.AllDone(progress);
            }

            // Both tasks: alternate, rating an image when there are fewer ratings than comparisons.
            var rateFirst = study.TaskType == TaskType.Likert
                || (study.TaskType == TaskType.Both && await sessions.RatedImagesAsync(participant.Id, null, ct) < await db.Annotations.CountAsync(n => n.ParticipantId == participant.Id, ct));
            if (rateFirst && await ratings.NextAsync(participant, study, lang, progress, ct) is { } rate)
            {
                return rate;
            }

            pending = study.TaskType == TaskType.Likert ? null : await CreateAsync(participant.Id, study, batch, lang, ct);
            if (pending is null)
            {
                return study.TaskType == TaskType.Both && !rateFirst && await ratings.NextAsync(participant, study, lang, progress, ct) is { } other
                    ? other
                    : new NextStep.AllDone(progress);
            }
        }

        return await TaskStepAsync(pending, study, lang, progress, null, ct);
    }

    /// <summary>
    /// From one read: the participant's unanswered assignment in the batch (the lowest id: the oldest one) and how many of
    /// their assignments in the batch they answered (what <see cref="SessionProgress"/> counts as their answers in the batch:
    /// an answer is its assignment's participant's).
    /// </summary>
    private async Task<(Assignment? Pending, int Answered)> OwnAssignmentsAsync(long participantId, long batchId, CancellationToken ct)
    {
        var db = store.Db;
        var (pendingId, answered) = await PreparedReads.ReadAsync(db, store.Reads, OwnAssignmentSummary, ((long?)null, 0), ReadSummary, ct, participantId, batchId);

        // Rare (a reload before answering): the assignment itself, tracked as the request's other reads are.
        var pending = pendingId is { } id ? await AssignmentById.For(db)(db, id, ct) : null;
        return (pending, answered);
    }

    private static bool ReadSummary(System.Data.Common.DbDataReader r, ref (long? PendingId, int Answered) summary)
    {
        // No assignment in the batch: MIN and SUM are NULL.
        summary = (r.IsDBNull(0) ? null : r.GetInt64(0), r.IsDBNull(1) ? 0 : (int)r.GetInt64(1));
        return false;
    }

    /// <summary>One of the participant's answered assignments, reopened with the stored answer, while its batch is open.</summary>
    public async Task<NextStep.Task?> ChangeAsync(Participant participant, Study study, long assignmentId, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var now = store.Now;
        var assignment = await store.OwnAssignmentAsync(participant.Id, assignmentId, ct);
        var batch = assignment is null ? null : study.Batches.FirstOrDefault(b => b.Id == assignment.BatchId && b.IsOpen(now));
        if (assignment is null || batch is null)
        {
            return null;
        }

        var existing = await store.Db.Annotations.AsNoTracking().Include(a => a.Scores)
            .FirstOrDefaultAsync(a => a.AssignmentId == assignment.Id && a.ParticipantId == participant.Id, ct);
        if (existing is null)
        {
            return null;
        }

        var (progress, _) = await sessions.ProgressAsync(participant.Id, study, batch, now, ct);
        return await TaskStepAsync(assignment, study, lang, progress, existing, ct);
    }

    private async Task<NextStep.Task> TaskStepAsync(Assignment pending, Study study, string lang, Progress progress, Annotation? existing, CancellationToken ct)
    {
        var pair = await PreparedReads.ReadAsync(store.Db, store.Reads, PairById, (PairShown?)null, ReadPair, ct, pending.PairId)
            ?? throw new InvalidOperationException($"Assignment {pending.Id} names pair {pending.PairId}, which does not exist.");
        var prompt = study.ShowPrompt && pair.PromptText is { } text ? new ShownPrompt(text, pair.PromptLanguage!) : null;

        var criteria = pending.CriteriaShown
            .Select(key => study.Criteria.FirstOrDefault(c => c.Key == key))
            .Where(c => c is not null)
            .Select(c => new ShownCriterion(c!.Key, c.Name.Get(lang), c.Definition.Get(lang)))
            .ToList();
        var (left, right) = pending.Image0OnLeft ? (pair.Image0Id, pair.Image1Id) : (pair.Image1Id, pair.Image0Id);
        return new NextStep.Task(pending, prompt, left, right, criteria, progress, existing);
    }

    /// <summary>
    /// A new assignment: a pair by the batch's distribution (or a quota place), criteria and side by <see cref="AssignmentBuilder"/>.
    /// A regular pair's assignment takes one of its K numbered rater places under unique indexes (one per place, one per
    /// participant and pair), so concurrent participants can never put a pair above K nor give it twice to one rater: the
    /// loser of a race looks again with the counts as they are now.
    /// The pairs the participant was given are left out by the read of the candidates itself.
    /// </summary>
    private async Task<Assignment?> CreateAsync(long participantId, Study study, Batch batch, string lang, CancellationToken ct)
    {
        if (study.GroupQuotas is { } quotas)
        {
            return await quotaPlaces.CreateAssignmentAsync(participantId, study, batch, quotas, lang, ct);
        }

        var db = store.Db;
        for (var attempt = 1; ; attempt++)
        {
            // Read on every attempt: a later one lost a race, and the counts (or another tab of the participant) moved meanwhile.
            var candidates = await store.UnseenPairCandidatesAsync(study, batch, participantId, ct);
            var pick = PairPicker.Pick(candidates, NoneSeen, batch.Distribution, batch.Overlap, study.AttentionCheckRate, study.GoldRate, Random.Shared);
            if (pick is null)
            {
                return null;
            }

            // A regular pair's assignment takes one of its K numbered places; check and gold pairs take none.
            var needsPlace = pick.Kind is PairKind.Annotation or PairKind.Evaluation;
            var overlap = Math.Max(1, batch.Overlap);
            var pairId = pick.PairId;
            try
            {
                if (commits is { Enabled: true })
                {
                    // SQLite: the new assignment shares the next transaction (and its fsync) with other participants' writes.
                    // The writer runs one write at a time, so the place is chosen inside it from the places as they are
                    // there: concurrent participants on one pair take different places instead of racing for the same
                    // one (under load a whole group of them read the same counts).
                    var created = await commits.RunAsync((s, c) => AssignInWriterAsync(s, criteriaCounts, study, participantId, pairId, batch.Id, lang, needsPlace ? overlap : null, c), ct);
                    if (created is not null || attempt >= ClaimAttempts)
                    {
                        return created;
                    }

                    // The pair filled up since the counts were read: look again.
                    continue;
                }

                int? slot = null;
                if (needsPlace)
                {
                    slot = QuotaPicker.FreeSlot(await ParticipationStore.TakenPlacesAsync(db, pairId, ct), overlap);
                    if (slot is null)
                    {
                        // Places taken since the counts were read: look again.
                        if (attempt >= ClaimAttempts)
                        {
                            return null;
                        }

                        continue;
                    }
                }

                return await criteriaCounts.AssignAsync(db, study, participantId, pairId, batch.Id, lang, store.Now, ct, slot);
            }
            catch (DbUpdateException) when (attempt < ClaimAttempts)
            {
                // Another participant took the place (or this participant the pair) in between: look again.
            }
        }
    }

    /// <summary>
    /// The part of a new assignment that runs in the SQLite group-commit writer (<see cref="GroupCommit.RunAsync"/>): when the
    /// pair's assignments hold rater places (<paramref name="overlap"/> of them), a free place chosen from the places taken
    /// there, or null when none is left; then the assignment, drawn and inserted (<see cref="CriteriaCounts.AssignAsync"/>).
    /// </summary>
    public static async Task<Assignment?> AssignInWriterAsync(ParticipationStore s, CriteriaCounts criteriaCounts, Study study, long participantId, long pairId, long batchId, string lang, int? overlap, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(criteriaCounts);
        int? place = null;
        if (overlap is { } k)
        {
            var taken = s.Prepared?.TakenPlaces(pairId) ?? await ParticipationStore.TakenPlacesAsync(s.Db, pairId, ct);
            place = QuotaPicker.FreeSlot(taken, k);
            if (place is null)
            {
                return null;
            }
        }

        return await criteriaCounts.AssignAsync(s.Db, study, participantId, pairId, batchId, lang, s.Now, ct, place, s.Prepared);
    }

    private static bool ReadPair(System.Data.Common.DbDataReader r, ref PairShown? pair)
    {
        pair = new PairShown(r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3));
        return false;
    }

    private sealed record PairShown(long Image0Id, long Image1Id, string? PromptText, string? PromptLanguage);
}
