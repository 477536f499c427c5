using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary><c>POST /api/assignments/{id}/annotation</c>: a pairwise answer (the sliders of <c>/task</c>), through <see cref="SubmitAnswer"/>.</summary>
public static class SubmitAnswerEndpoint
{
    internal static async Task<Results<Ok<SubmitResponse>, ValidationProblem, ProblemHttpResult>> SubmitAsync(long id, SubmitRequest request, HttpContext ctx, ParticipationStore store, SubmitAnswer submit, SessionProgress sessions, CancellationToken ct)
    {
        var current = await TaskResults.CurrentAsync(ctx, store, ct);
        if (current.Refused is { } refused)
        {
            return refused;
        }

        var (participant, study, lang) = (current.Participant!, current.Study!, Lang.Of(ctx));

        var assignment = await store.OwnAssignmentAsync(participant.Id, id, ct);
        if (assignment is null)
        {
            // A withdrawal that commits between the two reads deletes the assignment: say that the
            // participation ended, not that the assignment was never theirs.
            return await store.FindParticipantAsync(participant.Id, ct) is null ? TaskResults.NotCurrent() : TaskResults.NoSuchAssignment();
        }

        if (TaskResults.Invalid(SubmitAnswer.Validate(assignment, request, study.SliderSteps), lang) is { } invalid)
        {
            return invalid;
        }

        var result = await submit.SubmitAsync(assignment, study, request, lang, ct);
        if (result.Refusal != Refusal.None || result.Annotation is not { } annotation)
        {
            return TaskResults.Refused(result.Refusal, lang);
        }

        var next = result.Changed ? "/history" : await TaskResults.NextPageAsync(sessions, participant, study, ct);
        var scores = annotation.Scores.OrderBy(s => s.Position).Select(s => new ScoreInput(s.CriterionKey, s.Score)).ToList();
        return TypedResults.Ok(new SubmitResponse(annotation.Id, annotation.AssignmentId, request.ClientRequestId, scores, next, result.Duplicate, result.Changed));
    }
}
