using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Pluralist.Data;

namespace Pluralist.Web.Infrastructure;

/// <summary>One extension per area of the app, called from Program.</summary>
public static class WebSetup
{
    public const string CodePolicy = "codes";
    public const string CsrfHeader = "X-CSRF-TOKEN";

    // A session-level advisory lock, released when its connection closes.
    private const long KeyRingLock = 0x504C55524B4559;

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
        // Each request's context comes from a pool and goes back to it when the request's scope ends (reset: nothing a
        // request tracked or set on it reaches the next one): building a context's services per request was 7 % of the
        // server's time under load (docs/performance.md).
        var contexts = PluralistDatabase.CreatePool(db);
        builder.Services.AddSingleton(contexts);
        builder.Services.AddScoped(_ => contexts.CreateDbContext());
        // The participant requests' hottest reads on SQLite: a few long-lived connections with their statements kept prepared
        // (closed with the app: the container disposes what its factory made).
        builder.Services.AddSingleton(_ => new PreparedReads(db));
        builder.Services.AddSingleton(ReadDatabase.Resolve(db, options.ReadConnection));
        // The key ring in the database: sign-in cookies and antiforgery tokens survive a restart and are read by
        // every instance on the database, whatever its data directory.
        builder.Services.AddDataProtection().SetApplicationName("pluralist");
        builder.Services.Configure<KeyManagementOptions>(o => o.XmlRepository = new DatabaseKeyRing(db));
    }

    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var db = app.Services.GetRequiredService<DatabaseOptions>();
        await PluralistDatabase.MigrateAsync(db);
        await using (var context = PluralistDatabase.CreateContext(db))
        {
            await StudyStore.EnsureDefaultStudyAsync(context, DateTimeOffset.UtcNow);
        }

        // Before version 12 the keys were files in the data directory: copied once, so that signed-in people stay signed in.
        var folder = Path.Combine(app.Services.GetRequiredService<DataDirectory>().Root, "keys");
        var imported = await DatabaseKeyRing.ImportFolderAsync(db, folder);
        if (imported > 0)
        {
            app.Logger.LogInformation("Imported {Count} data-protection keys from {Folder} into the database: sign-in cookies and tokens issued before the upgrade stay valid; the folder is no longer read", imported, folder);
        }

        // Instances starting at once on PostgreSQL take turns, so the first creates the key and the others read it.
        await using var connection = await PluralistDatabase.OpenAsync(db);
        if (db.Provider == DatabaseProvider.Postgres)
        {
            await using var lockKeys = connection.CreateCommand();
            lockKeys.CommandText = $"SELECT pg_advisory_lock({KeyRingLock})";
            await lockKeys.ExecuteNonQueryAsync();
        }

        DatabaseKeyRing.EnsureKey(app.Services);
    }

    /// <summary>
    /// ASP.NET Core's own request lines print the whole URL with its query (an emailed link's invitation code),
    /// and its result executors the URL a redirect goes to: both are turned off whatever the configuration says
    /// (rules added here come after the configuration's and win), and <see cref="RequestLog"/> writes redacted lines.
    /// </summary>
    public static void AddPluralistLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // Likewise the lines that name a redirect's target (a back link, /account/verify?email=…).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Mvc.Infrastructure", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Result", LogLevel.Warning);
    }

    public static void AddParticipantSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var options = PluralistWebOptions.Of(configuration);
        if (options.PublicBaseUrl is { Length: > 0 } publicUrl
            && !(Uri.TryCreate(publicUrl, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && string.IsNullOrEmpty(parsed.Query)))
        {
            throw new InvalidOperationException($"Pluralist:PublicBaseUrl '{publicUrl}' is not an http or https address such as https://study.example.org/");
        }

        var attempts = options.CodeAttemptsPerMinute;
        var securePolicy = options.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/";
                o.AccessDeniedPath = "/";
                o.Cookie.Name = "pluralist-session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = securePolicy;
                o.ExpireTimeSpan = TimeSpan.FromDays(30);
                o.SlidingExpiration = true;
                // The JSON API answers 401/403 rather than redirecting to a page.
                o.Events.OnRedirectToLogin = ctx => Deny(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => Deny(ctx, StatusCodes.Status403Forbidden);
            });
        services.AddAuthorization();
        // Secure whenever the request is HTTPS; not forced (antiforgery would refuse to work on a plain request).
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        // Both limits count in the database, so that instances behind one proxy share them.
        services.AddSingleton(sp => new AttemptCounter(sp.GetRequiredService<DatabaseOptions>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton(sp => new SignInThrottle(sp.GetRequiredService<AttemptCounter>(), options.SignInAttemptsPerMinute));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(CodePolicy, ctx => RateLimitPartition.Get(
                "code-address:" + (ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
                key => ctx.RequestServices.GetRequiredService<AttemptCounter>().Limiter(key, attempts)));
            o.OnRejected = async (ctx, ct) =>
            {
                var lang = Lang.Of(ctx.HttpContext);
                ctx.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.HttpContext.Response.WriteAsync(Texts.Get("too-many", lang), ct);
            };
        });
        // Checked here, so that a wrong setting stops the app at start, naming it.
        var proxies = options.KnownProxies.Select(p => IPAddress.TryParse(p, out var ip) ? ip
            : throw new InvalidOperationException($"Pluralist:KnownProxies: '{p}' is not an IP address")).ToList();
        var networks = options.KnownNetworks.Select(n => System.Net.IPNetwork.TryParse(n, out var network) ? network
            : throw new InvalidOperationException($"Pluralist:KnownNetworks: '{n}' is not a network such as 10.0.0.0/8")).ToList();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // Loopback proxies stay trusted (the defaults); the configured ones are added.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            proxies.ForEach(o.KnownProxies.Add);
            networks.ForEach(o.KnownIPNetworks.Add);
        });
    }

    /// <summary>Where links in emails point: <see cref="PluralistWebOptions.PublicBaseUrl"/>, else this request's scheme and host; ends with <c>/</c>.</summary>
    public static string PublicBaseUrl(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var configured = ctx.RequestServices.GetRequiredService<IOptions<PluralistWebOptions>>().Value.PublicBaseUrl;
        return configured is { Length: > 0 } ? configured.TrimEnd('/') + "/" : $"{ctx.Request.Scheme}://{ctx.Request.Host}/";
    }

    /// <summary>The id of the signed-in participant, or null.</summary>
    public static long? ParticipantId(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var value = user.FindFirstValue(ClaimTypes.NameIdentifier);
        return long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    /// <summary>Checks the antiforgery header of a JSON request; returns a problem when it is missing or wrong.</summary>
    public static async Task<ProblemHttpResult?> CheckCsrfAsync(HttpContext ctx)
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
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Missing or invalid antiforgery token",
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
