using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Errors;

/// <summary>
/// What an error looks like: re-executed here for an unhandled exception (500) and for an empty error
/// response (status code pages). Pages get a short page in the person's language, the JSON API problem
/// details (RFC 9457); never an exception's text or stack trace.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    /// <summary>Whether the failed request was for the console (English page, console layout).</summary>
    public bool ForConsole { get; private set; }

    public string Message => ForConsole ? Status switch
    {
        404 => "There is no such page, or no such study.",
        403 => "Your account does not have the role this page needs.",
        >= 500 => "Something went wrong on our side. Nothing you saved is lost; please try again in a moment.",
        _ => "Something in this request was not right. Go back, reload the page and try again.",
    } : T(Status switch
    {
        404 => "error-404",
        401 or 403 => "error-403",
        >= 500 => "error-500",
        _ => "error-400",
    });

    public string T(string key) => Texts.Get(key, Lang.Of(HttpContext));

    public Task<IActionResult> OnGetAsync(int? status) => ShowAsync(status);

    public Task<IActionResult> OnPostAsync(int? status) => ShowAsync(status);

    public Task<IActionResult> OnPutAsync(int? status) => ShowAsync(status);

    public Task<IActionResult> OnDeleteAsync(int? status) => ShowAsync(status);

    public Task<IActionResult> OnPatchAsync(int? status) => ShowAsync(status);

    private async Task<IActionResult> ShowAsync(int? status)
    {
        var failed = HttpContext.Features.Get<IExceptionHandlerPathFeature>();
        var reexecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        Status = failed is not null ? StatusCodes.Status500InternalServerError
            : status is >= 400 and <= 599 ? status.Value
            : StatusCodes.Status404NotFound;
        var original = failed?.Path ?? reexecuted?.OriginalPath ?? Request.Path.Value ?? "/";
        ForConsole = original.StartsWith("/console", StringComparison.Ordinal);
        Response.StatusCode = Status;
        if (original.StartsWith("/api/", StringComparison.Ordinal) || original == "/api")
        {
            await Results.Problem(statusCode: Status, title: ReasonPhrases.GetReasonPhrase(Status)).ExecuteAsync(HttpContext);
            return new EmptyResult();
        }

        return Page();
    }
}
