using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Studies.Console.Monitoring;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Console.Progress;

/// <summary>The console's progress endpoint and the chart scripts the progress page loads.</summary>
public static class ProgressEndpoints
{
    internal static void Map(RouteGroupBuilder api, RouteGroupBuilder console)
    {
        api.MapGet("/studies/{key}/progress", ProgressAsync).RequireStaff(Role.Liaison);
        // Open-source chart scripts, nothing about any study.
        console.MapGet("/assets/{name}", Asset).AllowAnonymous();
    }

    private static async Task<Ok<StudyProgressReport>> ProgressAsync(HttpContext ctx, ReadDatabase read, long? batch)
    {
        await using var db = read.CreateContext();
        return TypedResults.Ok(await StudyProgress.ComputeAsync(db, ConsoleAccess.Of(ctx).AllowedStudy, batch, ctx.RequestAborted));
    }

    // Vega, Vega-Lite and vega-embed, from the builds embedded in Pluralist.Analysis (npm, no CDN).
    private static Results<ContentHttpResult, NotFound> Asset(HttpContext ctx, string name)
    {
        if (!Pluralist.Analysis.Reports.ReportHtml.Scripts.Contains(name))
        {
            return TypedResults.NotFound();
        }

        ctx.Response.Headers.CacheControl = "public, max-age=86400";
        return TypedResults.Text(Pluralist.Analysis.Reports.ReportHtml.Script(name), "text/javascript; charset=utf-8");
    }
}
