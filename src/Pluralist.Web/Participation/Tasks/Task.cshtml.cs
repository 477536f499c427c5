using Microsoft.AspNetCore.Mvc;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>The pairwise comparison: the next assignment, or a break, or nothing left to do.</summary>
public sealed class TaskModel(ParticipationStore store, NextAssignment next, NextRating ratings, PanelExits exits) : ParticipantPage(store)
{
    public NextStep Step { get; private set; } = new NextStep.NoOpenBatch();

    /// <summary>For a participant who came from a panel and has nothing left: the outcome and its code or URL.</summary>
    public PanelLeaving? Leaving { get; private set; }

    // change: an answered assignment to reopen from the history page.
    // rate: a rated image to reopen from the history page.
    public async Task<IActionResult> OnGetAsync(long? change, long? rate, CancellationToken ct)
    {
        if (rate is { } image)
        {
            if (await ratings.ChangeAsync(Participant, Study, image, Language, ct) is not { } rating)
            {
                return Redirect("/history");
            }

            Step = rating;
            return Page();
        }

        if (change is { } id)
        {
            if (await next.ChangeAsync(Participant, Study, id, Language, ct) is not { } step)
            {
                return Redirect("/history");
            }

            Step = step;
            return Page();
        }

        Step = await next.NextAsync(Participant, Study, Language, ct);
        if (Step is NextStep.AllDone done)
        {
            Leaving = await exits.LeavingAsync(Participant.Id, Study, PanelExits.OutcomeOf(Study, done), ct);
        }

        return Step is NextStep.Break ? Redirect("/break") : Page();
    }
}
