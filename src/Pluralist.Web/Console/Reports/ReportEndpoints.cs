using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;
using Pluralist.Studies.Reports;

namespace Pluralist.Web.Console.Reports;

/// <summary>
/// Downloads of a console report: <c>GET /console/studies/{key}/reports/{job}/report.html</c>, <c>report.json</c> and
/// <c>tables/NAME.csv</c> or <c>.json</c>. Any staff role; each gets its own view (<see cref="ReportAudience"/>): a
/// liaison asking for a table with a row per participant gets 403, never the file.
/// </summary>
public static partial class ReportEndpoints
{
    internal static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/studies/{key}/reports/{job}/{file}", (HttpContext ctx, ReportJobs jobs, string job, string file, CancellationToken ct) => GetAsync(ctx, jobs, job, file, ct)).RequireStaff(Role.Liaison);
        console.MapGet("/studies/{key}/reports/{job}/tables/{file}", (HttpContext ctx, ReportJobs jobs, string job, string file, CancellationToken ct) => GetAsync(ctx, jobs, job, "tables/" + file, ct)).RequireStaff(Role.Liaison);
    }

    // A table named "report" would be its folder's report.json: the table name must differ.
    [GeneratedRegex("^(report\\.(html|json)|tables/(?!report\\.)[a-z0-9_]{1,100}\\.(csv|json))$")]
    private static partial Regex FileName();

    private static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> GetAsync(HttpContext ctx, ReportJobs jobs, string id, string file, CancellationToken ct)
    {
        var access = ConsoleAccess.Of(ctx);
        var study = access.AllowedStudy;
        if (await jobs.FindAsync(study, id, ct) is not { } job)
        {
            return NotFound($"There is no report run '{id}' of this study.");
        }

        if (job.State != ReportJobState.Done || job.Folder is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The report is not ready", detail: $"Report run '{id}' is {job.State.ToString().ToLowerInvariant()}.");
        }

        if (!FileName().IsMatch(file))
        {
            return NotFound($"A report has report.html, report.json and tables/NAME.csv or .json; '{file}' is none of these.");
        }

        var everything = ReportAudience.SeesEverything(access.AllowedStaff.Role);
        // WriteTables puts the tables beside report.json; only report.html and report.json are not tables.
        var name = file.StartsWith("tables/", StringComparison.Ordinal) ? file["tables/".Length..] : file;
        var relative = name;
        var path = Path.Combine(job.Folder, everything ? ReportJobs.Full : ReportJobs.Shared, relative);
        if (!File.Exists(path))
        {
            // Tables with a row per participant are in the researchers' folder only.
            return File.Exists(Path.Combine(job.Folder, ReportJobs.Full, relative))
                ? TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: "This table has a row per participant: it is shown to researchers only.")
                : NotFound($"The report has no file '{file}'.");
        }

        var type = Path.GetExtension(file) switch
        {
            ".csv" => "text/csv; charset=utf-8",
            ".json" => "application/json; charset=utf-8",
            _ => "text/html; charset=utf-8",
        };
        // Always as an attachment: the offline HTML report runs its own inline scripts, which the console's policy forbids.
        return TypedResults.PhysicalFile(path, type, $"{study.Key}-{(everything ? "" : "shared-")}{name}");
    }

    private static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}
