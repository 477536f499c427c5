using Microsoft.Extensions.FileProviders;
using Pluralist.Studies.Viewer;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.PublicViewer;

/// <summary>
/// The public read-only viewer of a released bundle (<c>pluralist viewer serve</c>): its own small app, apart from the
/// participant app and the console. Only the pages under <c>/PublicViewer</c> are routed, nothing signs in, every
/// method but GET and HEAD is refused with 405, and responses carry the app's security headers. The data is a
/// <see cref="PublicDataset"/>, which dropped identity data when the bundle was opened.
/// </summary>
public static class PublicViewerApp
{
    public const string Folder = "/PublicViewer";

    public static WebApplication Create(PublicDataset data, string[] args)
    {
        ArgumentNullException.ThrowIfNull(data);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(PluralistWebApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddSingleton(data);
        builder.Services.AddRazorPages(o => o.RootDirectory = Folder);
        var app = builder.Build();
        app.Environment.WebRootFileProvider = new EmbeddedFileProvider(typeof(PluralistWebApp).Assembly, "Pluralist.Web.wwwroot");
        app.UseSecurityHeaders();
        app.UseExceptionHandler(e => e.Run(ctx => ctx.Response.WriteAsync("The viewer failed on this request.", ctx.RequestAborted)));
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
        app.UseRouting();
        app.MapRazorPages();
        app.MapGet("/images/{id:long}", (long id, PublicDataset d) => d.Image(id) is { } image ? Results.File(image.Bytes, image.MediaType) : Results.NotFound());
        return app;
    }
}
