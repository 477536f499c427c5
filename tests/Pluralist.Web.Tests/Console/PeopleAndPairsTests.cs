using System.Net;
using System.Net.Http.Json;
using System.Text;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Studies.Accounts;

namespace Pluralist.Web.Tests.Console;

/// <summary>Resetting a participant's code and importing pairs from a CSV, over real HTTP.</summary>
public sealed class PeopleAndPairsTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task A_reset_code_signs_the_participant_back_in_and_earlier_codes_stop_working()
    {
        // Four code attempts per minute from one address, as for any invitation code.
        await using var server = await AppServer.StartAsync(codes: 2, codeAttemptsPerMinute: 4);
        var original = server.Codes.Peek();
        var p = await server.JoinAsync(); // attempt 1
        var task = await p.NextTaskAsync();
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task!, ParticipantClient.Answer(task!, "r-1", 0.5))).StatusCode);
        long id;
        string pseudonym;
        await using (var db = server.Database.CreateContext())
        {
            (id, pseudonym) = await db.Participants.Where(x => x.StudyId != null).Select(x => new ValueTuple<long, string>(x.Id, x.Pseudonym)).SingleAsync();
        }

        // A participant cannot make codes; a liaison can, twice: the first reset code no longer works.
        var token = new HtmlParser().ParseDocument(await p.Http.GetStringAsync("/task")).QuerySelector("form#answer")?.GetAttribute("data-token") ?? "";
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/console/studies/livs-default/participants/{pseudonym}/code"))
        {
            request.Headers.Add("X-CSRF-TOKEN", token);
            Assert.Equal(HttpStatusCode.Forbidden, (await p.Http.SendAsync(request)).StatusCode);
        }

        var liaison = await SignInAsync(server, "liaison@example.org", Role.Liaison);
        var first = await ResetAsync(liaison, pseudonym);
        var second = await ResetAsync(liaison, pseudonym);
        Assert.NotEqual(first, second);

        using var other = server.NewClient();
        var stale = await ParticipantClient.PostFormAsync(other, "/", "/join", new() { ["code"] = first }); // attempt 2
        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        Assert.Contains("This code has expired", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var back = await ParticipantClient.PostFormAsync(other, "/", "/join", new() { ["code"] = second.ToLowerInvariant() }); // attempt 3
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        var returned = new ParticipantClient(other);
        var next = await returned.NextTaskAsync(); // no second consent: straight to the task
        Assert.NotNull(next);
        Assert.Equal(HttpStatusCode.OK, (await returned.SubmitAsync(next!, ParticipantClient.Answer(next!, "r-2", -0.5))).StatusCode);

        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(2, await db.Annotations.CountAsync(a => a.ParticipantId == id)); // the same participant, their answers kept
            Assert.Equal(1, await db.Participants.CountAsync(x => x.StudyId != null));
            var audit = await db.AuditEntries.Where(a => a.Action == "participant.code-reset").ToListAsync();
            Assert.Equal(2, audit.Count);
            Assert.All(audit, a => Assert.Contains(pseudonym, a.Details, StringComparison.Ordinal));
            Assert.All(audit, a => Assert.DoesNotContain(second, a.Details, StringComparison.Ordinal));
        }

        // Used codes stay used; and the rate limit on codes is unchanged for reset codes.
        using var third = server.NewClient();
        Assert.Contains("already been used", await (await ParticipantClient.PostFormAsync(third, "/", "/join", new() { ["code"] = original })).Content.ReadAsStringAsync(), StringComparison.Ordinal); // attempt 4
        var fresh = await ResetAsync(liaison, pseudonym);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ParticipantClient.PostFormAsync(third, "/", "/join", new() { ["code"] = fresh })).StatusCode); // attempt 5

        // Through the API as well; an unknown pseudonym is 404.
        var apiToken = await TokenAsync(liaison, "/console/studies/livs-default/people");
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/console/studies/livs-default/participants/{pseudonym}/code"))
        {
            request.Headers.Add("X-CSRF-TOKEN", apiToken);
            var made = await liaison.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, made.StatusCode);
            Assert.Matches("^[A-Z2-9]{4}-[A-Z2-9]{4}$", (await made.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("code").GetString());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/console/studies/livs-default/participants/P-NOBODY/code"))
        {
            request.Headers.Add("X-CSRF-TOKEN", apiToken);
            Assert.Equal(HttpStatusCode.NotFound, (await liaison.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task Pairs_imported_from_a_csv_are_checked_row_by_row_and_stored_all_or_none()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        long a0, a1, a2, b0, excluded, batch;
        await using (var db = server.Database.CreateContext())
        {
            await db.Pairs.ExecuteDeleteAsync();
            var images = await db.Images.OrderBy(i => i.Id).ToListAsync();
            var first = images.Where(i => i.PromptId == images[0].PromptId).Select(i => i.Id).ToList();
            (a0, a1, a2, excluded) = (first[0], first[1], first[2], first[3]);
            b0 = images.First(i => i.PromptId != images[0].PromptId).Id;
            await db.Images.Where(i => i.Id == excluded).ExecuteUpdateAsync(s => s.SetProperty(i => i.Flags, ImageFlags.Excluded));
            var study = await db.Studies.SingleAsync();
            db.Pairs.Add(new Pair { StudyId = study.Id, Image0Id = a0, Image1Id = a2, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
            batch = await db.Batches.Select(b => b.Id).FirstAsync();
        }

        var researcher = await SignInAsync(server, "lead@example.org", Role.Researcher);
        var missing = await ImportAsync(researcher, "image_0,kind\n1,annotation\n");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("pairs.csv:1 (image_1): required column is missing", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var csv = $"""
            image_0,image_1,kind,expected_preference
            {a0},{a1},annotation,
            {a0},99999,annotation,
            {a0},{b0},annotation,
            {a1},{a0},annotation,
            {a2},{a2},annotation,
            {a2},{a0},,
            {a1},{excluded},,
            {a1},{a2},attention-check,
            {a1},{a2},sometimes,
            """;
        var bad = await ImportAsync(researcher, csv + "\n");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var html = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        Assert.Contains("pairs.csv:3:2 (image_1): there is no image 99999 in this study", html, StringComparison.Ordinal);
        Assert.Contains($"pairs.csv:4:2 (image_1): image {b0} shows another prompt than image {a0}", html, StringComparison.Ordinal);
        Assert.Contains($"pairs.csv:5:2 (image_1): the pair {a1}, {a0} is already listed on line 2", html, StringComparison.Ordinal);
        Assert.Contains($"pairs.csv:6:2 (image_1): the same image as image_0 ({a2})", html, StringComparison.Ordinal);
        Assert.Contains($"pairs.csv:7:2 (image_1): the pair {a2}, {a0} is already in the study", html, StringComparison.Ordinal);
        Assert.Contains($"pairs.csv:8:2 (image_1): image {excluded} is excluded", html, StringComparison.Ordinal);
        Assert.Contains("pairs.csv:9:4 (expected_preference): an attention-check pair needs the expected preference", html, StringComparison.Ordinal);
        Assert.Contains("pairs.csv:10:3 (kind): &#x27;sometimes&#x27; is not one of".Replace("&#x27;", "'", StringComparison.Ordinal), html, StringComparison.Ordinal);
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(1, await db.Pairs.CountAsync()); // nothing stored
        }

        // A liaison cannot import; a good file is stored whole, in the batch, with kinds and expected preferences.
        var liaison = await SignInAsync(server, "liaison@example.org", Role.Liaison);
        Assert.Equal(HttpStatusCode.Forbidden, (await ImportAsync(liaison, $"image_0,image_1\n{a0},{a1}\n")).StatusCode);
        var good = await ImportAsync(researcher, $"image_0,image_1,kind,expected_preference\n{a0},{a1},,\n{a1},{a2},attention-check,1\n", batch: batch);
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Contains("2%20pairs%20imported.", good.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var across = await ImportAsync(researcher, $"image_0,image_1\n{a0},{b0}\n", withinPrompt: false);
        Assert.Equal(HttpStatusCode.Redirect, across.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var pairs = await db.Pairs.OrderBy(p => p.Id).ToListAsync();
            Assert.Equal(4, pairs.Count);
            Assert.Equal((a0, a1, PairKind.Annotation, (double?)null, (long?)batch), (pairs[1].Image0Id, pairs[1].Image1Id, pairs[1].Kind, pairs[1].ExpectedPreference, pairs[1].BatchId));
            Assert.Equal((PairKind.AttentionCheck, (double?)1), (pairs[2].Kind, pairs[2].ExpectedPreference));
            Assert.Equal((a0, b0, (long?)null), (pairs[3].Image0Id, pairs[3].Image1Id, pairs[3].BatchId));
            Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == "pairs.import"));
        }
    }

    [Fact]
    public async Task A_pairs_csv_with_very_many_bad_rows_lists_the_first_50_and_one_over_the_size_cap_is_refused_unread()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var researcher = await SignInAsync(server, "lead@example.org", Role.Researcher);
        int pairs;
        await using (var db = server.Database.CreateContext())
        {
            pairs = await db.Pairs.CountAsync();
        }

        // 100,000 rows, each with a bad image_0: the page lists 50 and counts the rest (the probe's page was 389 MB).
        var csv = new StringBuilder("image_0,image_1\n");
        for (var i = 0; i < 100_000; i++)
        {
            csv.Append("abc,1\n");
        }

        var bad = await ImportAsync(researcher, csv.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var html = await bad.Content.ReadAsStringAsync();
        Assert.True(html.Length < 100_000, $"the error page is {html.Length} characters");
        var listed = new HtmlParser().ParseDocument(html).QuerySelectorAll("div.error li").Select(li => li.TextContent).ToList();
        Assert.Equal(51, listed.Count);
        Assert.Equal("pairs.csv:2:1 (image_0): 'abc' is not an integer", listed[0]);
        Assert.Equal("pairs.csv:51:1 (image_0): 'abc' is not an integer", listed[49]);
        Assert.Equal("… and 99950 more problems (100000 in all; the first 50 are listed)", listed[50]);

        // 18.8 MB, over the 8 MiB cap (Pluralist:Imports:MaxCsvUploadBytes): 413 before the form is read.
        var huge = await ImportAsync(researcher, "image_0,image_1\n" + string.Concat(Enumerable.Repeat("12345678,87654321\n", 1_050_000)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("larger than 8 MiB, the limit for this form (Pluralist:Imports:MaxCsvUploadBytes). Nothing was stored.", await huge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await researcher.GetAsync("/console/studies/livs-default/images")).StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(pairs, await db.Pairs.CountAsync());
        }
    }

    private static async Task<string> ResetAsync(HttpClient staff, string pseudonym)
    {
        var response = await ParticipantClient.PostFormAsync(staff, "/console/studies/livs-default/people", "/console/studies/livs-default/people?handler=Reset", new() { ["pseudonym"] = pseudonym });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains(pseudonym, page.QuerySelector("#reset-heading")!.TextContent, StringComparison.Ordinal);
        return page.QuerySelector("ol.codes li")!.TextContent.Trim();
    }

    private static async Task<HttpResponseMessage> ImportAsync(HttpClient client, string csv, long? batch = null, bool withinPrompt = true)
    {
        var token = await TokenAsync(client, "/console/studies/livs-default");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent(batch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""), "batch" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "pairs.csv" },
        };
        if (withinPrompt)
        {
            form.Add(new StringContent("true"), "withinPrompt");
        }

        // Expect: 100-continue, as uploading clients should: a body over the limit is then refused before it is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console/studies/livs-default/images?handler=ImportPairs") { Content = form };
        request.Headers.ExpectContinue = true;
        return await client.SendAsync(request);
    }

    private static async Task<string> TokenAsync(HttpClient client, string page) =>
        new HtmlParser().ParseDocument(await client.GetStringAsync(page)).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;

    private static async Task<HttpClient> SignInAsync(AppServer server, string email, Role role)
    {
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, email, role, Password);
        }

        var client = server.NewClient();
        var response = await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = email, ["password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }
}
