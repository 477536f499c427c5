using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Console;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.Participation.Tasks;

namespace Pluralist.Web.Console.SignIn;

/// <summary>Staff sign-in with email and password; attempts count in the one sign-in limit (per client address and per account).</summary>
public sealed class LoginModel(ConsoleService service, SignInThrottle throttle) : PageModel
{
    public string? Email { get; private set; }

    public string Back { get; private set; } = "/console";

    public string? Error { get; private set; }

    public void OnGet(string? back) => Back = SafeBack(back);

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, [FromForm] string? password, [FromForm] string? back, CancellationToken ct)
    {
        Email = email;
        Back = SafeBack(back);
        if (!await throttle.TryAttemptAsync(HttpContext, email, ct))
        {
            Error = "Too many sign-in attempts. Wait one minute, then try again.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        var staff = await StaffAccounts.VerifyAsync(service.Db, email ?? "", password ?? "", ct);
        if (staff is null)
        {
            Error = "This email and password do not match a console account.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        await ParticipantApi.SignInAsync(HttpContext, staff);
        return LocalRedirect(Back);
    }

    // Only console paths of this site: no open redirect.
    private static string SafeBack(string? back) =>
        LocalUrl.IsLocal(back) && back!.StartsWith("/console", StringComparison.Ordinal) ? back : "/console";
}
