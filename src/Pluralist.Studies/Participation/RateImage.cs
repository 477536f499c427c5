using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>The DIVE task's answer: one image, Likert questions on a 1..5 scale and categories to tick.</summary>
public sealed class RateImage(ParticipationStore store)
{
    /// <summary>Checks a rating against the study's questions and categories; returns field errors, empty when valid.</summary>
    /// <remarks>Codes: <c>rating-request-id</c>, <c>answer-shape</c>, <c>unknown-question</c>, <c>likert-range</c>, <c>answer-twice</c>, <c>likert-missing</c> (the question's text in <paramref name="lang"/>), <c>unknown-category</c>.</remarks>
    public static IReadOnlyList<FieldError> Validate(Study study, RatingRequest request, string lang)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(request.ClientRequestId) || request.ClientRequestId.Length > 100 || request.ClientRequestId.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(new FieldError("clientRequestId", "rating-request-id"));
        }

        var questions = LikertItems.QuestionsOf(study);
        var answers = request.Answers ?? [];
        for (var i = 0; i < answers.Count; i++)
        {
            var a = answers[i];
            if (a is null || a.Question is null)
            {
                errors.Add(new FieldError(string.Create(CultureInfo.InvariantCulture, $"answers[{i}]"), "answer-shape"));
            }
            else if (!questions.Any(q => q.Key == a.Question))
            {
                errors.Add(new FieldError($"answers.{a.Question}", "unknown-question"));
            }
            else if (a.Value is < LikertItems.Min or > LikertItems.Max)
            {
                errors.Add(new FieldError($"answers.{a.Question}", "likert-range"));
            }
        }

        var named = answers.Where(a => a?.Question is not null).ToList();
        if (named.GroupBy(a => a.Question).Any(g => g.Count() > 1))
        {
            errors.Add(new FieldError("answers", "answer-twice"));
        }

        foreach (var q in questions.Where(q => !named.Any(a => a.Question == q.Key)))
        {
            errors.Add(new FieldError($"answers.{q.Key}", "likert-missing", q.Text.Get(lang)));
        }

        var categories = request.Categories ?? [];
        var known = LikertItems.CategoriesOf(study);
        if (categories.Any(c => c is null || !known.Any(k => k.Key == c)) || categories.Distinct(StringComparer.Ordinal).Count() != categories.Count)
        {
            errors.Add(new FieldError("categories", "unknown-category"));
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
        if (ParticipationStore.OpenBatch(study, store.Now) is null)
        {
            return new RateResult([], false, false, Refusal.BatchClosed);
        }

        return await store.WithRetriesAsync(() => RateOnceAsync(participantId, imageId, servedAt, request, lang, ct));
    }

    private async Task<RateResult> RateOnceAsync(long participantId, long imageId, DateTimeOffset servedAt, RatingRequest request, string lang, CancellationToken ct)
    {
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await store.HoldCurrentParticipantAsync(participantId, ct))
        {
            return new RateResult([], false, false, Refusal.NotCurrent);
        }

        var applied = await store.FindAppliedAsync(participantId, AnswerKind.Rating, request.ClientRequestId, ct);
        if (applied is not null)
        {
            var stored = applied.ImageId == imageId
                ? await db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participantId && r.ImageId == imageId).OrderBy(r => r.Id).ToListAsync(ct)
                : [];
            return stored.Count == 0 ? new RateResult([], false, false, Refusal.RequestIdReused) : new RateResult(stored, true, false);
        }

        var now = store.Now;
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
}
