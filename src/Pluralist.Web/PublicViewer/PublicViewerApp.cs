using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;
using Pluralist.Studies.Console.Pools;
using Pluralist.Studies.Viewer;
using Pluralist.Web.Console.Dataset;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.PublicViewer;

/// <summary>
/// The public read-only viewer of a released bundle (<c>pluralist viewer serve</c>): its own small app, apart from the
/// participant app and the console. Only the pages under <c>/PublicViewer</c> are routed, nothing signs in, every
/// method but GET and HEAD is refused with 405, and responses carry the app's security headers. Pages are in English
/// or French (<c>/lang/fr</c> switches, else the browser's preferred language decides). The data is a
/// <see cref="PublicDataset"/>, which dropped identity data when the bundle was opened. Each client address may make
/// at most <c>requestsPerMinute</c> requests a minute (pages and images alike); past that it gets 429 with
/// <c>Retry-After</c>, so one client cannot keep the viewer busy for everyone.
/// </summary>
public static class PublicViewerApp
{
    public const string Folder = "/PublicViewer";

    /// <summary>The default limit of requests a minute per client address: a page and its 50 thumbnails, several times over.</summary>
    public const int DefaultRequestsPerMinute = 600;

    /// <param name="data">The released bundle, identity data already dropped.</param>
    /// <param name="args">Host arguments (<c>--urls</c>).</param>
    /// <param name="requestsPerMinute">Requests a minute per client address; 0 for no limit (a proxy in front limits instead).</param>
    public static WebApplication Create(PublicDataset data, string[] args, int requestsPerMinute = DefaultRequestsPerMinute)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(requestsPerMinute);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(PluralistWebApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddSingleton(data);
        builder.Services.AddRazorPages(o => o.RootDirectory = Folder);
        if (requestsPerMinute > 0)
        {
            builder.Services.AddRateLimiter(o =>
            {
                o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx => RateLimitPartition.GetFixedWindowLimiter(
                    ctx.Connection.RemoteIpAddress?.ToString() ?? "",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = requestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
                o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
                o.OnRejected = (context, ct) =>
                {
                    var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 60;
                    context.HttpContext.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
                    return new ValueTask(context.HttpContext.Response.WriteAsync(
                        string.Create(CultureInfo.InvariantCulture, $"Too many requests from your address; try again in {wait} seconds."), ct));
                };
            });
        }

        var app = builder.Build();
        app.Environment.WebRootFileProvider = new EmbeddedFileProvider(typeof(PluralistWebApp).Assembly, "Pluralist.Web.wwwroot");
        app.UseSecurityHeaders();
        app.UseExceptionHandler(e => e.Run(ctx => ctx.Response.WriteAsync("The viewer failed on this request.", ctx.RequestAborted)));
        if (requestsPerMinute > 0)
        {
            app.UseRateLimiter();
        }

        app.UseStatusCodePages();
        app.Use((ctx, next) =>
        {
            if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
            {
                ctx.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                ctx.Response.Headers.Allow = "GET, HEAD";
                return Task.CompletedTask;
            }

            return next(ctx);
        });
        app.UseStaticFiles();
        // The reader's language (the switch's cookie, else the browser's preference): English or French.
        app.Use((ctx, next) =>
        {
            DatasetTexts.Use(ctx, Lang.Of(ctx));
            return next(ctx);
        });
        app.UseRouting();
        app.MapRazorPages();
        app.MapLanguageSwitch();
        app.MapGet("/images/{id:long}", (long id, PublicDataset d) => d.Image(id) is { } image ? Results.File(image.Bytes, image.MediaType) : Results.NotFound());
        app.MapGet("/images/{id:long}/{width:int}", Thumbnail);
        return app;
    }

    /// <summary>The URL of image <paramref name="id"/>'s thumbnail (the smallest width: the pages show 96 × 72).</summary>
    public static string ThumbnailUrl(long id) => string.Create(CultureInfo.InvariantCulture, $"/images/{id}/{Thumbnails.Widths[0]}");

    // GET /images/{id}/{width}: the image downscaled to one of the thumbnail widths (WebP). The bundle does not change
    // while it is served, so the bytes of a URL are fixed for the viewer's life: cached by the browser for an hour and
    // revalidated by entity tag (the width and a hash of the bytes).
    private static IResult Thumbnail(HttpContext ctx, long id, int width, PublicDataset data)
    {
        if (!Thumbnails.Widths.Contains(width))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No such thumbnail width",
                detail: string.Create(CultureInfo.InvariantCulture, $"Width {width} is not served; thumbnails are {Thumbnails.Allowed} pixels wide."));
        }

        byte[]? bytes;
        try
        {
            bytes = data.Thumbnail(id, width);
        }
        catch (InvalidDataException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The image cannot be shown", detail: e.Message);
        }

        if (bytes is null)
        {
            return Results.NotFound();
        }

        ctx.Response.Headers.CacheControl = "public, max-age=3600";
        var tag = new EntityTagHeaderValue(string.Create(CultureInfo.InvariantCulture, $"\"{width}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes).AsSpan(0, 8))}\""));
        return Results.File(bytes, Thumbnails.ContentType, entityTag: tag);
    }
}
