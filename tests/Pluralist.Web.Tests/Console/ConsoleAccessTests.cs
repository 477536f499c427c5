using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Model;
using Pluralist.Web.Console;
using Pluralist.Web.Console.SignIn;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Console;

/// <summary>The console's one authorisation path: <see cref="ConsoleAccess"/>, its endpoint filter and the page base class.</summary>
public sealed class ConsoleAccessTests
{
    private const string Problem = "application/problem+json";

    [Fact]
    public async Task Every_console_endpoint_declares_its_role_and_the_filter_enforces_it()
    {
        WebApplication? captured = null;
        await using var server = await AppServer.StartAsync(codes: 1, routes: app => captured = app);
        var endpoints = ((IEndpointRouteBuilder)captured!).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => IsConsole(e.RoutePattern.RawText)).ToList();
        var pages = endpoints.Where(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null).ToList();
        var api = endpoints.Except(pages).ToList();
        Assert.True(api.Count >= 10, $"only {api.Count} console endpoints found: {string.Join(", ", api.Select(e => e.RoutePattern.RawText))}");
        Assert.True(pages.Count >= 10, $"only {pages.Count} console pages found");

        // Minimal API endpoints: a declared staff role, or explicitly public (the chart scripts).
        var undeclared = api.Where(e => e.Metadata.GetMetadata<StaffRequirement>() is null && e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Select(e => e.DisplayName).ToList();
        Assert.True(undeclared.Count == 0, "console endpoints without RequireStaff: " + string.Join(", ", undeclared));
        var anonymous = api.Where(e => e.Metadata.GetMetadata<StaffRequirement>() is null).Select(e => e.RoutePattern.RawText).ToList();
        Assert.Equal(new[] { "/console/assets/{name}" }, anonymous);

        // ...and the filter runs on each: anonymous callers get 401 and participants 403, as problem details, whatever the method.
        var participant = (await server.JoinAsync()).Http;
        foreach (var endpoint in api.Where(e => e.Metadata.GetMetadata<StaffRequirement>() is not null))
        {
            var path = "/" + endpoint.RoutePattern.RawText!.TrimStart('/').Replace("{key}", "livs-default", StringComparison.Ordinal)
                .Replace("{pseudonym}", "P-NOBODY", StringComparison.Ordinal).Replace("{id:long}", "1", StringComparison.Ordinal)
                .Replace("{width:int}", "160", StringComparison.Ordinal);
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                foreach (var (client, status) in new[] { (server.NewClient(), HttpStatusCode.Unauthorized), (participant, HttpStatusCode.Forbidden) })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (!HttpMethods.IsGet(method))
                    {
                        request.Content = JsonContent.Create(new { });
                    }

                    var response = await client.SendAsync(request);
                    Assert.True(response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode}, expected {(int)status}");
                    Assert.Equal(Problem, response.Content.Headers.ContentType?.MediaType);
                }
            }
        }

        // Pages: every console page but sign-in and sign-out goes through ConsolePage.
        var loader = captured!.Services.GetRequiredService<PageLoader>();
        foreach (var page in pages)
        {
            var compiled = await loader.LoadAsync(page.Metadata.GetMetadata<PageActionDescriptor>()!, page.Metadata);
            var model = compiled.ModelTypeInfo!.AsType();
            Assert.True(typeof(ConsolePage).IsAssignableFrom(model) || model == typeof(LoginModel) || model == typeof(LogoutModel),
                $"{compiled.RelativePath}: {model.Name} is not a {nameof(ConsolePage)}");
        }
    }

    [Fact]
    public async Task Refusals_are_problem_details_in_the_order_sign_in_role_study()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var anonymous = server.NewClient();
        var unknown = await anonymous.GetAsync("/api/console/studies/no-such-study/progress");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode); // signing in comes before the study
        Assert.Equal(Problem, unknown.Content.Headers.ContentType!.MediaType);
        var zip = await anonymous.GetAsync("/console/studies/livs-default/export.zip");
        Assert.Equal(HttpStatusCode.Unauthorized, zip.StatusCode);
        Assert.Equal(Problem, zip.Content.Headers.ContentType!.MediaType);

        // A liaison on researcher endpoints: 403 naming the role, before the antiforgery check and before the study.
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, "/console/studies/livs-default/export.zip"), (HttpMethod.Put, "/api/console/studies/livs-default/quotas"),
                     (HttpMethod.Delete, "/api/console/studies/no-such-study/quotas"), (HttpMethod.Post, "/api/console/studies"),
                 })
        {
            using var request = new HttpRequestMessage(method, path);
            if (method != HttpMethod.Get && method != HttpMethod.Delete)
            {
                request.Content = JsonContent.Create(new { });
            }

            var response = await liaison.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Equal(Problem, response.Content.Headers.ContentType!.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(403, problem.GetProperty("status").GetInt32());
            Assert.Equal("This needs the researcher role or higher.", problem.GetProperty("detail").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await liaison.GetAsync("/api/console/studies/livs-default/quotas")).StatusCode);
        var missing = await liaison.GetAsync("/api/console/studies/no-such-study/quotas");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(Problem, missing.Content.Headers.ContentType!.MediaType);
        var body = await missing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("No such study", "There is no study with key 'no-such-study'."), (body.GetProperty("title").GetString(), body.GetProperty("detail").GetString()));

        // A researcher: 404 for an unknown study on the API, the export and the pages; the antiforgery check still applies.
        var researcher = await Staff.SignInAsync(server, "lead@example.org", Role.Researcher);
        foreach (var path in new[] { "/api/console/studies/no-such-study/progress", "/console/studies/no-such-study/export.zip" })
        {
            var response = await researcher.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
            Assert.Equal(Problem, response.Content.Headers.ContentType!.MediaType);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await researcher.GetAsync("/console/studies/no-such-study/progress")).StatusCode);
        var token = new HtmlParser().ParseDocument(await researcher.GetStringAsync("/console/studies/livs-default"))
            .QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using (var forged = new HttpRequestMessage(HttpMethod.Delete, "/api/console/studies/livs-default/quotas"))
        {
            var response = await researcher.SendAsync(forged);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(Problem, response.Content.Headers.ContentType!.MediaType);
        }

        using (var unknownStudy = new HttpRequestMessage(HttpMethod.Delete, "/api/console/studies/no-such-study/quotas"))
        {
            unknownStudy.Headers.Add("X-CSRF-TOKEN", token);
            Assert.Equal(HttpStatusCode.NotFound, (await researcher.SendAsync(unknownStudy)).StatusCode);
        }

        using (var removed = new HttpRequestMessage(HttpMethod.Delete, "/api/console/studies/livs-default/quotas"))
        {
            removed.Headers.Add("X-CSRF-TOKEN", token);
            Assert.Equal(HttpStatusCode.NoContent, (await researcher.SendAsync(removed)).StatusCode);
        }
    }

    [Fact]
    public async Task An_endpoint_without_a_declared_role_is_refused_even_to_admins()
    {
        await using var server = await AppServer.StartAsync(codes: 1, routes: app =>
            app.MapGroup("/api/console").AddEndpointFilter<ConsoleAccessFilter>().MapGet("/undeclared", () => TypedResults.Ok("secret")));
        var admin = await Staff.SignInAsync(server, "admin@example.org", Role.Admin);
        var response = await admin.GetAsync("/api/console/undeclared");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(Problem, response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/console/studies")).StatusCode);
    }

    private static bool IsConsole(string? pattern)
    {
        var p = "/" + (pattern ?? "").TrimStart('/');
        return p.StartsWith("/api/console/", StringComparison.OrdinalIgnoreCase) || p.StartsWith("/console", StringComparison.OrdinalIgnoreCase);
    }
}
