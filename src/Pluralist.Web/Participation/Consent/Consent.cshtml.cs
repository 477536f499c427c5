using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Studies.Participation;
using Pluralist.Web.Shared;

namespace Pluralist.Web.Participation.Consent;

/// <summary>The study's consent document and the optional identity questions.</summary>
public sealed class ConsentModel(ParticipationStore store, GiveConsent consent, IdentityAnswers answers) : ParticipantPage(store)
{
    protected override bool BeforeConsent => true;

    public ConsentDocument? Document { get; private set; }

    public MarkersModel Markers { get; private set; } = new([], []);

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await Store.CurrentConsentAsync(Participant.Id, ct) is not null)
        {
            return Redirect("/task");
        }

        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Request.Form["agree"] != "true" || Document is null)
        {
            Error = T("consent-required");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var markers = MarkersModel.Read(Request.Form, Study);
        if (MarkersModel.Problems(Study, markers, Language) is { Count: > 0 } problems)
        {
            // Nothing is recorded, not even the consent: the participant corrects the answers (or unticks their boxes) and agrees again.
            Markers = Markers.WithPost(markers, problems);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await consent.RecordAsync(Participant, Study, Document, Language, markers, ct);
        return Redirect("/task");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Document = GiveConsent.DocumentFor(Study, Language);
        Markers = MarkersModel.For(Study, await answers.ListAsync(Participant.Id, ct));
    }
}
