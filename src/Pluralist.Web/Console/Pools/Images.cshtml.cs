using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Imports;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Pairs;
using Pluralist.Studies.Console.Pools;

namespace Pluralist.Web.Console.Pools;

/// <summary>/console/studies/{key}/images: the pool grid; researchers upload, exclude and build pairs.</summary>
[UploadLimits("Upload=zip", "ImportPairs=csv")]
public sealed class ImagesModel(ConsoleService service, PoolUploads pools, PairBuilder pairBuilder, IOptions<ImportLimits> options) : ConsolePage(service)
{
    public IReadOnlyList<PoolEntry> Entries { get; private set; } = [];

    public List<string> Errors { get; } = [];

    public string? Message { get; private set; }

    public async Task OnGetAsync(string? message, CancellationToken ct)
    {
        Message = message;
        Entries = await pools.ListAsync(Study!, ct);
    }

    public async Task<IActionResult> OnPostUploadAsync(IFormFile? zip, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        var limits = options.Value;
        var errors = new ImportErrors(limits.MaxReportedErrors);
        if (zip is null || zip.Length == 0)
        {
            Errors.Add("Choose a .zip file.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Entries = await pools.ListAsync(Study!, ct);
            return Page();
        }

        // The form reader keeps the file in a temporary file; the archive is read from there, entry by entry.
        await using var stream = zip.OpenReadStream();
        using var upload = PoolUploads.ReadUpload(stream, limits, errors);
        if (errors.Count > 0)
        {
            Errors.AddRange(errors.Lines());
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Entries = await pools.ListAsync(Study!, ct);
            return Page();
        }

        var added = await pools.AddAsync(Staff, Study!, upload, ct);
        return Redirect($"/console/studies/{Study!.Key}/images?message={Uri.EscapeDataString($"{added} images added.")}");
    }

    public async Task<IActionResult> OnPostPairsAsync(int? perPrompt, int seed, long? batch, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        if (perPrompt is < 1 || (batch is { } b && Study!.Batches.All(x => x.Id != b)))
        {
            Errors.Add(perPrompt is < 1 ? "Pairs per prompt must be at least 1, or empty for all pairs." : "Choose a batch of this study.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Entries = await pools.ListAsync(Study!, ct);
            return Page();
        }

        var made = await pairBuilder.BuildPairsAsync(Staff, Study!, perPrompt, seed, batch, ct);
        return Redirect($"/console/studies/{Study!.Key}/images?message={Uri.EscapeDataString($"{made} pairs built.")}");
    }

    public async Task<IActionResult> OnPostImportPairsAsync(IFormFile? file, bool withinPrompt, long? batch, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        var limits = options.Value;
        var errors = new ImportErrors(limits.MaxReportedErrors);
        IReadOnlyList<Pair> pairs = [];
        if (batch is { } b && Study!.Batches.All(x => x.Id != b))
        {
            Errors.Add("Choose a batch of this study.");
        }
        else if (file is null || file.Length == 0)
        {
            Errors.Add("Choose a CSV file of pairs.");
        }
        else if (file.Length > limits.MaxCsvUploadBytes)
        {
            Errors.Add($"The file is larger than {ImportLimits.Size(limits.MaxCsvUploadBytes)} ({ImportLimits.Section}:{nameof(ImportLimits.MaxCsvUploadBytes)}).");
        }
        else
        {
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, ct);
            var text = StrictUtf8.TryDecode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), PairBuilder.PairsCsv, out var encoding);
            if (text is null)
            {
                errors.Add(encoding!);
            }
            else
            {
                pairs = await pairBuilder.ReadPairsAsync(Study!, text, withinPrompt, batch, errors, ct);
            }

            Errors.AddRange(errors.Lines());
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Entries = await pools.ListAsync(Study!, ct);
            return Page();
        }

        var made = await pairBuilder.AddPairsAsync(Staff, Study!, pairs, batch, ct);
        return Redirect($"/console/studies/{Study!.Key}/images?message={Uri.EscapeDataString($"{made} pairs imported.")}");
    }

    public async Task<IActionResult> OnPostExcludeAsync(long image, bool excluded, CancellationToken ct)
    {
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        await pools.SetExcludedAsync(Staff, Study!, image, excluded, ct);
        return Redirect($"/console/studies/{Study!.Key}/images?message={Uri.EscapeDataString($"Image {image} {(excluded ? "excluded" : "included again")}.")}");
    }
}
