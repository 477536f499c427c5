using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.Break;

/// <summary>The rest screen after the session cap.</summary>
public sealed class BreakModel(ParticipationStore store, SessionProgress sessions) : ParticipantPage(store)
{
    public int Answers { get; private set; }

    public string UntilText { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var batch = ParticipationStore.OpenBatch(Study, Store.Now);
        if (batch is null)
        {
            return Redirect("/task");
        }

        var (progress, until) = await sessions.ProgressAsync(Participant.Id, Study, batch, Store.Now, ct);
        if (until is null)
        {
            return Redirect("/task");
        }

        Answers = progress.InSession;
        var minutes = Math.Max(1, (int)Math.Ceiling((until.Value - Store.Now).TotalMinutes));
        UntilText = minutes.ToString(CultureInfo.InvariantCulture);
        return Page();
    }
}
