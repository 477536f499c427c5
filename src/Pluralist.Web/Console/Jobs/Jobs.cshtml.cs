using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Data.Jobs;
using Pluralist.Pipeline.Selection;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Jobs;
using Pluralist.Studies.Jobs;

namespace Pluralist.Web.Console.Jobs;

/// <summary>/console/studies/{key}/jobs: researchers start generate-and-select jobs whose selected images go into the study's pool, follow their progress, and see every background job of the study in the queue (reports and rater runs too), whichever instance runs it.</summary>
public sealed class JobsModel(ConsoleService service, PipelineJobs jobs, JobQueue queue, JobCancellation cancellation) : ConsolePage(service)
{
    protected override Role MinimumRole => Role.Researcher;

    public IReadOnlyList<PipelineJob> Jobs { get; private set; } = [];

    /// <summary>Every background job of the study, of any kind, as the queue holds it (newest first).</summary>
    public IReadOnlyList<Job> Queue { get; private set; } = [];

    public List<string> Errors { get; } = [];

    public string? Message { get; private set; }

    /// <summary>The page refreshes itself while a job is queued or running.</summary>
    public bool Active => Jobs.Any(j => j.State is PipelineJobState.Queued or PipelineJobState.Running);

    public async Task OnGetAsync(string? message, CancellationToken ct)
    {
        Message = message;
        Jobs = await jobs.ListAsync(Study!, ct);
        Queue = await queue.ListAsync(null, Study!.Id, 50, ct: ct);
    }

    /// <summary>The Cancel button of a queued or running job of the study (any kind).</summary>
    public Task<IActionResult> OnPostCancelAsync(string? job, CancellationToken ct) => CancelJobAsync(cancellation, job, "jobs", ct);

    public async Task<IActionResult> OnPostAsync(string? prompts, string? language, int variants, int k, int size, long seed, string? embedder, string? method, bool augment, CancellationToken ct)
    {
        var lines = (prompts ?? "").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var errors = new List<string>();
        if (!SelectionMethods.TryParse(method, out var m))
        {
            errors.Add($"method: one of {string.Join(", ", SelectionMethods.All)}.");
        }

        var request = new PipelineJobRequest(Study!.Key, lines, language ?? "", variants, k, size, seed, embedder ?? "", m, augment);
        errors.AddRange(PipelineJobs.Validate(request));
        if (errors.Count > 0)
        {
            Errors.AddRange(errors);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Jobs = await jobs.ListAsync(Study, ct);
            Queue = await queue.ListAsync(null, Study.Id, 50, ct: ct);
            return Page();
        }

        var job = await jobs.StartAsync(Staff.Id, Study, request, ct);
        Service.Audit(Staff, Study, "pipeline.job", new { job = job.Id, prompts = lines.Length, variants, k, embedder, method });
        await Service.Db.SaveChangesAsync(ct);
        return Redirect($"/console/studies/{Study.Key}/jobs?message={Uri.EscapeDataString(string.Create(CultureInfo.InvariantCulture, $"Job {job.Id} started."))}");
    }
}
