using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Pluralist.Data;

namespace Pluralist.Web.Infrastructure;

/// <summary>One extension per area of the app, called from Program.</summary>
public static class WebSetup
{
    public const string CodePolicy = "codes";
    public const string SignInPolicy = "signin";
    public const string CsrfHeader = "X-CSRF-TOKEN";

    public static void AddPluralistStorage(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(PluralistWebOptions.Section);
        builder.Services.Configure<PluralistWebOptions>(section);
        var options = section.Get<PluralistWebOptions>() ?? new PluralistWebOptions();
        var data = DataDirectory.Resolve(options.Data);
        data.EnsureCreated();
        var db = DatabaseOptions.Resolve(data, options.Db, options.Connection);
        builder.Services.AddSingleton(data);
        builder.Services.AddSingleton(db);
        builder.Services.AddScoped(_ => PluralistDatabase.CreateContext(db));
        // Keys in the data directory: sign-in cookies and antiforgery tokens survive a restart.
        builder.Services.AddDataProtection()
            .SetApplicationName("pluralist")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(data.Root, "keys")));
    }

    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var db = app.Services.GetRequiredService<DatabaseOptions>();
        await PluralistDatabase.MigrateAsync(db);
        await using var context = PluralistDatabase.CreateContext(db);
        await StudyStore.EnsureDefaultStudyAsync(context, DateTimeOffset.UtcNow);
    }

    public static void AddParticipantSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(PluralistWebOptions.Section).Get<PluralistWebOptions>() ?? new PluralistWebOptions();
        var attempts = options.CodeAttemptsPerMinute;
        var signIns = options.SignInAttemptsPerMinute;
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/";
                o.AccessDeniedPath = "/";
                o.Cookie.Name = "pluralist-session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.ExpireTimeSpan = TimeSpan.FromDays(30);
                o.SlidingExpiration = true;
                // The JSON API answers 401/403 rather than redirecting to a page.
                o.Events.OnRedirectToLogin = ctx => Deny(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => Deny(ctx, StatusCodes.Status403Forbidden);
            });
        services.AddAuthorization();
        services.AddAntiforgery(o => o.HeaderName = CsrfHeader);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(CodePolicy, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = attempts, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.AddPolicy(SignInPolicy, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = signIns, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (ctx, ct) =>
            {
                var lang = Lang.Of(ctx.HttpContext);
                ctx.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.HttpContext.Response.WriteAsync(Texts.Get("too-many", lang), ct);
            };
        });
    }

    /// <summary>The id of the signed-in participant, or null.</summary>
    public static long? ParticipantId(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var value = user.FindFirstValue(ClaimTypes.NameIdentifier);
        return long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    /// <summary>Checks the antiforgery header of a JSON request; returns a problem when it is missing or wrong.</summary>
    public static async Task<IResult?> CheckCsrfAsync(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var antiforgery = ctx.RequestServices.GetRequiredService<IAntiforgery>();
        try
        {
            await antiforgery.ValidateRequestAsync(ctx);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Missing or invalid antiforgery token",
                detail: $"Send the page's token in the {CsrfHeader} header.");
        }
    }

    private static Task Deny(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api") || ctx.Request.Path.StartsWithSegments("/images"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
