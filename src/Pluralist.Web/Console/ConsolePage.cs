using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Core.Model;
using Pluralist.Studies.Console;
using Pluralist.Studies.Jobs;

namespace Pluralist.Web.Console;

/// <summary>
/// Base of every console page: the signed-in staff member with at least <see cref="MinimumRole"/>
/// (liaison by default). Anonymous visitors go to the sign-in page; participants and staff with too
/// small a role get 403. Handlers that change things check <see cref="Can"/> for their own role.
/// </summary>
public abstract class ConsolePage(ConsoleService service) : PageModel
{
    protected ConsoleService Service { get; } = service;

    public Participant Staff { get; private set; } = null!;

    /// <summary>The study named by the route's <c>key</c>, when the page has one.</summary>
    public Study? Study { get; private set; }

    protected virtual Role MinimumRole => Role.Liaison;

    public bool Can(Role role) => Staff.Role >= role;

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        // The same check as the console's endpoints (ConsoleAccessFilter); pages answer with a redirect or a status page.
        var access = await ConsoleAccess.CheckAsync(HttpContext, MinimumRole);
        switch (access.Refusal)
        {
            case ConsoleRefusal.SignIn:
                context.Result = Redirect("/console/login?back=" + Uri.EscapeDataString(Request.Path + Request.QueryString));
                return;
            case ConsoleRefusal.Role:
                context.Result = StatusCode(StatusCodes.Status403Forbidden);
                return;
            case ConsoleRefusal.Study:
                context.Result = NotFound();
                return;
            case ConsoleRefusal.None:
                break;
            default:
                throw new InvalidOperationException($"unknown console refusal {access.Refusal}");
        }

        Staff = access.AllowedStaff;
        Study = access.Study;
        await next();
    }

    /// <summary>403 unless the staff member has <paramref name="role"/>.</summary>
    protected IActionResult? Deny(Role role) => Can(role) ? null : StatusCode(StatusCodes.Status403Forbidden);

    /// <summary>
    /// The Cancel button of the pages that list a study's jobs (<c>?handler=Cancel</c>, field <c>job</c>): researchers
    /// only (403), a job of the route's study only (404 for any other id), audited as <c>job.cancel</c>; back to
    /// <paramref name="page"/> (the study's page path after its key) with what happened.
    /// </summary>
    protected async Task<IActionResult> CancelJobAsync(JobCancellation cancellation, string? job, string page, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cancellation);
        if (Deny(Role.Researcher) is { } denied)
        {
            return denied;
        }

        var (outcome, row) = await cancellation.CancelAsync(Study!, job, $"{Staff.Role.ToString().ToLowerInvariant()} {Staff.Pseudonym}", ct);
        string message;
        switch (outcome)
        {
            case JobCancelOutcome.NotFound:
                return NotFound();
            case JobCancelOutcome.AlreadyEnded:
                message = $"Job {row!.Id} had already ended ({row.State.ToString().ToLowerInvariant()}): nothing was cancelled.";
                break;
            case JobCancelOutcome.Cancelled:
                Service.Audit(Staff, Study, "job.cancel", new { job = row!.Id, kind = row.Kind });
                await Service.Db.SaveChangesAsync(ct);
                message = $"Job {row.Id} cancelled.";
                break;
            default:
                throw new InvalidOperationException($"unknown cancel outcome {outcome}");
        }

        return Redirect($"/console/studies/{Uri.EscapeDataString(Study!.Key)}/{page}?message={Uri.EscapeDataString(message)}");
    }
}
