using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Studies.Console;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console;

/// <summary>Why <see cref="ConsoleAccess.CheckAsync"/> refused a request (or <see cref="None"/>).</summary>
public enum ConsoleRefusal
{
    /// <summary>Allowed: a staff member with the role, and the route's study (if any) exists.</summary>
    None,

    /// <summary>Nobody is signed in (pages: the sign-in page; API: 401).</summary>
    SignIn,

    /// <summary>A participant, or staff below the minimum role (403).</summary>
    Role,

    /// <summary>The route names a study that does not exist (404).</summary>
    Study,
}

/// <summary>
/// The one staff check of the research console, shared by the pages (<see cref="ConsolePage"/>) and the
/// console's endpoints (<see cref="ConsoleAccessFilter"/>), in this order: someone is signed in, they are staff with at
/// least <see cref="Minimum"/> (participants never are), and the study named by the route's <c>key</c>, when there is
/// one, exists.
/// </summary>
/// <param name="Staff">The signed-in staff member; null when refused for <see cref="ConsoleRefusal.SignIn"/> or <see cref="ConsoleRefusal.Role"/>.</param>
/// <param name="Study">The route's study; null when the route names none or it was not found.</param>
/// <param name="Refusal">Why the request is refused, or <see cref="ConsoleRefusal.None"/>.</param>
/// <param name="Minimum">The role the page or endpoint declared.</param>
/// <param name="StudyKey">The route's <c>key</c>, when it has one.</param>
public sealed record ConsoleAccess(Participant? Staff, Study? Study, ConsoleRefusal Refusal, Role Minimum, string? StudyKey)
{
    /// <summary>The route value that names a study.</summary>
    public const string StudyRouteKey = "key";

    /// <summary>True when nothing refused the request.</summary>
    public bool Allowed => Refusal == ConsoleRefusal.None;

    /// <summary>Checks the request's user against <paramref name="minimum"/> and resolves the route's study.</summary>
    public static async Task<ConsoleAccess> CheckAsync(HttpContext ctx, Role minimum)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var key = ctx.Request.RouteValues.TryGetValue(StudyRouteKey, out var value) && value is string k ? k : null;
        if (ctx.User.ParticipantId() is not { } id)
        {
            return new(null, null, ConsoleRefusal.SignIn, minimum, key);
        }

        var service = ctx.RequestServices.GetRequiredService<ConsoleService>();
        var staff = await service.FindStaffAsync(id, ctx.RequestAborted);
        if (staff is null || staff.Role < minimum)
        {
            return new(null, null, ConsoleRefusal.Role, minimum, key);
        }

        if (key is null)
        {
            return new(staff, null, ConsoleRefusal.None, minimum, null);
        }

        var study = await service.FindStudyAsync(key, ctx.RequestAborted);
        return new(staff, study, study is null ? ConsoleRefusal.Study : ConsoleRefusal.None, minimum, key);
    }

    /// <summary>The refusal as RFC 9457 problem details (401, 403 or 404); null when allowed.</summary>
    public ProblemHttpResult? Problem() => Refusal switch
    {
        ConsoleRefusal.None => null,
        ConsoleRefusal.SignIn => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in to the console first"),
        ConsoleRefusal.Role => Forbidden(Minimum),
        ConsoleRefusal.Study => NoSuchStudy(StudyKey ?? ""),
        _ => throw new InvalidOperationException($"unknown console refusal {Refusal}"),
    };

    /// <summary>403: the endpoint needs <paramref name="minimum"/> or higher.</summary>
    public static ProblemHttpResult Forbidden(Role minimum) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: $"This needs the {minimum.ToToken()} role or higher.");

    /// <summary>404: no study has <paramref name="key"/>.</summary>
    public static ProblemHttpResult NoSuchStudy(string key) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such study", detail: $"There is no study with key '{key}'.");

    /// <summary>The access <see cref="ConsoleAccessFilter"/> granted this request; throws when the endpoint did not pass through it.</summary>
    public static ConsoleAccess Of(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        return ctx.Features.Get<ConsoleAccess>() is { Allowed: true } access
            ? access
            : throw new InvalidOperationException($"{ctx.GetEndpoint()?.DisplayName ?? ctx.Request.Path}: no console access was granted; map the endpoint in a group with {nameof(ConsoleAccessFilter)} and declare its role with RequireStaff");
    }

    /// <summary>The signed-in staff member (allowed requests only).</summary>
    public Participant AllowedStaff => Staff ?? throw new InvalidOperationException("no staff member: the request was refused");

    /// <summary>The route's study (allowed requests on routes with a <c>key</c> only).</summary>
    public Study AllowedStudy => Study ?? throw new InvalidOperationException("no study: the route names none or the request was refused");
}
