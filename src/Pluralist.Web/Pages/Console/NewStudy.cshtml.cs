using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Bundles;
using Pluralist.Web.ResearchConsole;

namespace Pluralist.Web.Pages.Console;

/// <summary>/console/studies/new: researchers create a study, from the LIVS defaults or as a copy of another.</summary>
public sealed class NewStudyModel(ConsoleService service) : ConsolePage(service)
{
    protected override Role MinimumRole => Role.Researcher;

    public IReadOnlyList<StudySummary> Studies { get; private set; } = [];

    public Dictionary<string, string> Errors { get; } = [];

    [BindProperty] public string? Key { get; set; }
    [BindProperty] public string? TitleEn { get; set; }
    [BindProperty] public string? TitleFr { get; set; }
    [BindProperty] public string? DescriptionEn { get; set; }
    [BindProperty] public string? DescriptionFr { get; set; }
    [BindProperty] public string? Template { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => Studies = await Service.StudiesAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Studies = await Service.StudiesAsync(ct);
        Key = Key?.Trim() ?? "";
        if (!BundleFormat.IsKey(Key))
        {
            Errors["key"] = "The key must be lower-case letters, digits and '-' (for example montreal-parks-2025).";
        }
        else if (Studies.Any(s => s.Key == Key))
        {
            Errors["key"] = $"A study with the key '{Key}' already exists.";
        }

        if (string.IsNullOrWhiteSpace(TitleEn))
        {
            Errors["title-en"] = "A title in English is required.";
        }

        if (string.IsNullOrWhiteSpace(TitleFr))
        {
            Errors["title-fr"] = "A title in French is required.";
        }

        var template = string.IsNullOrWhiteSpace(Template) ? null : Template;
        if (template is not null && Studies.All(s => s.Key != template))
        {
            Errors["template"] = $"There is no study '{template}' to copy.";
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var study = await Service.CreateStudyAsync(Staff, Key,
            LocalizedText.Of(TitleEn!.Trim(), TitleFr!.Trim()),
            LocalizedText.Of(DescriptionEn?.Trim() ?? "", DescriptionFr?.Trim() ?? ""), template, ct);
        return Redirect($"/console/studies/{study.Key}");
    }
}
