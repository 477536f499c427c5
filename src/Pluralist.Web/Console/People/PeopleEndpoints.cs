using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Studies.Console;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.People;

/// <summary>The console's people endpoint: a new invitation code for a participant who lost theirs.</summary>
public static class PeopleEndpoints
{
    internal static void Map(RouteGroupBuilder api)
    {
        // Liaisons may: they hand out codes.
        api.MapPost("/studies/{key}/participants/{pseudonym}/code", ResetCodeAsync).RequireStaff(Role.Liaison);
    }

    /// <summary>A participant's new code.</summary>
    public sealed record CodeReset(string Participant, string Code, DateTimeOffset ExpiresAt);

    /// <summary>A new code for a participant who lost theirs; the old ones stop working.</summary>
    private static async Task<Results<Ok<CodeReset>, ProblemHttpResult>> ResetCodeAsync(HttpContext ctx, ConsoleService service, string key, string pseudonym)
    {
        var access = ConsoleAccess.Of(ctx);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var made = await service.ResetCodeAsync(access.AllowedStaff, access.AllowedStudy, pseudonym, PeopleModel.ResetDays, ctx.RequestAborted);
        return made is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such participant", detail: $"There is no participant '{pseudonym}' in '{key}' who has not withdrawn.")
            : TypedResults.Ok(new CodeReset(pseudonym, made.Code, made.ExpiresAt));
    }
}
