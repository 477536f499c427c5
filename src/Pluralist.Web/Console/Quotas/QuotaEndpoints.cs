using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Quotas;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.Quotas;

/// <summary>The console's quota endpoints: read the fill, set or remove a study's group quotas.</summary>
public static class QuotaEndpoints
{
    internal static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/studies/{key}/quotas", QuotasAsync).RequireStaff(Role.Liaison);
        api.MapPut("/studies/{key}/quotas", SetQuotasAsync).RequireStaff(Role.Researcher);
        api.MapDelete("/studies/{key}/quotas", RemoveQuotasAsync).RequireStaff(Role.Researcher);
    }

    private static async Task<Ok<QuotaReport>> QuotasAsync(HttpContext ctx, ConsoleService service) =>
        TypedResults.Ok(await QuotaFill.ComputeAsync(service.Db, ConsoleAccess.Of(ctx).AllowedStudy, ctx.RequestAborted));

    private static async Task<Results<Ok<QuotaSettings>, ValidationProblem, ProblemHttpResult>> SetQuotasAsync(HttpContext ctx, ConsoleService service, QuotaSettings request)
    {
        var access = ConsoleAccess.Of(ctx);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        var quotas = request.ToQuotas();
        var problems = Core.Assignments.QuotaPicker.Problems(quotas, access.AllowedStudy.IdentityMarkers);
        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()));
        }

        await service.SetQuotasAsync(access.AllowedStaff, access.AllowedStudy, quotas, ctx.RequestAborted);
        return TypedResults.Ok(QuotaSettings.Of(quotas));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveQuotasAsync(HttpContext ctx, ConsoleService service)
    {
        var access = ConsoleAccess.Of(ctx);
        if (await WebSetup.CheckCsrfAsync(ctx) is { } csrf)
        {
            return csrf;
        }

        await service.SetQuotasAsync(access.AllowedStaff, access.AllowedStudy, null, ctx.RequestAborted);
        return TypedResults.NoContent();
    }
}
