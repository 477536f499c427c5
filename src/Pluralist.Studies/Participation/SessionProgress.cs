using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Participation;

/// <summary>How far the participant is: answers in the batch, answers in the current session, and the break the session cap calls for.</summary>
public sealed class SessionProgress(ParticipationStore store)
{
    // Plain SQL (PreparedReads): every GET /task and every answer reads the session.
    private static readonly ReadQuery AnswersInBatch = new(
        "SELECT COUNT(*) FROM annotations n WHERE n.participant_id = @p0 "
        + "AND EXISTS (SELECT 1 FROM assignments a WHERE a.id = n.assignment_id AND a.batch_id = @p1)",
        2);

    // The latest answers' times, by id (a changed answer carries the time of its change).
    private static readonly ReadQuery LatestAnswerTimes = new(
        "SELECT submitted_at FROM annotations WHERE participant_id = @p0 ORDER BY id DESC LIMIT @p1", 2);

    // The answers' times in no order, up to a bound: all of them when there are fewer (no sort in the database).
    private static readonly ReadQuery AnswerTimes = new(
        "SELECT submitted_at FROM annotations WHERE participant_id = @p0 LIMIT @p1", 2);

    // How many answers the participant has, counted up to a bound (from the index, reading no rows).
    private static readonly ReadQuery AnswerCountUpTo = new(
        "SELECT COUNT(*) FROM (SELECT 1 FROM annotations WHERE participant_id = @p0 LIMIT @p1) AS n", 2);

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
    public async Task<int> AnswersInBatchAsync(long participantId, Batch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return (int)await PreparedReads.ReadAsync(store.Db, store.Reads, AnswersInBatch, 0L, ReadCount, ct, participantId, batch.Id);
    }

    private static bool ReadCount(System.Data.Common.DbDataReader r, ref long count)
    {
        count = r.GetInt64(0);
        return false;
    }

    private static bool ReadTime(System.Data.Common.DbDataReader r, ref List<DateTimeOffset> times)
    {
        times.Add(PreparedReads.Time(r, 0));
        return true;
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

        // A session counts at most the answers there are: fewer than the cap, no break (and no answer times to read). With
        // ratings too, the session counts them as well, so read it whole.
        var cap = batch.SessionCap ?? study.SessionCap;
        if (cap <= 0)
        {
            return false;
        }

        if (study.TaskType == TaskType.Pairwise
            && await PreparedReads.ReadAsync(store.Db, store.Reads, AnswerCountUpTo, 0L, ReadCount, ct, participant.Id, cap) < cap)
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

        var pause = TimeSpan.FromMinutes(batch.BreakMinutes ?? study.BreakMinutes);
        // The latest cap + 1 answers by id (a changed answer carries the time of its change, hence the sort below): when the
        // participant has no more than that, all of them, read without ordering; otherwise read again, the latest by id.
        var take = (long)cap + 1;
        var recent = await PreparedReads.ReadAsync(store.Db, store.Reads, AnswerTimes, new List<DateTimeOffset>(), ReadTime, ct, participantId, take + 1);
        if (recent.Count > take)
        {
            recent = await PreparedReads.ReadAsync(store.Db, store.Reads, LatestAnswerTimes, new List<DateTimeOffset>(), ReadTime, ct, participantId, take);
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
