using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Pluralist.Core.Model;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.Withdraw;

/// <summary>Leaving the study: markers erased, annotations kept or deleted as the study says.</summary>
public sealed class WithdrawModel(ParticipationStore store, Withdrawal withdrawal) : ParticipantPage(store)
{
    protected override bool BeforeConsent => true;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await withdrawal.WithdrawAsync(Participant, Study, ct);
        await HttpContext.SignOutAsync();
        return Redirect(Study.WithdrawalPolicy == WithdrawalPolicy.DeleteAnnotations ? "/withdrawn?deleted=1" : "/withdrawn");
    }
}
