using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Pluralist.Web.Tests.Routing;

/// <summary>
/// The app's URLs, read from its endpoint data source once it is running: a move of a page or an endpoint to
/// another folder must not change any of them (participants' links, staff bookmarks, task.js and console.js).
/// </summary>
public sealed class RouteTableTests
{
    /// <summary>Every endpoint as "METHODS route", pages as "PAGE route", sorted.</summary>
    private static readonly string[] Expected =
    [
        "DELETE /api/console/studies/{key}/quotas",
        "GET /api/assignments/{id:long}",
        "GET /api/console/studies",
        "GET /api/console/studies/{key}/progress",
        "GET /api/console/studies/{key}/quotas",
        "GET /console/assets/{name}",
        "GET /console/studies/{key}/export.zip",
        "GET /console/studies/{key}/reports/{job}/tables/{file}",
        "GET /console/studies/{key}/reports/{job}/{file}",
        "GET /console/studies/{key}/thumbnails/{id:long}/{width:int}",
        "GET /health/live",
        "GET /health/ready",
        "GET /images/{id:long}",
        "GET /lang/{code}",
        "PAGE ",
        "PAGE Index",
        "PAGE Join",
        "PAGE about",
        "PAGE account/email",
        "PAGE account/verify",
        "PAGE break",
        "PAGE consent",
        "PAGE console",
        "PAGE console/login",
        "PAGE console/logout",
        "PAGE console/studies/new",
        "PAGE console/studies/{key}",
        "PAGE console/studies/{key}/audit",
        "PAGE console/studies/{key}/batches",
        "PAGE console/studies/{key}/data",
        "PAGE console/studies/{key}/data/ratings",
        "PAGE console/studies/{key}/evaluation",
        "PAGE console/studies/{key}/evaluation/gallery",
        "PAGE console/studies/{key}/images",
        "PAGE console/studies/{key}/jobs",
        "PAGE console/studies/{key}/people",
        "PAGE console/studies/{key}/progress",
        "PAGE console/studies/{key}/questions",
        "PAGE console/studies/{key}/quotas",
        "PAGE console/studies/{key}/raters",
        "PAGE console/studies/{key}/reports",
        "PAGE error/{status:int?}",
        "PAGE history",
        "PAGE panel/{study}",
        "PAGE protocol",
        "PAGE signin",
        "PAGE task",
        "PAGE withdraw",
        "PAGE withdrawn",
        "POST /api/assignments/{id:long}/annotation",
        "POST /api/console/studies",
        "POST /api/console/studies/{key}/criteria",
        "POST /api/console/studies/{key}/participants/{pseudonym}/code",
        "POST /api/ratings",
        "PUT /api/console/studies/{key}/quotas",
    ];

    [Fact]
    public async Task Every_page_and_endpoint_keeps_its_url()
    {
        WebApplication? app = null;
        await using var server = await AppServer.StartAsync(codes: 1, routes: a => app = a);
        var routes = Routes(app!);
        Assert.True(Expected.SequenceEqual(routes), "The route table changed:\n" + string.Join("\n", routes.Select(r => $"        \"{r}\",")));
    }

    [Fact]
    public async Task Every_page_route_answers_over_http()
    {
        WebApplication? app = null;
        // The default study allows panel entry, so that /panel/{study} answers its start page.
        await using var server = await AppServer.StartAsync(codes: 1, routes: a => app = a,
            configure: s => s.Panel = new Pluralist.Core.Model.PanelSettings { ParticipantParameter = "PROLIFIC_PID" });
        var client = server.NewClient();
        var pages = Routes(app!).Where(r => r.StartsWith("PAGE ", StringComparison.Ordinal)).Select(r => r["PAGE ".Length..]).ToList();
        Assert.NotEmpty(pages);
        foreach (var page in pages)
        {
            var url = "/" + page.Replace("{key}", Pluralist.Core.Model.Defaults.StudyKey, StringComparison.Ordinal).Replace("{status:int?}", "404", StringComparison.Ordinal)
                .Replace("{study}", Pluralist.Core.Model.Defaults.StudyKey + "?PROLIFIC_PID=route-check", StringComparison.Ordinal);
            // Signed out, the protocol page needs to be told which study (an invitation or panel link carries it).
            url = url == "/protocol" ? "/protocol?study=" + Pluralist.Core.Model.Defaults.StudyKey : url;
            var response = await client.GetAsync(url);
            // Signed out: a page, or a redirect to its sign-in; the error page answers with the status it shows.
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect || url == "/error/404", $"{url}: {(int)response.StatusCode}");
        }
    }

    private static List<string> Routes(WebApplication app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null
                ? "PAGE " + e.RoutePattern.RawText
                : string.Join(",", e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"]) + " " + e.RoutePattern.RawText)
            .Order(StringComparer.Ordinal).ToList();
}
