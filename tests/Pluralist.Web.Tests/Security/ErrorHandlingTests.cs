using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Pluralist.Web.Tests.Security;

/// <summary>
/// Issue 16, finding 7c: the language switch's back link is checked before redirecting (it threw on
/// <c>/\x</c>), and any failure becomes problem details for the API and a short page for people, without
/// an exception's text or stack trace.
/// </summary>
public sealed class ErrorHandlingTests
{
    [Theory]
    [InlineData("/%5Cx", "/")]
    [InlineData("/%5C%5Cevil.example", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/%0D%0ALocation:%20https://evil.example", "/")]
    [InlineData("", "/")]
    [InlineData("/history", "/history")]
    [InlineData("/%3Fcode%3DABCD-EFGH", "/?code=ABCD-EFGH")]
    public async Task The_language_switch_goes_back_only_to_a_local_path(string back, string location)
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var response = await server.NewClient().GetAsync($"/lang/fr?back={back}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(location, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task An_unhandled_exception_is_problem_details_for_the_api_and_a_page_for_people_never_a_stack_trace()
    {
        const string secret = "connection to db-7.internal refused";
        await using var server = await AppServer.StartAsync(codes: 1, routes: app =>
        {
            app.MapGet("/api/test-failure", IResult () => throw new InvalidOperationException(secret));
            app.MapGet("/test-failure", IResult () => throw new InvalidOperationException(secret));
            app.MapPost("/test-failure", IResult () => throw new InvalidOperationException(secret));
        });
        var client = server.NewClient();

        var api = await client.GetAsync("/api/test-failure");
        Assert.Equal(HttpStatusCode.InternalServerError, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType!.MediaType);
        var problem = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(500, problem.GetProperty("status").GetInt32());
        NoInternals(problem.GetRawText(), secret);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post })
        {
            using var request = new HttpRequestMessage(method, "/test-failure");
            request.Headers.Add("Accept-Language", "fr");
            var page = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.InternalServerError, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("Un problème est survenu de notre côté", new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).Body!.TextContent, StringComparison.Ordinal);
            NoInternals(html, secret);
        }
    }

    [Fact]
    public async Task Empty_error_answers_get_the_same_treatment_and_odd_input_never_fails_with_500()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var client = server.NewClient();
        var missing = await client.GetAsync("/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("We could not find this page", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var api = await client.GetAsync("/api/console/studies");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType!.MediaType);
        var noApi = await client.GetAsync("/api/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, noApi.StatusCode);
        Assert.Equal("application/problem+json", noApi.Content.Headers.ContentType!.MediaType);

        var participant = await server.JoinAsync();
        var staff = await Staff.SignInAsync(server, "lead@example.org", Pluralist.Core.Model.Role.Researcher);
        string[] odd =
        [
            "/lang/%5C?back=/%5C", "/lang/fr?back=%00", "/?code=%0D%0A%00%FF", "/account/verify?email=%0D%0Ax",
            "/console/login?back=/%5Cevil.example", "/console/login?back=%2F%2Fevil", "/images/99999999999", "/images/-1",
            "/console/studies/livs-default/data?prompt=abc&batch=-1&group=%3D%3D&participant=%00",
            "/console/studies/livs-default/data?group=gender", "/console/studies/livs-default/data?group=%3Dwoman",
            "/console/studies/livs-default/progress?batch=99999999999999", "/console/studies/%5C..%5C/people",
            "/api/console/studies/livs-default/progress?batch=abc", "/task?change=abc", "/task?rate=-5", "/history?x=%FF",
        ];
        foreach (var path in odd)
        {
            foreach (var who in new[] { server.NewClient(), participant.Http, staff })
            {
                var response = await who.GetAsync(path);
                Assert.True((int)response.StatusCode < 500, $"{path}: {(int)response.StatusCode}");
                NoInternals(await response.Content.ReadAsStringAsync(), "no secret");
            }
        }
    }

    private static void NoInternals(string body, string secret)
    {
        Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Pluralist.Web.", body, StringComparison.Ordinal);
    }
}
