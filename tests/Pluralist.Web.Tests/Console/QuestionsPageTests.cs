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

    [Fact]
    public async Task An_oversized_questions_file_is_refused_on_its_field_and_nothing_is_stored()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var researcher = await ConsoleTests.SignInAsync(server, "r@example.org", Role.Researcher);
        var shown = new HtmlParser().ParseDocument(await researcher.GetStringAsync(Page)).QuerySelector("#questions")!.TextContent;
        // A valid file padded past the cap with spaces, so only its size is wrong (the DIVE questions, which differ from the study's).
        var dive = shown.Replace("\"age-band\"", "\"age-group\"", StringComparison.Ordinal);
        var huge = dive + new string(' ', Pluralist.Web.Console.Questions.QuestionsModel.MaxFileChars);
        var refused = await ParticipantClient.PostFormAsync(researcher, Page, Page + "?handler=File", new() { ["questions"] = huge });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var page = new HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
        var problem = page.QuerySelector("#problems li a")!;
        Assert.Equal("#questions", problem.GetAttribute("href"));
        Assert.Contains("longer than 256 KiB", problem.TextContent, StringComparison.Ordinal);
        Assert.Equal("true", page.QuerySelector("#questions")!.GetAttribute("aria-invalid"));
        Assert.True(page.QuerySelector("#questions")!.TextContent.Length < 2000); // not echoed back whole

        await using var db = server.Database.CreateContext();
        var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
        Assert.Contains("age-band", study.IdentityMarkers);
        Assert.DoesNotContain("age-group", study.IdentityMarkers);
        Assert.False(await db.AuditEntries.AnyAsync(a => a.Action == "study.questions"));
    }

    [Fact]
    public async Task When_two_researchers_code_one_answer_the_second_save_is_refused_naming_the_first_and_nothing_is_lost()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await server.JoinAsync(form =>
        {
            form["consent-neighbourhood"] = "true";
            form["value-neighbourhood"] = "Riverside Park";
        });
        var ana = await ConsoleTests.SignInAsync(server, "ana@example.org", Role.Researcher);
        var ben = await ConsoleTests.SignInAsync(server, "ben@example.org", Role.Researcher);

        // Both open the page while the answer is not coded; each form carries what it showed (was = "").
        var anaPage = new HtmlParser().ParseDocument(await ana.GetStringAsync(Page));
        var benPage = new HtmlParser().ParseDocument(await ben.GetStringAsync(Page));
        var answer = benPage.QuerySelector("#coding ~ table input[name=answer]")!.GetAttribute("value")!;
        Assert.Equal("", benPage.QuerySelector("#coding ~ table input[name=was]")!.GetAttribute("value"));
        var fieldId = benPage.QuerySelector("#coding ~ table input[name=code]")!.Id!;
        Assert.NotNull(anaPage.QuerySelector("#" + fieldId));

        var first = await PostCodeAsync(ana, anaPage, answer, "riverside");
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);

        // Ben saves from the page he opened before: refused, naming who changed it to what; his code stays in the field.
        var second = await PostCodeAsync(ben, benPage, answer, "east-end");
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var refused = new HtmlParser().ParseDocument(await second.Content.ReadAsStringAsync());
        var problem = refused.QuerySelector("#problems li a")!;
        Assert.Equal("#" + fieldId, problem.GetAttribute("href"));
        Assert.Contains("ana@example.org coded it 'riverside'", problem.TextContent, StringComparison.Ordinal);
        Assert.Contains("your code 'east-end' was not saved", problem.TextContent, StringComparison.Ordinal);
        Assert.Equal("east-end", refused.QuerySelector("#" + fieldId)!.GetAttribute("value"));
        Assert.Equal("true", refused.QuerySelector("#" + fieldId)!.GetAttribute("aria-invalid"));
        Assert.Equal("riverside", refused.QuerySelector("#coding ~ table input[name=was]")!.GetAttribute("value"));
        await using (var db = server.Database.CreateContext())
        {
            var coding = await db.IdentityCodings.SingleAsync();
            Assert.Equal(("riverside", "ana@example.org"), (coding.Code, coding.CodedBy));
            Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "identity.code"));
        }

        // Saving again from the refused page (which now knows of Ana's code) replaces it knowingly; both changes are audited.
        var third = await PostCodeAsync(ben, refused, answer, "east-end");
        Assert.Equal(HttpStatusCode.Redirect, third.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var coding = await db.IdentityCodings.SingleAsync();
            Assert.Equal(("east-end", "ben@example.org"), (coding.Code, coding.CodedBy));
            var audit = await db.AuditEntries.Where(a => a.Action == "identity.code").OrderBy(a => a.Id).Select(a => a.Details).ToListAsync();
            Assert.Equal(2, audit.Count);
            Assert.Contains("\"before\":\"riverside\"", audit[1], StringComparison.Ordinal);
        }

        // Removing a coding someone else changed is refused the same way.
        var stale = await PostCodeAsync(ana, anaPage, answer, "");
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal("east-end", (await db.IdentityCodings.SingleAsync()).Code);
        }
    }

    // Posts the coding form of a page already fetched: its own antiforgery token and hidden fields, the given code.
    private static Task<HttpResponseMessage> PostCodeAsync(HttpClient client, AngleSharp.Html.Dom.IHtmlDocument page, string answer, string code)
    {
        var form = page.QuerySelectorAll("#coding ~ table form").First(f => f.QuerySelector("input[name=answer]")!.GetAttribute("value") == answer);
        var fields = form.QuerySelectorAll("input[type=hidden]").Select(i => new KeyValuePair<string, string>(i.GetAttribute("name")!, i.GetAttribute("value") ?? "")).ToList();
        fields.Add(new("code", code));
        return client.PostAsync(Page + "?handler=Code", new FormUrlEncodedContent(fields));
    }
}
