using System.Net;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Web.Tests.Console;

/// <summary>The console's questions page over real HTTP: presets, the edited questions file, the coding table; researchers only; audited.</summary>
public sealed class QuestionsPageTests
{
    private const string Page = "/console/studies/livs-default/questions";

    [Fact]
    public async Task Only_researchers_see_the_questions_and_the_coding_table()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var anonymous = await server.NewClient().GetAsync(Page);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        var liaison = await ConsoleTests.SignInAsync(server, "liaison@example.org", Role.Liaison);
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync(Page)).StatusCode);
        var participant = await server.JoinAsync();
        Assert.NotEqual(HttpStatusCode.OK, (await participant.Http.GetAsync(Page)).StatusCode);

        // A post without the antiforgery token changes nothing.
        var researcher = await ConsoleTests.SignInAsync(server, "r@example.org", Role.Researcher);
        var forged = await researcher.PostAsync(Page + "?handler=Preset", new FormUrlEncodedContent(new Dictionary<string, string> { ["preset"] = "dive" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        await using var db = server.Database.CreateContext();
        Assert.DoesNotContain("age", (await db.Studies.SingleAsync(s => s.Key == "livs-default")).IdentityMarkers); // dive's number question
        Assert.False(await db.AuditEntries.AnyAsync(a => a.Action == "study.questions"));
    }

    [Fact]
    public async Task A_researcher_uses_the_dive_preset_then_a_bad_file_is_refused_with_its_place_and_nothing_changes()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var researcher = await ConsoleTests.SignInAsync(server, "r@example.org", Role.Researcher);

        var preset = await ParticipantClient.PostFormAsync(researcher, Page, Page + "?handler=Preset", new() { ["preset"] = "dive" });
        Assert.Equal(HttpStatusCode.Redirect, preset.StatusCode);
        var shown = new HtmlParser().ParseDocument(await researcher.GetStringAsync(preset.Headers.Location!.OriginalString));
        Assert.Equal(["gender", "age", "ethnicity"], shown.QuerySelectorAll("table:first-of-type tbody code").Select(c => c.TextContent));
        Assert.Contains("Saved", shown.QuerySelector("[role=status]")!.TextContent, StringComparison.Ordinal);
        var file = shown.QuerySelector("#questions")!.TextContent;
        Assert.Contains("\"likertQuestions\"", file, StringComparison.Ordinal);

        // The shown file, with the first question's kind unknown: refused, located, nothing saved, the sent text kept.
        var at = file.IndexOf("\"single-choice\"", StringComparison.Ordinal);
        var broken = file[..at] + "\"slider\"" + file[(at + "\"single-choice\"".Length)..];
        Assert.NotEqual(file, broken);
        var refused = await ParticipantClient.PostFormAsync(researcher, Page, Page + "?handler=File", new() { ["questions"] = broken });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var page = new HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
        var problem = page.QuerySelector("#problems li a")!;
        Assert.Equal("#questions", problem.GetAttribute("href"));
        Assert.Contains("identityQuestions[0]", problem.TextContent, StringComparison.Ordinal);
        Assert.Equal("true", page.QuerySelector("#questions")!.GetAttribute("aria-invalid"));
        Assert.Equal(broken.Trim(), page.QuerySelector("#questions")!.TextContent.Trim());

        // Not JSON at all: refused with the place named.
        var garbage = await ParticipantClient.PostFormAsync(researcher, Page, Page + "?handler=File", new() { ["questions"] = "{\n  \"identityQuestions\": [ oops" });
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Contains("questions:2", new HtmlParser().ParseDocument(await garbage.Content.ReadAsStringAsync()).QuerySelector("#problems")!.TextContent, StringComparison.Ordinal);

        await using var db = server.Database.CreateContext();
        var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
        Assert.Equal(["gender", "age", "ethnicity"], study.IdentityMarkers);
        Assert.Equal("Genre", study.QuestionFor("gender").Text.Get("fr"));
        var audit = await db.AuditEntries.Where(a => a.Action == "study.questions").ToListAsync();
        Assert.Single(audit);
        Assert.Contains("preset:dive", audit[0].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_free_text_answer_is_coded_into_a_group_and_a_bad_code_is_refused_on_its_field()
    {
        await using var server = await AppServer.StartAsync(codes: 2);
        await server.JoinAsync(form =>
        {
            form["consent-disability"] = "true";
            form["value-disability"] = "Uses a wheelchair";
        });
        await server.JoinAsync(form => form["value-disability"] = "not consented, never stored");
        var researcher = await ConsoleTests.SignInAsync(server, "r@example.org", Role.Researcher);

        var page = new HtmlParser().ParseDocument(await researcher.GetStringAsync(Page));
        var rows = page.QuerySelectorAll("#coding ~ table tbody tr").Select(tr => tr.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray()).ToList();
        var row = Assert.Single(rows);
        Assert.Equal(("disability", "1"), (row[0], row[2]));
        var answer = page.QuerySelector("#coding ~ table input[name=answer]")!.GetAttribute("value")!;

        var bad = await ParticipantClient.PostFormAsync(researcher, Page, Page + "?handler=Code", new() { ["question"] = "disability", ["answer"] = answer, ["code"] = "not a code!" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var badPage = new HtmlParser().ParseDocument(await bad.Content.ReadAsStringAsync());
        var link = badPage.QuerySelector("#problems li a")!.GetAttribute("href")!;
        Assert.NotNull(badPage.QuerySelector(link)); // the error links to the row's code field
        await using (var db = server.Database.CreateContext())
        {
            Assert.Empty(await db.IdentityCodings.ToListAsync());
        }

        var good = await ParticipantClient.PostFormAsync(researcher, Page, Page + "?handler=Code", new() { ["question"] = "disability", ["answer"] = answer, ["code"] = "mobility" });
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        var after = new HtmlParser().ParseDocument(await researcher.GetStringAsync(Page));
        Assert.Equal("mobility", after.QuerySelector("#coding ~ table input[name=code]")!.GetAttribute("value"));
        await using (var db = server.Database.CreateContext())
        {
            var coding = await db.IdentityCodings.SingleAsync();
            Assert.Equal(("disability", "mobility", "r@example.org"), (coding.QuestionKey, coding.Code, coding.CodedBy));
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Details.Contains("mobility")));
        }
    }
}
