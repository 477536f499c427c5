using System.Diagnostics;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// One log line per request with the method, the path, the names of the query parameters (never their
/// values: an emailed link carries an invitation code, the email page an address) and the status.
/// ASP.NET Core's own request lines, which print the whole query, are turned off in
/// <see cref="WebSetup.AddPluralistLogging"/>.
/// </summary>
public static partial class RequestLog
{
    /// <summary>The path with each query value replaced by <c>***</c>.</summary>
    public static string Redact(PathString path, QueryString query)
    {
        // Control characters (a decoded %0A) would let a request forge log lines.
        var shown = string.Concat((path.Value ?? "/").Select(c => char.IsControl(c) ? '?' : c));
        if (!query.HasValue || query.Value is "?")
        {
            return shown;
        }

        var names = query.Value!.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)[0])
            .Select(n => n.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? n : "?");
        return shown + "?" + string.Join('&', names.Select(n => n + "=***"));
    }

    public static void UseRequestLog(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pluralist.Web.Requests");
        app.Use(async (ctx, next) =>
        {
            // Off (the load tool's servers log warnings only): no line, so no redacted path to build for it.
            if (!logger.IsEnabled(LogLevel.Information))
            {
                await next(ctx);
                return;
            }

            var started = Stopwatch.GetTimestamp();
            var path = Redact(ctx.Request.Path, ctx.Request.QueryString);
            try
            {
                await next(ctx);
            }
            finally
            {
                Finished(logger, ctx.Request.Method, path, ctx.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Path} responded {Status} in {Milliseconds:0.0} ms")]
    private static partial void Finished(ILogger logger, string method, string path, int status, double milliseconds);
}
