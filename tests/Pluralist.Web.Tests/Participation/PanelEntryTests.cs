using System.Net;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Web.Tests.Participation;

/// <summary>Entry from a recruitment panel over real HTTP: ids checked, one participant per panel id, exits per outcome.</summary>
public sealed class PanelEntryTests
{
    private static void Prolific(Study s)
    {
        s.Panel = new PanelSettings
        {
            ParticipantParameter = "PROLIFIC_PID",
            OtherParameters = ["STUDY_ID", "SESSION_ID"],
            Exits =
            {
                [PanelOutcome.Completed] = new PanelExit { Code = "C1ABC", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=C1ABC" },
                [PanelOutcome.NoWorkLeft] = new PanelExit { Code = "NOWORK1" },
                [PanelOutcome.Withdrawn] = new PanelExit { Code = "RET9", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=RET9" },
            },
        };
    }

    private static async Task<HttpResponseMessage> EnterAsync(HttpClient client, string url)
    {
        var page = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var doc = new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        var fields = doc.QuerySelectorAll("form input").ToDictionary(e => e.GetAttribute("name")!, e => e.GetAttribute("value") ?? "");
        Assert.Contains("__RequestVerificationToken", fields.Keys);
        return await client.PostAsync(url, new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task A_panel_entry_records_its_ids_resumes_by_the_same_id_and_ends_with_the_completion_code()
    {
        await using var server = await AppServer.StartAsync(configure: Prolific);
        var key = await StudyKeyAsync(server);
        await using (var setup = server.Database.CreateContext())
        {
            // One comparison each, so that one answer completes.
            await setup.Batches.ExecuteUpdateAsync(b => b.SetProperty(x => x.QuotaPerParticipant, 1));
        }

        var url = $"/panel/{key}?PROLIFIC_PID=5f7a9c0e1b2d3e4f5a6b7c8d&STUDY_ID=st1&SESSION_ID=se1";
        var first = server.NewClient();
        var entered = await EnterAsync(first, url);
        Assert.Equal(HttpStatusCode.Redirect, entered.StatusCode);
        Assert.Equal("/consent", entered.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(first, "/consent", "/consent", new() { ["agree"] = "true" })).StatusCode);
        var p = new ParticipantClient(first);
        var task = (await p.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "r1", 0.5))).StatusCode);

        // The same id again, from another browser and with another session: the same participant, who is done.
        var again = server.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await EnterAsync(again, url.Replace("se1", "se2", StringComparison.Ordinal))).StatusCode);
        var done = new HtmlParser().ParseDocument(await again.GetStringAsync("/task"));
        Assert.Equal("completed", done.QuerySelector(".panel-exit")?.GetAttribute("data-outcome"));
        Assert.Equal("C1ABC", done.QuerySelector("#completion-code")?.TextContent);
        Assert.Equal("https://app.prolific.com/submissions/complete?cc=C1ABC", done.QuerySelector("#panel-return")?.GetAttribute("href"));

        await using var db = server.Database.CreateContext();
        var entry = await db.PanelEntries.SingleAsync();
        Assert.Equal(("5f7a9c0e1b2d3e4f5a6b7c8d", 2, "se2", "st1"), (entry.PanelParticipantId, entry.Entries, entry.Ids["SESSION_ID"], entry.Ids["STUDY_ID"]));
        Assert.Single(await db.Annotations.ToListAsync());
        Assert.Equal(entry.ParticipantId, (await db.Annotations.SingleAsync()).ParticipantId);
    }

    [Fact]
    public async Task A_panel_participant_who_withdraws_leaves_with_the_withdrawn_code_shown_once_to_that_browser()
    {
        await using var server = await AppServer.StartAsync(configure: Prolific);
        var key = await StudyKeyAsync(server);
        var client = server.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await EnterAsync(client, $"/panel/{key}?PROLIFIC_PID=abc123&STUDY_ID=st1&SESSION_ID=se1")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(client, "/consent", "/consent", new() { ["agree"] = "true" })).StatusCode);

        var withdrawn = await ParticipantClient.PostFormAsync(client, "/withdraw", "/withdraw", []);
        Assert.Equal(HttpStatusCode.Redirect, withdrawn.StatusCode);
        var page = new HtmlParser().ParseDocument(await client.GetStringAsync(withdrawn.Headers.Location!.OriginalString));
        Assert.Equal("withdrawn", page.QuerySelector(".panel-exit")?.GetAttribute("data-outcome"));
        Assert.Equal("RET9", page.QuerySelector("#completion-code")?.TextContent);
        Assert.Equal("https://app.prolific.com/submissions/complete?cc=RET9", page.QuerySelector("#panel-return")?.GetAttribute("href"));

        // Read once: a reload, or anyone else opening /withdrawn, sees the usual message and no code.
        var again = new HtmlParser().ParseDocument(await client.GetStringAsync("/withdrawn"));
        Assert.Null(again.QuerySelector("#completion-code"));
        Assert.NotNull(again.QuerySelector("[role=status]"));
        var stranger = new HtmlParser().ParseDocument(await server.NewClient().GetStringAsync("/withdrawn"));
        Assert.Null(stranger.QuerySelector("#completion-code"));

        await using var db = server.Database.CreateContext();
        Assert.NotNull((await db.Participants.SingleAsync()).WithdrawnAt);
    }

    [Theory]
    [InlineData("?STUDY_ID=st1&SESSION_ID=se1", "The link has no PROLIFIC_PID.")]
    [InlineData("?PROLIFIC_PID=a%20b&STUDY_ID=st1&SESSION_ID=se1", "The PROLIFIC_PID in the link is not a valid id")]
    [InlineData("?PROLIFIC_PID=abc&PROLIFIC_PID=def&STUDY_ID=st1&SESSION_ID=se1", "The link gives PROLIFIC_PID twice.")]
    [InlineData("?PROLIFIC_PID=abc&STUDY_ID=st1", "The link has no SESSION_ID.")]
    public async Task Bad_ids_are_refused_with_the_parameter_named_and_nothing_stored(string query, string message)
    {
        await using var server = await AppServer.StartAsync(configure: Prolific);
        var key = await StudyKeyAsync(server);
        var client = server.NewClient();
        var response = await client.GetAsync($"/panel/{key}{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        // A forged POST with a bad id is refused by the server too.
        var tooLong = new string('a', 65);
        var good = await client.GetStringAsync($"/panel/{key}?PROLIFIC_PID=ok&STUDY_ID=st1&SESSION_ID=se1");
        var token = new HtmlParser().ParseDocument(good).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var post = await client.PostAsync($"/panel/{key}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["PROLIFIC_PID"] = tooLong,
            ["STUDY_ID"] = "st1",
            ["SESSION_ID"] = "se1",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        await using var db = server.Database.CreateContext();
        Assert.Empty(await db.PanelEntries.ToListAsync());
    }

    [Fact]
    public async Task A_study_without_panel_entry_and_a_post_without_a_token_are_refused()
    {
        await using var server = await AppServer.StartAsync();
        var key = await StudyKeyAsync(server);
        var client = server.NewClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/panel/{key}?PROLIFIC_PID=abc")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/panel/no-such-study?PROLIFIC_PID=abc")).StatusCode);

        await using var withPanel = await AppServer.StartAsync(configure: Prolific);
        var forged = await withPanel.NewClient().PostAsync($"/panel/{key}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["PROLIFIC_PID"] = "abc",
            ["STUDY_ID"] = "st1",
            ["SESSION_ID"] = "se1",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        await using var db = withPanel.Database.CreateContext();
        Assert.Empty(await db.PanelEntries.ToListAsync());
    }

    [Fact]
    public async Task The_protocol_page_shows_the_study_text_or_the_default_and_the_contact()
    {
        await using var server = await AppServer.StartAsync(configure: s =>
        {
            s.Protocol = LocalizedText.Of("Judge the space, not the people.\n\nAbout 20 minutes.", "Jugez l'espace, pas les personnes.");
            s.Contact = "livs@lab.example";
        });
        var key = await StudyKeyAsync(server);
        var client = server.NewClient();
        var doc = new HtmlParser().ParseDocument(await client.GetStringAsync($"/protocol?study={key}"));
        Assert.Equal(["Judge the space, not the people.", "About 20 minutes."], doc.QuerySelectorAll("#protocol-text p").Select(p => p.TextContent));
        Assert.Equal("livs@lab.example", doc.QuerySelector("#protocol-contact")?.TextContent);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/protocol")).StatusCode);

        var p = await server.JoinAsync();
        Assert.NotNull(new HtmlParser().ParseDocument(await p.Http.GetStringAsync("/task")).QuerySelector("a#protocol-link[href='/protocol']"));
        Assert.Contains("Judge the space", await p.Http.GetStringAsync("/protocol"), StringComparison.Ordinal);
    }

    private static async Task<string> StudyKeyAsync(AppServer server)
    {
        await using var db = server.Database.CreateContext();
        return (await db.Studies.FirstAsync()).Key;
    }
}
