using Microsoft.AspNetCore.Mvc;
using Pluralist.Web.Participation;

namespace Pluralist.Web.Pages;

/// <summary>See, change or erase one's identity answers.</summary>
public sealed class AboutModel(ParticipantService service) : ParticipantPage(service)
{
    public MarkersModel Markers { get; private set; } = new([], []);

    public bool Saved { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) =>
        Markers = new MarkersModel(Study.IdentityMarkers, await Service.MarkersAsync(Participant.Id, ct));

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await Service.UpdateMarkersAsync(Participant.Id, Study, MarkersModel.Read(Request.Form, Study.IdentityMarkers), ct);
        Saved = true;
        Markers = new MarkersModel(Study.IdentityMarkers, await Service.MarkersAsync(Participant.Id, ct));
        return Page();
    }
}
