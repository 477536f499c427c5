using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Pluralist.Core.Model;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>The participant app's services, its sign-in, and the routes of the JSON API the task page talks to (one file per endpoint beside this one).</summary>
public static class ParticipantApi
{
    public static void AddParticipation(this IServiceCollection services, IConfiguration configuration)
    {
        var smtp = configuration.GetSection(PluralistWebOptions.Section + ":Smtp").Get<Pluralist.Studies.Accounts.SmtpOptions>() ?? new Pluralist.Studies.Accounts.SmtpOptions();
        if (smtp.Host is { Length: > 0 })
        {
            services.AddSingleton(smtp);
            services.AddSingleton<Pluralist.Studies.Accounts.IEmailSender, Pluralist.Studies.Accounts.SmtpEmailSender>();
        }
        else
        {
            services.AddSingleton<Pluralist.Studies.Accounts.IEmailSender, Pluralist.Studies.Accounts.OutboxEmailSender>();
        }

        services.AddScoped<Accounts.AccountService>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<CriteriaCounts>();
        services.AddSingleton<Pluralist.Data.StudyCache>();
        var groupCommit = configuration.GetValue(PluralistWebOptions.Section + ":GroupCommit", true);
        services.AddSingleton(sp => new GroupCommit(sp.GetRequiredService<Pluralist.Data.DatabaseOptions>(), sp.GetRequiredService<TimeProvider>(), groupCommit,
            sp.GetService<Microsoft.EntityFrameworkCore.IDbContextFactory<Pluralist.Data.PluralistDbContext>>()));
        services.AddSingleton<IItemProtector, DataProtectionItemProtector>();
        services.AddSingleton<LikertItemTokens>();
        // One use case per participant action, sharing the request's store.
        services.AddScoped<ParticipationStore>();
        services.AddScoped<JoinStudy>();
        services.AddScoped<PanelEntrance>();
        services.AddScoped<PanelExits>();
        services.AddScoped<IdentityAnswers>();
        services.AddScoped<GiveConsent>();
        services.AddScoped<SessionProgress>();
        services.AddScoped<QuotaPlaces>();
        services.AddScoped<NextRating>();
        services.AddScoped<NextAssignment>();
        services.AddScoped<SubmitAnswer>();
        services.AddScoped<RateImage>();
        services.AddScoped<AnswerHistory>();
        services.AddScoped<Withdrawal>();
        services.AddScoped<ParticipantImages>();
    }

    public static async Task SignInAsync(HttpContext ctx, Participant participant)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(participant);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, participant.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, participant.Pseudonym),
                new Claim(ClaimTypes.Role, participant.Role.ToString()),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await ctx.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    public static void MapParticipantApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api").RequireAuthorization();
        api.MapGet("/assignments/{id:long}", AssignmentEndpoints.GetAssignmentAsync);
        api.MapPost("/assignments/{id:long}/annotation", SubmitAnswerEndpoint.SubmitAsync);
        api.MapPost("/ratings", RateImageEndpoint.RateAsync);
        app.MapGet("/images/{id:long}", ImageEndpoint.ImageAsync).RequireAuthorization();
    }
}
