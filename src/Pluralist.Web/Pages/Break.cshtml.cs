using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Web.Participation;

namespace Pluralist.Web.Pages;

/// <summary>The rest screen after the session cap.</summary>
public sealed class BreakModel(ParticipantService service) : ParticipantPage(service)
{
    public int Answers { get; private set; }

    public string UntilText { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var batch = ParticipantService.OpenBatch(Study, Service.Now);
        if (batch is null)
        {
            return Redirect("/task");
        }

        var (progress, until) = await Service.ProgressAsync(Participant.Id, Study, batch, Service.Now, ct);
        if (until is null)
        {
            return Redirect("/task");
        }

        Answers = progress.InSession;
        var minutes = Math.Max(1, (int)Math.Ceiling((until.Value - Service.Now).TotalMinutes));
        UntilText = minutes.ToString(CultureInfo.InvariantCulture);
        return Page();
    }
}
