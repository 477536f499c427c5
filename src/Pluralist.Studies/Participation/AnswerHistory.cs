using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>The participant's own answers and ratings, and which of them can still be changed.</summary>
public sealed class AnswerHistory(ParticipationStore store)
{
    /// <summary>The participant's answers, newest first, with the criteria keys as shown.</summary>
    public Task<List<Annotation>> AnswersAsync(long participantId, CancellationToken ct) =>
        store.Db.Annotations.AsNoTracking().Include(a => a.Scores)
            .Where(a => a.ParticipantId == participantId).OrderByDescending(a => a.Id).Take(500).ToListAsync(ct);

    /// <summary>The participant's ratings, newest first.</summary>
    public Task<List<LikertRating>> RatingsAsync(long participantId, CancellationToken ct) =>
        store.Db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participantId)
            .OrderByDescending(r => r.SubmittedAt).ThenBy(r => r.Id).Take(1000).ToListAsync(ct);

    /// <summary>Ids of the participant's answered assignments whose batch is still open (their answers can be changed).</summary>
    public async Task<HashSet<long>> ChangeableAsync(long participantId, Study study, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        var now = store.Now;
        var open = study.Batches.Where(b => b.IsOpen(now)).Select(b => (long?)b.Id).ToList();
        return (await store.Db.Assignments.Where(a => a.ParticipantId == participantId && open.Contains(a.BatchId))
            .Select(a => a.Id).ToListAsync(ct)).ToHashSet();
    }

    /// <summary>Ratings can be changed while a batch of the study is open.</summary>
    public bool RatingsChangeable(Study study) => ParticipationStore.OpenBatch(study, store.Now) is not null;
}
