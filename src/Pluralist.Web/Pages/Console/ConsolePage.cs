using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Core.Model;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.ResearchConsole;

namespace Pluralist.Web.Pages.Console;

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
        var ct = HttpContext.RequestAborted;
        if (User.ParticipantId() is not { } id)
        {
            context.Result = Redirect("/console/login?back=" + Uri.EscapeDataString(Request.Path + Request.QueryString));
            return;
        }

        if (await Service.FindStaffAsync(id, ct) is not { } staff || staff.Role < MinimumRole)
        {
            context.Result = StatusCode(StatusCodes.Status403Forbidden);
            return;
        }

        Staff = staff;
        if (RouteData.Values.TryGetValue("key", out var key) && key is string k)
        {
            Study = await Service.FindStudyAsync(k, ct);
            if (Study is null)
            {
                context.Result = NotFound();
                return;
            }
        }

        await next();
    }

    /// <summary>403 unless the staff member has <paramref name="role"/>.</summary>
    protected IActionResult? Deny(Role role) => Can(role) ? null : StatusCode(StatusCodes.Status403Forbidden);
}
