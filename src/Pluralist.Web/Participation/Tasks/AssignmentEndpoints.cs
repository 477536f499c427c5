using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary><c>GET /api/assignments/{id}</c>: one of the participant's own assignments.</summary>
public static class AssignmentEndpoints
{
    internal static async Task<Results<Ok<AssignmentView>, ProblemHttpResult>> GetAssignmentAsync(long id, HttpContext ctx, ParticipationStore store, CancellationToken ct)
    {
        var assignment = ctx.User.ParticipantId() is { } pid && await store.FindParticipantAsync(pid, ct) is not null
            ? await store.OwnAssignmentAsync(pid, id, ct)
            : null;
        if (assignment is null)
        {
            return TaskResults.NoSuchAssignment();
        }

        return TypedResults.Ok(new AssignmentView(assignment.Id, assignment.PairId, assignment.CriteriaShown, assignment.Image0OnLeft, assignment.Language, assignment.ServedAt));
    }
}

/// <summary>An assignment as the API returns it to its participant.</summary>
public sealed record AssignmentView(long Id, long PairId, IReadOnlyList<string> CriteriaShown, bool Image0OnLeft, string Language, DateTimeOffset ServedAt);
