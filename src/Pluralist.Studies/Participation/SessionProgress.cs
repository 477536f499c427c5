using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Participation;

/// <summary>How far the participant is: answers in the batch, answers in the current session, and the break the session cap calls for.</summary>
public sealed class SessionProgress(ParticipationStore store)
{
    private static readonly PerModel<Func<PluralistDbContext, long, long, CancellationToken, Task<int>>> AnswersInBatch = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long participantId, long batchId, CancellationToken ct) =>
            db.Annotations.Count(n => n.ParticipantId == participantId && db.Assignments.Any(a => a.Id == n.AssignmentId && a.BatchId == batchId))));

    private static readonly PerModel<Func<PluralistDbContext, long, int, IAsyncEnumerable<DateTimeOffset>>> LatestAnswerTimes = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long participantId, int take) =>
            db.Annotations.Where(n => n.ParticipantId == participantId).OrderByDescending(n => n.Id).Take(take).Select(n => n.SubmittedAt)));

    /// <summary>
    /// Answers in the batch and in the current session. A session is a run of answers with no gap
    /// as long as the break; once it reaches the cap, the participant rests until the break has passed.
    /// <paramref name="answersInBatch"/>: the participant's answers to comparisons in the batch when the caller has just
    /// read them (the next task reads them with the participant's assignments); read here otherwise.
    /// </summary>
    public async Task<(Progress Progress, DateTimeOffset? BreakUntil)> ProgressAsync(long participantId, Study study, Batch batch, DateTimeOffset now, CancellationToken ct, int? answersInBatch = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(batch);
        var db = store.Db;
        var cap = batch.SessionCap ?? study.SessionCap;
        var inBatch = answersInBatch ?? await AnswersInBatchAsync(participantId, batch, ct);
        if (study.TaskType != TaskType.Pairwise)
        {
            inBatch += await RatedImagesAsync(participantId, batch, ct);
        }

        var (inSession, breakUntil) = await SessionAsync(participantId, study, batch, now, ct);
        return (new Progress(inBatch, batch.QuotaPerParticipant, inSession, cap), breakUntil);
    }

    /// <summary>The participant's answers to comparisons whose assignment is in the batch.</summary>
    public Task<int> AnswersInBatchAsync(long participantId, Batch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return AnswersInBatch.For(store.Db)(store.Db, participantId, batch.Id, ct);
    }

    /// <summary>Whether the participant must rest now: an open batch and a session at its cap.</summary>
    /// <remarks>Reads only the session (not the batch's answers): it runs after every answer.</remarks>
    public async Task<bool> OnBreakAsync(Participant participant, Study study, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        if (ParticipationStore.OpenBatch(study, store.Now) is not { } batch)
        {
            return false;
        }

        var (_, breakUntil) = await SessionAsync(participant.Id, study, batch, store.Now, ct);
        return breakUntil is not null;
    }

    /// <summary>
    /// Answers in the current session (at most the cap) and, when the session has reached the cap, when the break ends.
    /// Reads no answer times without a cap.
    /// </summary>
    private async Task<(int InSession, DateTimeOffset? BreakUntil)> SessionAsync(long participantId, Study study, Batch batch, DateTimeOffset now, CancellationToken ct)
    {
        var cap = batch.SessionCap ?? study.SessionCap;
        if (cap <= 0)
        {
            // No cap: no break (and the session count shown as the cap, as ever).
            return (Math.Min(0, cap), null);
        }

        var db = store.Db;
        var pause = TimeSpan.FromMinutes(batch.BreakMinutes ?? study.BreakMinutes);
        // The latest answers (by id; a changed answer carries the time of its change, hence the sort).
        var recent = new List<DateTimeOffset>();
        await foreach (var at in LatestAnswerTimes.For(db)(db, participantId, cap + 1).WithCancellation(ct))
        {
            recent.Add(at);
        }

        if (study.TaskType != TaskType.Pairwise)
        {
            recent.AddRange(await RatingTimesAsync(participantId, cap + 1, ct));
        }

        recent.Sort((a, b) => b.CompareTo(a));
        var inSession = 0;
        if (recent.Count > 0 && now - recent[0] < pause)
        {
            inSession = 1;
            while (inSession < recent.Count && recent[inSession - 1] - recent[inSession] < pause)
            {
                inSession++;
            }
        }

        inSession = Math.Min(inSession, cap);
        DateTimeOffset? breakUntil = inSession >= cap ? recent[0] + pause : null;
        return (inSession, breakUntil);
    }

    /// <summary>Images rated by the participant (in the batch's window when a batch is given).</summary>
    public Task<int> RatedImagesAsync(long participantId, Batch? batch, CancellationToken ct)
    {
        var ratings = store.Db.LikertRatings.Where(r => r.ParticipantId == participantId);
        if (batch is not null)
        {
            ratings = ratings.Where(r => r.SubmittedAt >= batch.OpensAt && r.SubmittedAt < batch.ClosesAt);
        }

        return ratings.Select(r => r.ImageId).Distinct().CountAsync(ct);
    }

    /// <summary>When the participant's latest rating submissions arrived (the rows of one submission share the time).</summary>
    private Task<List<DateTimeOffset>> RatingTimesAsync(long participantId, int take, CancellationToken ct) =>
        store.Db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participantId)
            .Select(r => r.SubmittedAt).Distinct().OrderByDescending(t => t).Take(take).ToListAsync(ct);
}
