using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.Withdraw;

/// <summary>Leaving the study: markers erased, annotations kept or deleted as the study says.</summary>
public sealed class WithdrawModel(ParticipationStore store, Withdrawal withdrawal, PanelExits exits) : ParticipantPage(store)
{
    /// <summary>TempData keys that carry the panel's withdrawn code and return URL to <c>/withdrawn</c>, for this browser only.</summary>
    public const string PanelCodeKey = "panel-withdrawn-code";

    public const string PanelUrlKey = "panel-withdrawn-url";

    protected override bool BeforeConsent => true;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        // Read before withdrawing: a participant who came from a panel leaves with the code or link the
        // researcher set for "withdrawn", shown once on /withdrawn (TempData: a protected cookie, read once).
        var leaving = await exits.LeavingAsync(Participant.Id, Study, PanelOutcome.Withdrawn, ct);
        await withdrawal.WithdrawAsync(Participant, Study, ct);
        await HttpContext.SignOutAsync();
        if (leaving is not null)
        {
            TempData[PanelCodeKey] = leaving.Exit?.Code ?? "";
            TempData[PanelUrlKey] = leaving.Exit?.RedirectUrl ?? "";
        }

        return Redirect(Study.WithdrawalPolicy == WithdrawalPolicy.DeleteAnnotations ? "/withdrawn?deleted=1" : "/withdrawn");
    }
}
