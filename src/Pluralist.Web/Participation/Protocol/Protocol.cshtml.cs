using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Protocol;

/// <summary>
/// <c>/protocol</c>: how the study works (LIVS App. D: what to do, expected time, device advice, judge the space not the
/// people) and its contact. The signed-in participant's study; before joining, <c>?study=KEY</c>.
/// </summary>
public sealed class ProtocolModel(ParticipationStore store) : PageModel
{
    public string Title { get; private set; } = "";

    /// <summary>The study's own text split into paragraphs; empty: the app's default text.</summary>
    public IReadOnlyList<string> Paragraphs { get; private set; } = [];

    public string Contact { get; private set; } = "";

    public bool SignedIn { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? study, CancellationToken ct)
    {
        Study? found = null;
        if (User.ParticipantId() is { } pid && await store.FindParticipantAsync(pid, ct) is { } participant)
        {
            SignedIn = true;
            found = await store.StudyOfAsync(participant, ct);
            ViewData["Consented"] = await store.CurrentConsentAsync(participant.Id, ct) is not null;
        }
        else if (study is not null && StudyKeys.Problem(study) is null)
        {
            found = await StudyStore.FindByKeyAsync(store.Db, study, ct);
        }

        if (found is null)
        {
            return NotFound();
        }

        var lang = Lang.Of(HttpContext);
        Title = found.Title.Get(lang);
        var text = found.Protocol.Has(lang) ? found.Protocol[lang] : "";
        Paragraphs = [.. text.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        Contact = found.Contact;
        return Page();
    }
}
