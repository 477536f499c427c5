using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Analysis.Reports;
using Pluralist.Studies.Console;
using Pluralist.Studies.Jobs;
using Pluralist.Studies.Reports;

namespace Pluralist.Web.Console.Reports;

/// <summary>
/// /console/studies/{key}/reports: runs the study report (what <c>pluralist analyze study</c> writes) as a background job,
/// follows its progress and shows it, with each table and the whole report to download. Researchers see everything;
/// liaisons see the report without its per-participant tables and charts (<see cref="ReportAudience"/>).
/// </summary>
public sealed class ReportsModel(ConsoleService service, ReportJobs jobs, JobCancellation cancellation) : ConsolePage(service)
{
    /// <summary>Rows of a table shown on the page; the CSV has them all.</summary>
    public const int RowsShown = 100;

    public IReadOnlyList<ReportJob> Jobs { get; private set; } = [];

    /// <summary>Reports built before the job queue existed, offered for download (<see cref="ReportJobs.ListEarlierAsync"/>).</summary>
    public IReadOnlyList<ReportJob> Earlier { get; private set; } = [];

    /// <summary>The newest job, if any.</summary>
    public ReportJob? Latest => Jobs.Count > 0 ? Jobs[0] : null;

    /// <summary>The newest finished report as the staff member's role may see it.</summary>
    public StudyReport? Report { get; private set; }

    public ReportJob? ReportJob { get; private set; }

    public string? Message { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The page refreshes itself while a report is queued or running.</summary>
    public bool Active => Jobs.Any(j => j.Active);

    public bool SeesEverything => ReportAudience.SeesEverything(Staff.Role);

    public async Task OnGetAsync(string? message, CancellationToken ct)
    {
        Message = message;
        await LoadAsync(ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var (job, running) = await jobs.StartAsync(Staff.Id, Study!, ct);
        if (job is null)
        {
            Error = running is null ? "A report of this study was started and finished meanwhile; start it again." : string.Create(CultureInfo.InvariantCulture,
                $"A report of this study is already {(running.State == ReportJobState.Queued ? "waiting to run" : "running")} (started {running.CreatedAt:yyyy-MM-dd HH:mm} UTC, {running.Done} of {Math.Max(running.Total, 1)} steps done). Wait until it has finished, then start another.");
            Response.StatusCode = StatusCodes.Status409Conflict;
            await LoadAsync(ct);
            return Page();
        }

        Service.Audit(Staff, Study, "report.run", new { job = job.Id });
        await Service.Db.SaveChangesAsync(ct);
        return Redirect($"/console/studies/{Study!.Key}/reports?message={Uri.EscapeDataString($"Report {job.Id} started.")}");
    }

    /// <summary>The Cancel button of a queued or running report (researchers only).</summary>
    public Task<IActionResult> OnPostCancelAsync(string? job, CancellationToken ct) => CancelJobAsync(cancellation, job, "reports", ct);

    /// <summary>The link of a file of a job's report (<c>report.html</c>, <c>report.json</c>, <c>tables/NAME.csv</c>).</summary>
    public string FileUrl(ReportJob job, string file) =>
        $"/console/studies/{Uri.EscapeDataString(Study!.Key)}/reports/{Uri.EscapeDataString(job.Id)}/{file}";

    /// <summary>The charts' specs by element id, for console-report.js (script-safe JSON).</summary>
    public string ChartData()
    {
        var all = new JsonObject();
        foreach (var c in Report?.Sections.SelectMany(s => s.Charts) ?? [])
        {
            all["chart-" + c.Id] = c.Spec.DeepClone();
        }

        return all.ToJsonString(new JsonSerializerOptions { WriteIndented = false }).Replace("<", "\\u003c", StringComparison.Ordinal);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Jobs = await jobs.ListAsync(Study!, ct);
        Earlier = await jobs.ListEarlierAsync(Study!, ct);
        // The newest finished report whose files are still there (any instance may have built it).
        foreach (var done in Jobs.Where(j => j.State == ReportJobState.Done))
        {
            if (ReportJobs.LoadReport(done) is { } full)
            {
                ReportJob = done;
                Report = ReportAudience.For(full, Staff.Role);
                break;
            }
        }
    }
}
