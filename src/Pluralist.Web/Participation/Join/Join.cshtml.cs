using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.Participation.Tasks;

namespace Pluralist.Web.Participation.Join;

/// <summary>POST /join: uses an invitation code. Rate-limited per client address.</summary>
[EnableRateLimiting(WebSetup.CodePolicy)]
public sealed class JoinModel(JoinStudy join) : PageModel
{
    public string? Code { get; private set; }

    public string? Error { get; private set; }

    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync([FromForm] string? code, CancellationToken ct)
    {
        var lang = Lang.Of(HttpContext);
        Code = code;
        var result = await join.JoinAsync(code ?? "", lang, ct);
        if (result.Outcome == JoinOutcome.Joined)
        {
            await ParticipantApi.SignInAsync(HttpContext, result.Participant!);
            Lang.Set(HttpContext, lang);
            return Redirect("/consent");
        }

        Error = Texts.Get(result.Outcome switch
        {
            JoinOutcome.Expired => "code-expired",
            JoinOutcome.Used => "code-used",
            _ => "code-unknown",
        }, lang);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
