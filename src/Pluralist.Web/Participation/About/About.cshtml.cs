using Microsoft.AspNetCore.Mvc;
using Pluralist.Studies.Participation;
using Pluralist.Web.Shared;

namespace Pluralist.Web.Participation.About;

/// <summary>See, change or erase one's identity answers.</summary>
public sealed class AboutModel(ParticipationStore store, IdentityAnswers answers) : ParticipantPage(store)
{
    public MarkersModel Markers { get; private set; } = new([], []);

    public bool Saved { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) =>
        Markers = new MarkersModel(Study.IdentityMarkers, await answers.ListAsync(Participant.Id, ct));

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await answers.UpdateAsync(Participant.Id, Study, MarkersModel.Read(Request.Form, Study.IdentityMarkers), ct);
        Saved = true;
        Markers = new MarkersModel(Study.IdentityMarkers, await answers.ListAsync(Participant.Id, ct));
        return Page();
    }
}
