using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.Participation.Tasks;

namespace Pluralist.Web.Participation.Panel;

/// <summary>
/// <c>/panel/{study}?PROLIFIC_PID=…</c>: entry from a recruitment panel, without an invitation code. The GET checks the
/// study and the ids and shows a start button; the POST (CSRF-protected, so no other site can sign a browser in under
/// an id of its choosing) makes or resumes the participant. Rate-limited per client address like codes.
/// </summary>
[EnableRateLimiting(WebSetup.CodePolicy)]
public sealed class PanelModel(PanelEntrance entrance, PluralistDbContext db) : PageModel
{
    public string StudyKey { get; private set; } = "";

    public string Title { get; private set; } = "";

    /// <summary>The ids to carry to the POST, in the study's order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Ids { get; private set; } = [];

    /// <summary>Problems with the ids, as text, by parameter.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Errors { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string study, CancellationToken ct)
    {
        StudyKey = study;
        var found = StudyKeys.Problem(study) is null ? await StudyStore.FindByKeyAsync(db, study, ct) : null;
        if (found?.Panel is not { } panel)
        {
            return NotFound();
        }

        Title = found.Title.Get(Lang.Of(HttpContext));
        var problems = Check(panel);
        if (problems.Count > 0)
        {
            Errors = problems;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        Ids = [.. panel.Parameters.Select(p => new KeyValuePair<string, string>(p, Request.Query[p].ToString()))];
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string study, CancellationToken ct)
    {
        StudyKey = study;
        var lang = Lang.Of(HttpContext);
        var query = Request.Form.Keys.Where(k => k != "__RequestVerificationToken")
            .ToDictionary(k => k, k => Request.Form[k].ToArray(), StringComparer.OrdinalIgnoreCase);
        var result = await entrance.EnterAsync(study, query, lang, ct);
        switch (result.Outcome)
        {
            case PanelEntryOutcome.Entered:
                await ParticipantApi.SignInAsync(HttpContext, result.Participant!);
                Lang.Set(HttpContext, result.Participant!.PreferredLanguage);
                return Redirect(result.Participant.WithdrawnAt is null ? "/consent" : "/withdrawn");
            case PanelEntryOutcome.BadIds:
                Errors = [.. result.Errors.Select(e => new KeyValuePair<string, string>(e.Field, Texts.Format(e.Code, lang, e.Field, PanelSettings.MaxIdLength)))];
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
            default:
                return NotFound();
        }
    }

    private List<KeyValuePair<string, string>> Check(PanelSettings panel)
    {
        var lang = Lang.Of(HttpContext);
        var errors = new List<KeyValuePair<string, string>>();
        foreach (var name in panel.Parameters)
        {
            var values = Request.Query[name];
            var code = values.Count > 1 ? "panel-id-twice"
                : values.Count == 0 || string.IsNullOrEmpty(values[0]) ? "panel-id-missing"
                : PanelSettings.IdProblem(values[0]) is not null ? "panel-id-invalid"
                : null;
            if (code is not null)
            {
                errors.Add(new(name, Texts.Format(code, lang, name, PanelSettings.MaxIdLength)));
            }
        }

        return errors;
    }
}
