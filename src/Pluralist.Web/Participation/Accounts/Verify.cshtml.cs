using Microsoft.AspNetCore.Mvc;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Accounts;

/// <summary>The one-time code from the email, and the password for later visits. Counts in the one sign-in limit.</summary>
public sealed class VerifyModel(ParticipationStore store, AccountService accounts, SignInThrottle throttle) : ParticipantPage(store)
{
    protected override bool BeforeConsent => true;

    protected override bool BeforeAccount => true;

    public string Email { get; private set; } = "";

    /// <summary>Field name to a kind message, in the order the fields appear.</summary>
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public IActionResult OnGet(string? email)
    {
        if (AccountService.NormalizeEmail(email) is not { } address)
        {
            return Redirect("/account/email");
        }

        Email = address;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? email, [FromForm] string? code, [FromForm] string? password, [FromForm] string? password2, CancellationToken ct)
    {
        if (AccountService.NormalizeEmail(email) is not { } address)
        {
            return Redirect("/account/email");
        }

        Email = address;
        if (!await throttle.TryAttemptAsync(HttpContext, address, ct))
        {
            Errors["code"] = T("too-many");
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        // The password is checked first, so a typo in it does not use up a try of the code.
        if ((password ?? "").Length < AccountService.MinPasswordLength)
        {
            Errors["password"] = T("password-short");
        }
        else if (password != password2)
        {
            Errors["password2"] = T("password-mismatch");
        }

        if (Errors.Count == 0)
        {
            switch (await accounts.CheckCodeAsync(address, code, ct))
            {
                case CodeCheck.Ok:
                    if (await accounts.EmailTakenAsync(Study.Id, Participant.Id, address, ct))
                    {
                        Errors["code"] = T("email-taken");
                        break;
                    }

                    await accounts.SetAccountAsync(Participant.Id, address, password!, ct);
                    return Redirect("/consent");
                case CodeCheck.Wrong:
                    Errors["code"] = T("otc-wrong");
                    break;
                case CodeCheck.TooManyTries:
                    Errors["code"] = T("otc-too-many");
                    break;
                default:
                    Errors["code"] = T("otc-none");
                    break;
            }
        }

        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
