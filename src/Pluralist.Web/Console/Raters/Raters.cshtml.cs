using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Studies;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Jobs;
using Pluralist.Studies.Jobs;
using Pluralist.Studies.Raters;

namespace Pluralist.Web.Console.Raters;

/// <summary>
/// /console/studies/{key}/raters: the study's synthetic runs, one run compared with the people (what
/// <c>raters compare</c> prints: per group and intersection, r with and without persona, bootstrap intervals, the groups
/// represented worst, the GAI beside the people's), and the offline rater started as a background job.
/// </summary>
public sealed class RatersModel(ConsoleService service, RaterJobs jobs, JobCancellation cancellation) : ConsolePage(service)
{
    /// <summary>Resampling on the page: enough for stable intervals, few enough to answer in a second on the demo.</summary>
    public const int Replicates = 1000;

    public const int Permutations = 200;

    protected override Role MinimumRole => Role.Researcher;

    public IReadOnlyList<SyntheticRun> Runs { get; private set; } = [];

    public IReadOnlyList<RaterJob> Jobs { get; private set; } = [];

    public RaterComparison.Result? Comparison { get; private set; }

    public List<string> Errors { get; } = [];

    public string? Message { get; private set; }

    public bool Active => Jobs.Any(j => j.State is PipelineJobState.Queued or PipelineJobState.Running);

    public async Task<IActionResult> OnGetAsync(string? run, string? message, CancellationToken ct)
    {
        Message = message;
        await LoadAsync(ct);
        if (run is not null)
        {
            if (Runs.All(r => r.Name != run))
            {
                Errors.Add($"run: this study has no synthetic run '{run}'.");
                Response.StatusCode = StatusCodes.Status404NotFound;
                return Page();
            }

            try
            {
                Comparison = await RaterComparison.CompareAsync(Service.Db, new RaterComparison.Request
                {
                    Study = Study!.Key,
                    Run = run,
                    Replicates = Replicates,
                    Permutations = Permutations,
                }, ct);
            }
            catch (StudyInputException e)
            {
                Errors.Add(e.Message);
            }
        }

        return Page();
    }

    /// <summary>The Cancel button of a queued or running rater job.</summary>
    public Task<IActionResult> OnPostCancelAsync(string? job, CancellationToken ct) => CancelJobAsync(cancellation, job, "raters", ct);

    public async Task<IActionResult> OnPostAsync(string? personas, string? items, CancellationToken ct)
    {
        int? count = null;
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(items))
        {
            if (int.TryParse(items, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                count = n;
            }
            else
            {
                errors.Add("items: a whole number, or empty for all.");
            }
        }

        var request = new RaterJobRequest(Study!.Key, personas ?? "", count);
        if (errors.Count == 0)
        {
            errors.AddRange(RaterJobs.Validate(request));
        }

        if (errors.Count > 0)
        {
            Errors.AddRange(errors);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(ct);
            return Page();
        }

        var job = await jobs.StartAsync(Staff.Id, Study, request, ct);
        Service.Audit(Staff, Study, "raters.job", new { job = job.Id, personas = request.Personas, items = request.Items });
        await Service.Db.SaveChangesAsync(ct);
        return Redirect($"/console/studies/{Study.Key}/raters?message={Uri.EscapeDataString($"Job {job.Id} started.")}");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Runs = await Service.Db.SyntheticRuns.AsNoTracking().Where(r => r.StudyId == Study!.Id).OrderBy(r => r.Id).ToListAsync(ct);
        Jobs = await jobs.ListAsync(Study!, ct);
    }
}
