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
        Markers = MarkersModel.For(Study, await answers.ListAsync(Participant.Id, ct));

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var inputs = MarkersModel.Read(Request.Form, Study);
        if (MarkersModel.Problems(Study, inputs, Language) is { Count: > 0 } problems)
        {
            // Nothing is changed: every answer stays as stored until the form is sent without problems.
            Markers = MarkersModel.For(Study, await answers.ListAsync(Participant.Id, ct)).WithPost(inputs, problems);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await answers.UpdateAsync(Participant.Id, Study, inputs, ct);
        Saved = true;
        Markers = MarkersModel.For(Study, await answers.ListAsync(Participant.Id, ct));
        return Page();
    }
}
