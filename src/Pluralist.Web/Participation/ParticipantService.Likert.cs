using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation;

/// <summary>The DIVE task: one image, Likert questions on a 1..5 scale and categories to tick.</summary>
public sealed partial class ParticipantService
{
    public const int LikertMin = 1;
    public const int LikertMax = 5;

    // A rating item is not stored when served: the page carries a token naming the participant,
    // the image and the time it was served, protected by the app's keys so nobody can forge it.
    private static readonly TimeSpan ItemLifetime = TimeSpan.FromDays(14);

    private ITimeLimitedDataProtector ItemProtector =>
        protection.CreateProtector("pluralist.likert-item").ToTimeLimitedDataProtector();

    public static IReadOnlyList<LikertItem> QuestionsOf(Study study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return study.LikertQuestions.Count > 0 ? study.LikertQuestions : Defaults.LikertQuestions;
    }

    public static IReadOnlyList<LikertItem> CategoriesOf(Study study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return study.LikertCategories.Count > 0 ? study.LikertCategories : Defaults.LikertCategories;
    }

    /// <summary>Images rated by the participant (in the batch's window when a batch is given).</summary>
    private Task<int> RatedImagesAsync(long participantId, Batch? batch, CancellationToken ct)
    {
        var ratings = db.LikertRatings.Where(r => r.ParticipantId == participantId);
        if (batch is not null)
        {
            ratings = ratings.Where(r => r.SubmittedAt >= batch.OpensAt && r.SubmittedAt < batch.ClosesAt);
        }

        return ratings.Select(r => r.ImageId).Distinct().CountAsync(ct);
    }

