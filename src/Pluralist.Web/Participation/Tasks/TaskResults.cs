using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>
/// What the task endpoints share: their refusals as RFC 9457 problem details, and where the page goes after an answer. task.js shows a
/// problem's <c>detail</c> (else its <c>title</c>) and follows a stored answer's <c>next</c>.
/// </summary>
public static class TaskResults
{
    /// <summary>
    /// What both answer endpoints check first: the antiforgery header, then a signed-in participant who is still taking
    /// part, with their study; <see cref="TaskCaller.Refused"/> says why not.
    /// </summary>
    public static async Task<TaskCaller> CurrentAsync(HttpContext ctx, ParticipationStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(store);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return new(null, null, csrf);
        }

        if (ctx.User.ParticipantId() is not { } pid || await store.CallerAsync(pid, ct) is not { Study: { } study } caller)
        {
            return new(null, null, NotCurrent());
        }

        return new(caller.Participant, study, null);
    }

    public static ProblemHttpResult NotCurrent() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a current participant",
            detail: "This session does not belong to a participant taking part in a study (they may have left it).");

    public static ProblemHttpResult NoSuchAssignment() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such assignment",
            detail: "This assignment does not exist or is not yours.");

    /// <summary>A 400 validation problem naming each refused field (<see cref="AnswerErrors"/>), or null when there is none.</summary>
    public static ValidationProblem? Invalid(IEnumerable<FieldError> errors, string lang)
    {
        var byField = AnswerErrors.ByField(errors, lang);
        return byField.Count == 0 ? null
            : TypedResults.ValidationProblem(byField, title: "The answer was not saved", detail: string.Join(" ", byField.Values.SelectMany(v => v)));
    }

    // The page shows the detail to the participant: in their language.
    public static ProblemHttpResult Refused(Refusal refusal, string lang)
    {
        var fr = lang == "fr";
        return refusal switch
        {
            Refusal.BatchClosed => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The batch is closed",
                detail: fr ? "Cette série est fermée : elle n'accepte plus de réponses." : "This batch is closed: it no longer takes answers."),
            Refusal.RequestIdReused => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "clientRequestId already used",
                detail: "This clientRequestId was already used for another answer; send a new one.",
                extensions: new Dictionary<string, object?> { ["field"] = "clientRequestId" }),
            _ => NotCurrent(),
        };
    }

    /// <summary>Where the page goes after an answer: the next task, or the break once the session cap is reached.</summary>
    public static async Task<string> NextPageAsync(SessionProgress sessions, Participant participant, Study study, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        return await sessions.OnBreakAsync(participant, study, ct) ? "/break" : "/task";
    }
}
