using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Accounts;

/// <summary>Studies with RequireEmail: the participant gives an email address and gets a one-time code. Counts in the one sign-in limit.</summary>
public sealed class EmailModel(ParticipationStore store, AccountService accounts, SignInThrottle throttle) : ParticipantPage(store)
{
    protected override bool BeforeConsent => true;

    protected override bool BeforeAccount => true;

    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public IActionResult OnGet() => Study.RequireEmail ? Page() : Redirect("/task");

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, CancellationToken ct)
    {
        Email = email;
        if (!await throttle.TryAttemptAsync(HttpContext, email, ct))
        {
            Refuse("too-many");
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        var address = AccountService.NormalizeEmail(email);
        if (address is null)
        {
            return Refuse("email-invalid");
        }

        if (await accounts.EmailTakenAsync(Study.Id, Participant.Id, address, ct))
        {
            return Refuse("email-taken");
        }

        if (!await accounts.SendCodeAsync(address, Language, ct))
        {
            return Refuse("email-too-many");
        }

        return Redirect("/account/verify?email=" + Uri.EscapeDataString(address));
    }

    private PageResult Refuse(string key)
    {
        Error = T(key);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
