using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Pluralist.Web.Accounts;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.Participation;

namespace Pluralist.Web.Pages;

/// <summary>Coming back with the email address and password (studies with RequireEmail). Rate-limited per client address.</summary>
[EnableRateLimiting(WebSetup.SignInPolicy)]
public sealed class SignInModel(AccountService accounts) : PageModel
{
    public string Language => Lang.Of(HttpContext);

    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, [FromForm] string? password, CancellationToken ct)
    {
        Email = email;
        if (await accounts.SignInAsync(email, password, ct) is { } participant)
        {
            await ParticipantApi.SignInAsync(HttpContext, participant);
            return Redirect("/task");
        }

        Error = Texts.Get("signin-failed", Language);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
