using Microsoft.AspNetCore.Mvc;
using Pluralist.Web.Participation;

namespace Pluralist.Web.Pages;

/// <summary>The pairwise comparison: the next assignment, or a break, or nothing left to do.</summary>
public sealed class TaskModel(ParticipantService service) : ParticipantPage(service)
{
    public NextStep Step { get; private set; } = new NextStep.NoOpenBatch();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Step = await Service.NextAsync(Participant, Study, Language, ct);
        return Step is NextStep.Break ? Redirect("/break") : Page();
    }
}
