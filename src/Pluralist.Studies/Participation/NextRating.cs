using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>The next image to rate in the DIVE task (the least rated ones first, or a quota place), or a rated one reopened from the history.</summary>
public sealed class NextRating(ParticipationStore store, SessionProgress sessions, QuotaPlaces quotaPlaces, LikertItemTokens tokens)
{
    /// <summary>An image of the study the participant has not rated, among the least rated ones; null when none is left.</summary>
    public async Task<NextStep.Rate?> NextAsync(Participant participant, Study study, string lang, Progress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        if (study.GroupQuotas is { } quotas)
        {
            return await quotaPlaces.NextImageAsync(participant.Id, study, quotas, ct) is { } item
                ? await StepAsync(participant.Id, study, item.ImageId, item.PromptId, lang, progress, null, ct)
                : null;
        }

        var db = store.Db;
        var candidates = await db.Images.AsNoTracking()
            .Where(i => i.StudyId == study.Id && i.Flags == ImageFlags.None
                && !db.LikertRatings.Any(r => r.ParticipantId == participant.Id && r.ImageId == i.Id))
            .Select(i => new { i.Id, i.PromptId, Times = db.LikertRatings.Where(r => r.ImageId == i.Id).Select(r => r.ParticipantId).Distinct().Count() })
            .ToListAsync(ct);
        if (candidates.Count == 0)
        {
            return null;
        }

        var fewest = candidates.Min(c => c.Times);
        var least = candidates.Where(c => c.Times == fewest).ToList();
        var pick = least[Random.Shared.Next(least.Count)];
        return await StepAsync(participant.Id, study, pick.Id, pick.PromptId, lang, progress, null, ct);
    }

    /// <summary>An image the participant rated, reopened with the stored answers while a batch of the study is open.</summary>
    public async Task<NextStep.Rate?> ChangeAsync(Participant participant, Study study, long imageId, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var db = store.Db;
        var batch = ParticipationStore.OpenBatch(study, store.Now);
        var existing = await db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participant.Id && r.ImageId == imageId).OrderBy(r => r.Id).ToListAsync(ct);
        var promptId = await db.Images.AsNoTracking().Where(i => i.Id == imageId && i.StudyId == study.Id).Select(i => (long?)i.PromptId).FirstOrDefaultAsync(ct);
        if (batch is null || existing.Count == 0 || promptId is null)
        {
            return null;
        }

        var (progress, _) = await sessions.ProgressAsync(participant.Id, study, batch, store.Now, ct);
        return await StepAsync(participant.Id, study, imageId, promptId.Value, lang, progress, existing, ct);
    }

    private async Task<NextStep.Rate> StepAsync(long participantId, Study study, long imageId, long promptId, string lang, Progress progress, List<LikertRating>? existing, CancellationToken ct)
    {
        ShownPrompt? prompt = null;
        if (study.ShowPrompt)
        {
            prompt = await store.Db.Prompts.AsNoTracking().Where(p => p.Id == promptId).Select(p => new ShownPrompt(p.Text, p.Language)).FirstOrDefaultAsync(ct);
        }

        var token = tokens.Issue(participantId, imageId, store.Now);
        return new NextStep.Rate(imageId, prompt, token, LikertItems.Shown(LikertItems.QuestionsOf(study), lang), LikertItems.Shown(LikertItems.CategoriesOf(study), lang), progress, existing);
    }
}
