using System.Net;
using Pluralist.Core.Model;

namespace Pluralist.Web.Tests.Participation;

public sealed class JoinTests
{
    [Fact]
    public async Task Code_guessing_is_rate_limited_per_client()
    {
        await using var server = await AppServer.StartAsync(codes: 1, codeAttemptsPerMinute: 5);
        using var client = server.NewClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            var response = await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = $"GUESS-{i:0000}" });
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses.Take(5), s => Assert.Equal(HttpStatusCode.BadRequest, s));
        Assert.All(statuses.Skip(5), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    [Fact]
    public async Task Used_and_expired_codes_are_refused_kindly_in_the_chosen_language()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var code = server.Codes.Peek();
        await server.JoinAsync();
        using var second = server.NewClient();
        await second.GetAsync("/lang/fr?back=/");
        var again = await ParticipantClient.PostFormAsync(second, "/", "/join", new() { ["code"] = code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal) });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        var html = await again.Content.ReadAsStringAsync();
        Assert.Contains("lang=\"fr\"", html, StringComparison.Ordinal);
        var error = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("#code-error")?.TextContent;
        Assert.StartsWith("Ce code a déjà été utilisé", error, StringComparison.Ordinal);

        await using (var db = server.Database.CreateContext())
        {
            db.Invitations.Add(new Invitation { StudyId = 1, CodeHash = Codes.Hash("OLDC-ODE2"), CreatedAt = DateTimeOffset.UtcNow.AddDays(-30), ExpiresAt = DateTimeOffset.UtcNow.AddDays(-1) });
            await db.SaveChangesAsync();
        }

        using var third = server.NewClient();
        var expired = await ParticipantClient.PostFormAsync(third, "/", "/join", new() { ["code"] = "oldc-ode2" });
        Assert.Contains("This code has expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Before_consent_the_menu_offers_only_leaving_and_after_it_the_task_history_and_about_pages()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        using var client = server.NewClient();
        var join = await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = server.Codes.Dequeue() });
        Assert.Equal(HttpStatusCode.Redirect, join.StatusCode);

        static string[] Menu(string html) =>
            [.. new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelectorAll("header.top nav a").Select(a => a.GetAttribute("href")!)];

        // The consent page and the protocol it links to: the task, history and about links would each lead back here.
        Assert.Equal(["/withdraw"], Menu(await client.GetStringAsync("/consent")));
        Assert.Equal(["/withdraw"], Menu(await client.GetStringAsync("/protocol")));
        // Pages that are not the participant's own (the join page, a page that is not there) ask for the consent too.
        Assert.Equal(["/withdraw"], Menu(await client.GetStringAsync("/")));
        var missing = await client.GetAsync("/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(["/withdraw"], Menu(await missing.Content.ReadAsStringAsync()));
        var history = await client.GetAsync("/history");
        Assert.Equal(HttpStatusCode.Redirect, history.StatusCode);
        Assert.Equal("/consent", history.Headers.Location?.OriginalString);

        var consent = await ParticipantClient.PostFormAsync(client, "/consent", "/consent", new() { ["agree"] = "true" });
        Assert.Equal(HttpStatusCode.Redirect, consent.StatusCode);
        Assert.Equal(["/task", "/history", "/about", "/withdraw"], Menu(await client.GetStringAsync("/history")));
        Assert.Equal(["/task", "/history", "/about", "/withdraw"], Menu(await client.GetStringAsync("/protocol")));
        Assert.Equal(["/task", "/history", "/about", "/withdraw"], Menu(await client.GetStringAsync("/")));
    }
}
