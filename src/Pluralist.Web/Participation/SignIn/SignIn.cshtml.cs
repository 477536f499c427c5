using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.Participation.Accounts;
using Pluralist.Web.Participation.Tasks;

namespace Pluralist.Web.Participation.SignIn;

/// <summary>
/// Coming back with the email address and password (studies with RequireEmail). Participants only: a staff
/// account is refused with the same message as a wrong password. Attempts count in the one sign-in limit
/// (per client address and per account), shared with the console's sign-in.
/// </summary>
public sealed class SignInModel(AccountService accounts, SignInThrottle throttle) : PageModel
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
        if (!await throttle.TryAttemptAsync(HttpContext, email, ct))
        {
            Error = Texts.Get("too-many", Language);
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

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
