using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data.Bundles;
using Pluralist.Studies.Accounts;

namespace Pluralist.Web.Tests.Console;

public sealed class ConsoleTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Anonymous_visitors_are_sent_to_sign_in_and_the_api_answers_401()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        using var client = server.NewClient();
        var page = await client.GetAsync("/console/studies/livs-default/progress");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/console/login?back=%2Fconsole%2Fstudies%2Flivs-default%2Fprogress", page.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/console/studies")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/console/studies/livs-default/export.zip")).StatusCode);
    }

    [Fact]
    public async Task A_participant_reaches_no_console_page_or_api()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var participant = await server.JoinAsync();
        var http = participant.Http;
        foreach (var path in new[] { "/console", "/console/studies/new", "/console/studies/livs-default", "/console/studies/livs-default/batches",
                     "/console/studies/livs-default/people", "/console/studies/livs-default/progress", "/console/studies/livs-default/audit",
                     "/console/studies/livs-default/export.zip", "/api/console/studies", "/api/console/studies/livs-default/progress" })
        {
            Assert.True((await http.GetAsync(path)).StatusCode == HttpStatusCode.Forbidden, path);
        }

        var task = await participant.NextTaskAsync();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/console/studies/livs-default/criteria") { Content = JsonContent.Create(new { key = "shade", name = new { en = "Shade", fr = "Ombre" } }) };
        post.Headers.Add("X-CSRF-TOKEN", task!.Token);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(post)).StatusCode);
        await using var db = server.Database.CreateContext();
        Assert.False(await db.Criteria.AnyAsync(c => c.Key == "shade"));
    }

    [Fact]
    public async Task A_researcher_sets_up_a_study_and_invites_people()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var researcher = await SignInAsync(server, "Lead@Example.org", Role.Researcher);

        // A new study, then a criterion in both languages; a missing French name is refused and nothing is stored.
        var created = await PostAsync(researcher, "/console/studies/new", "/console/studies/new", new()
        {
            ["Key"] = "parks-2025",
            ["TitleEn"] = "Parks for everyone",
            ["TitleFr"] = "Des parcs pour tout le monde",
            ["DescriptionEn"] = "Compare parks.",
            ["DescriptionFr"] = "Comparez des parcs.",
            ["Template"] = "",
        });
        Assert.Equal("/console/studies/parks-2025", created.Headers.Location!.OriginalString);
        var bad = await PostAsync(researcher, "/console/studies/parks-2025", "/console/studies/parks-2025?handler=AddCriterion",
            new() { ["newKey"] = "shade", ["nameEn"] = "Shade", ["nameFr"] = "" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("A name in French is required", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var added = await PostAsync(researcher, "/console/studies/parks-2025", "/console/studies/parks-2025?handler=AddCriterion",
            new() { ["newKey"] = "shade", ["nameEn"] = "Shade", ["nameFr"] = "Ombre", ["definitionEn"] = "Where can you rest out of the sun?", ["definitionFr"] = "Où se reposer à l'abri du soleil?" });
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);

        var batch = await PostAsync(researcher, "/console/studies/parks-2025/batches", "/console/studies/parks-2025/batches", new()
        {
            ["Name"] = "Spring",
            ["Opens"] = "2025-04-01T09:00",
            ["Closes"] = "2025-04-15T09:00",
            ["Quota"] = "300",
            ["Distribution"] = "least-answered",
            ["Overlap"] = "3",
        });
        Assert.Equal(HttpStatusCode.Redirect, batch.StatusCode);

        // Printable codes are shown once; they work for joining the new study.
        var codes = await PostAsync(researcher, "/console/studies/parks-2025/people", "/console/studies/parks-2025/people?handler=Codes",
            new() { ["count"] = "3", ["days"] = "30", ["language"] = "fr" });
        var shown = new HtmlParser().ParseDocument(await codes.Content.ReadAsStringAsync()).QuerySelectorAll("ol.codes li").Select(li => li.TextContent.Trim()).ToList();
        Assert.Equal(3, shown.Count);
        using var newcomer = server.NewClient();
        var join = await ParticipantClient.PostFormAsync(newcomer, "/", "/join", new() { ["code"] = shown[0] });
        Assert.Equal(HttpStatusCode.Redirect, join.StatusCode);

        // A CSV with a bad row invites no one; a good one writes an email per person, in their language.
        var outbox = Path.Combine(server.DataRoot, "outbox");
        var before = Directory.GetFiles(outbox).Length;
        var badCsv = await UploadAsync(researcher, "email,language\nana@example.org,fr\nnot-an-email,en\nben@example.org,de\n");
        Assert.Equal(HttpStatusCode.BadRequest, badCsv.StatusCode);
        var errors = await badCsv.Content.ReadAsStringAsync();
        Assert.Contains("invitations.csv:3:1 (email): &#x27;not-an-email&#x27; is not an email address", errors, StringComparison.Ordinal);
        Assert.Contains("invitations.csv:4:2 (language): &#x27;de&#x27; is not en or fr", errors, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(outbox).Length);
        var goodCsv = await UploadAsync(researcher, "email,language\nana@example.org,fr\nben@example.org,en\n");
        Assert.Equal(HttpStatusCode.OK, goodCsv.StatusCode);
        var mails = Directory.GetFiles(outbox).Select(File.ReadAllText).Where(m => m.Contains("Invitation", StringComparison.Ordinal)).ToList();
        Assert.Contains(mails, m => m.Contains("To: ana@example.org", StringComparison.Ordinal) && m.Contains("Votre code d'invitation", StringComparison.Ordinal));
        Assert.Contains(mails, m => m.Contains("To: ben@example.org", StringComparison.Ordinal) && m.Contains("Your invitation code", StringComparison.Ordinal));

        // The bundle download holds the new criterion; the audit log names who did what.
        var zip = await researcher.GetAsync("/console/studies/parks-2025/export.zip");
        Assert.Equal("application/zip", zip.Content.Headers.ContentType!.MediaType);
        var file = Path.Combine(Directory.CreateTempSubdirectory("pluralist-console-").FullName, "parks.zip");
        await File.WriteAllBytesAsync(file, await zip.Content.ReadAsByteArrayAsync());
        using (var bundle = BundleReader.Read(file))
        {
            var shade = Assert.Single(bundle.Study.Criteria, c => c.Key == "shade");
            Assert.Equal("Ombre", shade.Name["fr"]);
            Assert.Equal("Spring", Assert.Single(bundle.Study.Batches).Name);
        }

        var audit = await researcher.GetStringAsync("/console/studies/parks-2025/audit");
        foreach (var action in new[] { "study.create", "criterion.add", "batch.create", "invitations.create", "export.bundle" })
        {
            Assert.Contains(action, audit, StringComparison.Ordinal);
        }

        Assert.Contains("lead@example.org", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_liaison_follows_and_invites_but_cannot_change_criteria_or_export()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var liaison = await SignInAsync(server, "liaison@example.org", Role.Liaison);
        Assert.Equal(HttpStatusCode.OK, (await liaison.GetAsync("/console/studies/livs-default/progress")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await liaison.GetAsync("/api/console/studies/livs-default/progress")).StatusCode);
        var codes = await PostAsync(liaison, "/console/studies/livs-default/people", "/console/studies/livs-default/people?handler=Codes",
            new() { ["count"] = "2", ["days"] = "7", ["language"] = "en" });
        Assert.Equal(HttpStatusCode.OK, codes.StatusCode);

        var edit = await PostAsync(liaison, "/console/studies/livs-default", "/console/studies/livs-default?handler=Criterion",
            new() { ["criterion"] = "safety", ["nameEn"] = "Danger", ["nameFr"] = "Danger" });
        Assert.Equal(HttpStatusCode.Forbidden, edit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync("/console/studies/livs-default/export.zip")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync("/console/studies/livs-default/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync("/console/studies/new")).StatusCode);
        await using var db = server.Database.CreateContext();
        Assert.Equal("Safety", (await db.Criteria.SingleAsync(c => c.Key == "safety" && c.StudyId == db.Studies.Single(s => s.Key == "livs-default").Id)).Name["en"]);
    }

    [Fact]
    public async Task Identity_groups_below_the_minimum_are_never_shown()
    {
        await using var server = await AppServer.StartAsync(codes: 8);
        foreach (var gender in new[] { "woman", "woman", "woman", "woman", "woman", "man", "man", "non-binary" })
        {
            var p = await server.JoinAsync(form =>
            {
                form["consent-gender"] = "true";
                form["value-gender"] = gender;
            });
            var task = await p.NextTaskAsync();
            Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task!, ParticipantClient.Answer(task!, "r-1", 0.5, 0, null))).StatusCode);
        }

        var researcher = await SignInAsync(server, "r@example.org", Role.Researcher);
        var report = await researcher.GetFromJsonAsync<JsonElement>("/api/console/studies/livs-default/progress");
        Assert.Equal(8, report.GetProperty("answers").GetInt32());
        var groups = report.GetProperty("groups").EnumerateArray().Select(g => (g.GetProperty("marker").GetString(), g.GetProperty("group").GetString(), g.GetProperty("participants").GetInt32())).ToList();
        Assert.Equal([("gender", "woman", 5)], groups);
        var hidden = Assert.Single(report.GetProperty("suppressed").EnumerateArray());
        Assert.Equal(2, hidden.GetProperty("groups").GetInt32());
        Assert.Equal(3, hidden.GetProperty("participants").GetInt32());

        var page = new HtmlParser().ParseDocument(await researcher.GetStringAsync("/console/studies/livs-default/progress"));
        var cells = page.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Contains("woman", cells);
        Assert.DoesNotContain("man", cells);
        Assert.DoesNotContain("non-binary", cells);

        // Overlap: eight people answered one pair each, so the pairs' rater counts add up to eight; the page shows the JSON's table.
        var overlap = report.GetProperty("overlap");
        var distribution = overlap.GetProperty("distribution").EnumerateArray().Select(d => (Raters: d.GetProperty("raters").GetInt32(), Pairs: d.GetProperty("pairs").GetInt32())).ToList();
        Assert.Equal(8, distribution.Sum(d => d.Raters * d.Pairs));
        Assert.Equal(overlap.GetProperty("pairs").GetInt32(), distribution.Sum(d => d.Pairs));
        var overlapRows = page.QuerySelectorAll("#overlap tbody tr").Select(tr => tr.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(distribution.Select(d => d.Pairs.ToString(System.Globalization.CultureInfo.InvariantCulture)), overlapRows.Select(r => r[1]));
        Assert.Contains($"target K = {overlap.GetProperty("target").GetInt32()}", page.QuerySelector("#overlap caption")!.TextContent, StringComparison.Ordinal);

        // The dataset viewer offers only the large group, and refuses a small one asked for by hand.
        var data = new HtmlParser().ParseDocument(await researcher.GetStringAsync("/console/studies/livs-default/data"));
        Assert.Equal(["", "gender=woman"], data.QuerySelectorAll("#group option").Select(o => o.GetAttribute("value")));
        Assert.Contains("pairs with 16 criterion answers match", data.QuerySelector("[role=status]")!.TextContent, StringComparison.Ordinal);
        // Five women answered; a pair answered by fewer than five of them has no row in their view.
        Dictionary<long, int> womenPerPair;
        await using (var db = server.Database.CreateContext())
        {
            var womenIds = await db.IdentityAnswers.Where(a => a.Marker == "gender" && a.Value == "woman").Select(a => a.ParticipantId).ToListAsync();
            womenPerPair = (await db.Annotations.Where(a => womenIds.Contains(a.ParticipantId)).Select(a => new { a.PairId, a.ParticipantId }).ToListAsync())
                .Distinct().GroupBy(a => a.PairId).ToDictionary(g => g.Key, g => g.Count());
        }

        var women = new HtmlParser().ParseDocument(await researcher.GetStringAsync("/console/studies/livs-default/data?group=gender%3Dwoman"));
        Assert.Equal(womenPerPair.Count(kv => kv.Value >= 5), women.QuerySelectorAll("tbody tr").Length);
        Assert.Equal(womenPerPair.Any(kv => kv.Value < 5), women.QuerySelector("[role=status]")!.TextContent.Contains("Pairs answered by fewer than 5 people of this group are left out", StringComparison.Ordinal));
        var men = new HtmlParser().ParseDocument(await researcher.GetStringAsync("/console/studies/livs-default/data?group=gender%3Dman"));
        Assert.NotNull(men.QuerySelector("[role=alert]"));
        Assert.Empty(men.QuerySelectorAll("tbody tr"));
    }

    [Fact]
    public async Task Sign_in_attempts_are_limited_and_passwords_checked()
    {
        await using var server = await AppServer.StartAsync(codes: 1, signInAttemptsPerMinute: 3);
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "admin@example.org", Role.Admin, Password);
            var stored = await db.Participants.SingleAsync(p => p.Email == "admin@example.org");
            Assert.DoesNotContain(Password, stored.PasswordHash!, StringComparison.Ordinal);
        }

        using var client = server.NewClient();
        var statuses = new List<HttpStatusCode>();
        foreach (var password in new[] { "guess-1", "guess-2", "guess-3", Password })
        {
            statuses.Add((await PostAsync(client, "/console/login", "/console/login", new() { ["email"] = "admin@example.org", ["password"] = password })).StatusCode);
        }

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/console")).StatusCode);
        var open = await PostAsync(client, "/console/login", "/console/login", new() { ["email"] = "admin@example.org", ["password"] = Password, ["back"] = "//evil.example/" });
        Assert.Equal(HttpStatusCode.TooManyRequests, open.StatusCode);
    }

    internal static async Task<HttpClient> SignInAsync(AppServer server, string email, Role role)
    {
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, email, role, Password);
        }

        var client = server.NewClient();
        var response = await PostAsync(client, "/console/login", "/console/login", new() { ["email"] = email.ToUpperInvariant(), ["password"] = Password, ["back"] = "//evil.example/" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/console", response.Headers.Location!.OriginalString); // no open redirect
        return client;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string page, string action, Dictionary<string, string> fields) =>
        ParticipantClient.PostFormAsync(client, page, action, fields);

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string csv)
    {
        var html = await client.GetStringAsync("/console/studies/parks-2025/people");
        var token = new HtmlParser().ParseDocument(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("30"), "days" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "invitations.csv" },
        };
        return await client.PostAsync("/console/studies/parks-2025/people?handler=Csv", form);
    }
}
