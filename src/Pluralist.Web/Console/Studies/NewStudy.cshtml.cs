using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Console;

namespace Pluralist.Web.Console.Studies;

/// <summary>/console/studies/new: researchers create a study, from the LIVS defaults or as a copy of another.</summary>
public sealed class NewStudyModel(ConsoleService service) : ConsolePage(service)
{
    protected override Role MinimumRole => Role.Researcher;

    public IReadOnlyList<StudySummary> Studies { get; private set; } = [];

    /// <summary>Problems by form field id (<c>key</c>, <c>title-en</c>, <c>title-fr</c>, <c>template</c>).</summary>
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
        var template = string.IsNullOrWhiteSpace(Template) ? null : Template;
        foreach (var (field, message) in ConsoleService.ValidateNewStudy(Key, TitleEn, TitleFr, template, Studies))
        {
            Errors[field.Replace('.', '-')] = message;
        }

        Study? study = null;
        if (Errors.Count == 0)
        {
            study = await Service.CreateStudyAsync(Staff, Key,
                LocalizedText.Of(TitleEn!.Trim(), TitleFr!.Trim()),
                LocalizedText.Of(DescriptionEn?.Trim() ?? "", DescriptionFr?.Trim() ?? ""), template, ct);
            if (study is null)
            {
                Errors["key"] = $"A study with the key '{Key}' already exists.";
            }
        }

        if (study is null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        return Redirect($"/console/studies/{study.Key}");
    }
}
