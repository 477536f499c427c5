namespace Pluralist.Web.Infrastructure;

/// <summary>
/// Headers on every response: a Content-Security-Policy that allows only the app's own scripts, styles and
/// images (no inline script or style, no framing), no MIME sniffing, no referrer (an emailed link carries an
/// invitation code in its query), no opener across origins.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The policy of every page. Inline scripts and styles, plugins, other origins and framing are refused.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string EvalKey = "pluralist-csp-eval";

    /// <summary>
    /// Lets this response's page compile code at run time ('unsafe-eval'): Vega builds its chart expressions
    /// with <c>Function</c>. Still no inline script. Only the pages that draw charts call this.
    /// </summary>
    public static void AllowScriptEval(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Items[EvalKey] = true;
    }

    public static void UseSecurityHeaders(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use((ctx, next) =>
        {
            ctx.Response.OnStarting(() =>
            {
                var headers = ctx.Response.Headers;
                headers.ContentSecurityPolicy = ctx.Items.ContainsKey(EvalKey)
                    ? ContentSecurityPolicy.Replace("script-src 'self'", "script-src 'self' 'unsafe-eval'", StringComparison.Ordinal)
                    : ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                return Task.CompletedTask;
            });
            return next(ctx);
        });
    }
}
