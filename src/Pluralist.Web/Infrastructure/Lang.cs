using Microsoft.Extensions.Options;

namespace Pluralist.Web.Infrastructure;

/// <summary>The participant's language: a cookie set by the switch, else the browser's preference, else English.</summary>
public static class Lang
{
    public const string Cookie = "pluralist-lang";
    public static readonly IReadOnlyList<string> Supported = ["en", "fr"];

    public static string Of(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.Items.TryGetValue(Cookie, out var chosen) && chosen is string c)
        {
            return c;
        }

        if (ctx.Request.Cookies.TryGetValue(Cookie, out var cookie) && Supported.Contains(cookie))
        {
            return cookie;
        }

        var accept = ctx.Request.Headers.AcceptLanguage.ToString();
        return accept.StartsWith("fr", StringComparison.OrdinalIgnoreCase) ? "fr" : "en";
    }

    public static void Set(HttpContext ctx, string lang)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        lang = Supported.Contains(lang) ? lang : "en";
        ctx.Items[Cookie] = lang;
        ctx.Response.Cookies.Append(Cookie, lang, new CookieOptions
        {
            MaxAge = TimeSpan.FromDays(365),
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            IsEssential = true,
            Secure = ctx.Request.IsHttps || ctx.RequestServices.GetService<IOptions<PluralistWebOptions>>()?.Value.SecureCookies == true,
        });
    }

    public static void AddParticipantLocalization(this IServiceCollection services) =>
        services.AddSingleton(Texts.All);

    /// <summary>GET /lang/{code}?back=/path: remembers the language and goes back to the page.</summary>
    public static void MapLanguageSwitch(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/lang/{code}", (HttpContext ctx, string code, string? back) =>
        {
            Set(ctx, code);
            return Results.LocalRedirect(LocalUrl.OrDefault(back, "/"));
        });
    }
}
