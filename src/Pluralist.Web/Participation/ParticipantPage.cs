using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Pluralist.Core.Model;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation;

/// <summary>Base for pages a signed-in participant sees: loads them and their study, and sends them to consent first.</summary>
public abstract class ParticipantPage(ParticipationStore store) : PageModel
{
    protected ParticipationStore Store { get; } = store;

    public Participant Participant { get; private set; } = null!;

    public Study Study { get; private set; } = null!;

    public string Language => Lang.Of(HttpContext);

    /// <summary>Whether the page is reachable before consent.</summary>
    protected virtual bool BeforeConsent => false;

    /// <summary>Whether the page is reachable before the email address and password are set (studies with RequireEmail).</summary>
    protected virtual bool BeforeAccount => false;

    public string T(string key) => Texts.Get(key, Language);

    public string F(string key, params object[] args) => Texts.Format(key, Language, args);

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var ct = HttpContext.RequestAborted;
        if (User.ParticipantId() is not { } id || await Store.CallerAsync(id, ct) is not { Study: { } study } caller)
        {
            context.Result = Redirect("/");
            return;
        }

        var participant = caller.Participant;
        Participant = participant;
        Study = study;
        ViewData["NavTask"] = T(study.TaskType switch
        {
            TaskType.Likert => "nav-rate",
            TaskType.Both => "nav-both",
            _ => "nav-task",
        });
        if (!BeforeAccount && study.RequireEmail && (participant.Email is null || participant.PasswordHash is null))
        {
            context.Result = Redirect("/account/email");
            return;
        }
        var consented = caller.Consented;
        if (!BeforeConsent && !consented)
        {
            context.Result = Redirect("/consent");
            return;
        }

        // The layout offers the task, history and about pages only to someone who has consented: before that they
        // would each send the participant back to the consent page.
        ViewData["Consented"] = consented;

        await next();
    }
}
