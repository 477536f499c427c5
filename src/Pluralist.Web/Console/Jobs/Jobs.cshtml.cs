using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Pipeline.Selection;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Jobs;

namespace Pluralist.Web.Console.Jobs;

/// <summary>/console/studies/{key}/jobs: researchers start generate-and-select jobs whose selected images go into the study's pool, and follow their progress.</summary>
public sealed class JobsModel(ConsoleService service, PipelineJobs jobs) : ConsolePage(service)
{
    protected override Role MinimumRole => Role.Researcher;

    public IReadOnlyList<PipelineJob> Jobs { get; private set; } = [];

    public List<string> Errors { get; } = [];

    public string? Message { get; private set; }

    /// <summary>The page refreshes itself while a job is queued or running.</summary>
    public bool Active => Jobs.Any(j => j.State is PipelineJobState.Queued or PipelineJobState.Running);

    public void OnGet(string? message)
    {
        Message = message;
        Jobs = jobs.List(Study!.Key);
    }

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
            Jobs = jobs.List(Study.Key);
            return Page();
        }

        var job = jobs.Start(Staff.Id, request);
        Service.Audit(Staff, Study, "pipeline.job", new { job = job.Id, prompts = lines.Length, variants, k, embedder, method });
        await Service.Db.SaveChangesAsync(ct);
        return Redirect($"/console/studies/{Study.Key}/jobs?message={Uri.EscapeDataString(string.Create(CultureInfo.InvariantCulture, $"Job {job.Id} started."))}");
    }
}