    /// <summary>When the participant's latest rating submissions arrived (the rows of one submission share the time).</summary>
    private Task<List<DateTimeOffset>> RatingTimesAsync(long participantId, int take, CancellationToken ct) =>
        db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participantId)
            .Select(r => r.SubmittedAt).Distinct().OrderByDescending(t => t).Take(take).ToListAsync(ct);

    /// <summary>An image of the study the participant has not rated, among the least rated ones; null when none is left.</summary>
    private async Task<NextStep.Rate?> NextRatingAsync(Participant participant, Study study, string lang, Progress progress, CancellationToken ct)
    {
        if (study.GroupQuotas is { } quotas)
        {
            return await NextQuotaImageAsync(participant.Id, study, quotas, ct) is { } item
                ? await RateStepAsync(participant.Id, study, item.ImageId, item.PromptId, lang, progress, null, ct)
                : null;
        }

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
        return await RateStepAsync(participant.Id, study, pick.Id, pick.PromptId, lang, progress, null, ct);
    }

    /// <summary>An image the participant rated, reopened with the stored answers while a batch of the study is open.</summary>
    public async Task<NextStep.Rate?> ChangeRatingStepAsync(Participant participant, Study study, long imageId, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var batch = OpenBatch(study, Now);
        var existing = await db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participant.Id && r.ImageId == imageId).OrderBy(r => r.Id).ToListAsync(ct);
        var promptId = await db.Images.AsNoTracking().Where(i => i.Id == imageId && i.StudyId == study.Id).Select(i => (long?)i.PromptId).FirstOrDefaultAsync(ct);
        if (batch is null || existing.Count == 0 || promptId is null)
        {
            return null;
        }

        var (progress, _) = await ProgressAsync(participant.Id, study, batch, Now, ct);
        return await RateStepAsync(participant.Id, study, imageId, promptId.Value, lang, progress, existing, ct);
    }

    private async Task<NextStep.Rate> RateStepAsync(long participantId, Study study, long imageId, long promptId, string lang, Progress progress, List<LikertRating>? existing, CancellationToken ct)
    {
        string? promptText = null;
        if (study.ShowPrompt)
        {
            promptText = await db.Prompts.AsNoTracking().Where(p => p.Id == promptId).Select(p => p.Text).FirstOrDefaultAsync(ct);
        }

        var token = ItemProtector.Protect(ItemPayload(participantId, imageId, Now), ItemLifetime);
        return new NextStep.Rate(imageId, promptText, token, Shown(QuestionsOf(study), lang), Shown(CategoriesOf(study), lang), progress, existing);
    }

    private static List<ShownItem> Shown(IReadOnlyList<LikertItem> items, string lang) =>
        items.Select(i => new ShownItem(i.Key, i.Text.Get(lang))).ToList();

    private static string ItemPayload(long participantId, long imageId, DateTimeOffset servedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{participantId}|{imageId}|{servedAt.ToUnixTimeMilliseconds()}");

    /// <summary>The image and serving time of an item token, if it is valid and was given to this participant.</summary>
    public (long ImageId, DateTimeOffset ServedAt)? ReadItem(long participantId, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        string payload;
        try
        {
            payload = ItemProtector.Unprotect(token);
        }
        catch (CryptographicException)
        {
            return null;
        }

        var parts = payload.Split('|');
        if (parts.Length != 3
            || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) || pid != participantId
            || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var imageId)
            || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var served))
        {
            return null;
        }

        return (imageId, DateTimeOffset.FromUnixTimeMilliseconds(served));
    }

    /// <summary>Checks a rating against the study's questions and categories; returns field errors, empty when valid.</summary>
    public static Dictionary<string, string[]> Validate(Study study, RatingRequest request, string lang)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.ClientRequestId) || request.ClientRequestId.Length > 100 || request.ClientRequestId.Contains('/', StringComparison.Ordinal))
        {
            errors["clientRequestId"] = ["A client request id of 1 to 100 characters, without '/', is required."];
        }

        var questions = QuestionsOf(study);
        var answers = request.Answers ?? [];
        for (var i = 0; i < answers.Count; i++)
        {
            var a = answers[i];
            if (a is null || a.Question is null)
            {
                errors[string.Create(CultureInfo.InvariantCulture, $"answers[{i}]")] = ["Each answer is an object {question, value} naming a question of the study."];
            }
            else if (!questions.Any(q => q.Key == a.Question))
            {
                errors[$"answers.{a.Question}"] = [Texts.Get("unknown-question", lang)];
            }
            else if (a.Value is < LikertMin or > LikertMax)
            {
                errors[$"answers.{a.Question}"] = [Texts.Get("likert-range", lang)];
            }
        }

        var named = answers.Where(a => a?.Question is not null).ToList();
        if (named.GroupBy(a => a.Question).Any(g => g.Count() > 1))
        {
            errors["answers"] = ["Each question may be answered once."];
        }

        foreach (var q in questions.Where(q => !named.Any(a => a.Question == q.Key)))
        {
            errors[$"answers.{q.Key}"] = [Texts.Format("likert-missing", lang, q.Text.Get(lang))];
        }

        var categories = request.Categories ?? [];
        var known = CategoriesOf(study);
        if (categories.Any(c => c is null || !known.Any(k => k.Key == c)) || categories.Distinct(StringComparer.Ordinal).Count() != categories.Count)
        {
            errors["categories"] = [Texts.Get("unknown-category", lang)];
        }

        return errors;
    }

    /// <summary>
    /// Stores a rating (one row per question, each keyed <c>{clientRequestId}/{question}</c>; one value
    /// per participant, image and question under a unique index) and returns the rows now stored for
    /// the image. A new request id for an image already rated changes the values; a request id already
    /// applied (a retry, even of an older change) returns what is stored without applying anything.
    /// Refused when no batch of the study is open or the participant has withdrawn.
    /// </summary>
    public async Task<RateResult> RateAsync(long participantId, Study study, long imageId, DateTimeOffset servedAt, RatingRequest request, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(request);
        if (OpenBatch(study, Now) is null)
        {
            return new RateResult([], false, false, Refusal.BatchClosed);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RateOnceAsync(participantId, imageId, servedAt, request, lang, ct);
            }
            catch (DbUpdateException) when (attempt < WriteAttempts)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<RateResult> RateOnceAsync(long participantId, long imageId, DateTimeOffset servedAt, RatingRequest request, string lang, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await HoldCurrentParticipantAsync(participantId, ct))
        {
            return new RateResult([], false, false, Refusal.NotCurrent);
        }

        var applied = await FindAppliedAsync(participantId, AnswerKind.Rating, request.ClientRequestId, ct);
        if (applied is not null)
        {
            var stored = applied.ImageId == imageId
                ? await db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participantId && r.ImageId == imageId).OrderBy(r => r.Id).ToListAsync(ct)
                : [];
            return stored.Count == 0 ? new RateResult([], false, false, Refusal.RequestIdReused) : new RateResult(stored, true, false);
        }

        var now = Now;
        var categories = request.Categories?.ToList() ?? [];
        var previous = await db.LikertRatings.Where(r => r.ParticipantId == participantId && r.ImageId == imageId).OrderBy(r => r.Id).ToListAsync(ct);
        var rows = new List<LikertRating>();
        foreach (var answer in request.Answers)
        {
            var row = previous.FirstOrDefault(r => r.QuestionKey == answer.Question);
            if (row is null)
            {
                row = new LikertRating
                {
                    ParticipantId = participantId,
                    ImageId = imageId,
                    ServedAt = servedAt,
                    QuestionKey = answer.Question,
                    ClientRequestId = $"{request.ClientRequestId}/{answer.Question}",
                    Language = lang,
                    ServerDurationMs = (int)Math.Clamp((now - servedAt).TotalMilliseconds, 0, int.MaxValue),
                };
                db.LikertRatings.Add(row);
            }

            row.Value = answer.Value;
            row.SelectedCategories = categories;
            row.ClientDurationMs = request.ClientDurationMs is { } ms && ms >= 0 ? ms : null;
            row.SubmittedAt = now;
            rows.Add(row);
        }

        db.AppliedRequests.Add(new AppliedRequest
        {
            ParticipantId = participantId,
            Kind = AnswerKind.Rating,
            ClientRequestId = request.ClientRequestId,
            ImageId = imageId,
            AppliedAt = now,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new RateResult(rows, false, previous.Count > 0);
    }

    /// <summary>The participant's ratings, newest first.</summary>
    public Task<List<LikertRating>> RatingHistoryAsync(long participantId, CancellationToken ct) =>
        db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participantId)
            .OrderByDescending(r => r.SubmittedAt).ThenBy(r => r.Id).Take(1000).ToListAsync(ct);
}
