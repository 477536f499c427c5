using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary><c>POST /api/ratings</c>: a Likert rating of one image (the questions of <c>/task</c> in a Likert study), through <see cref="RateImage"/>.</summary>
public static class RateImageEndpoint
{
    internal static async Task<Results<Ok<RatingResponse>, ValidationProblem, ProblemHttpResult>> RateAsync(RatingRequest request, HttpContext ctx, ParticipationStore store, LikertItemTokens tokens, RateImage rate, SessionProgress sessions, CancellationToken ct)
    {
        var current = await TaskResults.CurrentAsync(ctx, store, ct);
        if (current.Refused is { } refused)
        {
            return refused;
        }

        var (participant, study, lang) = (current.Participant!, current.Study!, Lang.Of(ctx));

        if (tokens.Read(participant.Id, request.ItemToken) is not { } item)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such item",
                detail: "The itemToken does not name an image given to you (or it has expired).");
        }

        if (TaskResults.Invalid(RateImage.Validate(study, request, lang), lang) is { } invalid)
        {
            return invalid;
        }

        var result = await rate.RateAsync(participant.Id, study, item.ImageId, item.ServedAt, request, lang, ct);
        if (result.Refusal != Refusal.None)
        {
            return TaskResults.Refused(result.Refusal, lang);
        }

        var next = result.Changed ? "/history" : await TaskResults.NextPageAsync(sessions, participant, study, ct);
        var answers = result.Rows.Select(r => new LikertAnswerInput(r.QuestionKey, r.Value)).ToList();
        return TypedResults.Ok(new RatingResponse(item.ImageId, request.ClientRequestId, answers, result.Rows.Count > 0 ? result.Rows[0].SelectedCategories : [], next, result.Duplicate, result.Changed));
    }
}
