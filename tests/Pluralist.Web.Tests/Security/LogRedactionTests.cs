using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Demo;
using Pluralist.Studies.Load;
using Pluralist.Testing;
using Pluralist.Web.Tests.Load;

namespace Pluralist.Web.Tests.Security;

/// <summary>
/// Issue 16, finding 6c: the server's own process at its default log level, through every flow that carries a
/// secret (emailed invitation links, joining, email codes, passwords, participant and console sign-in, reset
/// codes by page and API); its whole output is then searched for each secret.
/// </summary>
public sealed partial class LogRedactionTests
{
    private const string StaffPassword = "staff password that is long";
    private const string ParticipantPassword = "participant secret words";

    [Fact]
    public async Task No_code_password_or_email_address_appears_in_the_server_log()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var dataRoot = Path.Combine(Path.GetTempPath(), "pluralist-log-" + Guid.NewGuid().ToString("N"));
        var data = new DataDirectory(dataRoot);
        IReadOnlyList<string> codes;
        await using (var db = database.CreateContext())
        {
            var seed = await DemoSeeder.SeedAsync(db, data, DateTimeOffset.UtcNow, 3, imagesPerPrompt: 4);
            codes = seed.InvitationCodes;
            (await db.Studies.FindAsync(seed.Study.Id))!.RequireEmail = true;
            await db.SaveChangesAsync();
            await StaffAccounts.SetAsync(db, "lead@example.org", Role.Researcher, StaffPassword);
        }

        var address = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}/");
        var settings = new Dictionary<string, string>
        {
            ["Pluralist:Data"] = dataRoot,
            ["Pluralist:Db"] = "Sqlite",
            ["Pluralist:Connection"] = database.Options.ConnectionString,
        };
        var secrets = new List<string> { StaffPassword, ParticipantPassword, "ann@example.org", "ben@example.org" };
        using var server = await WebProcess.StartAsync(address, settings, TimeSpan.FromSeconds(60));
        try
        {
            // The emailed link, then joining with its code; the study asks for an email address and a password.
            var ann = Client(address);
            var link = $"/?code={Uri.EscapeDataString(codes[0])}";
            Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync(link)).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(ann, link, "/join", new() { ["code"] = codes[0] })).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(ann, "/account/email", "/account/email", new() { ["email"] = "ann@example.org" })).StatusCode);
            var otc = OneTimeCode().Match(Outbox(dataRoot).Single()).Groups[1].Value;
            const string verify = "/account/verify?email=ann%40example.org";
            Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(ann, verify, verify, new() { ["code"] = otc, ["password"] = ParticipantPassword, ["password2"] = ParticipantPassword })).StatusCode);

            // Signing in again, once wrong, once right.
            var again = Client(address);
            Assert.Equal(HttpStatusCode.BadRequest, (await ParticipantClient.PostFormAsync(again, "/signin", "/signin", new() { ["email"] = "ann@example.org", ["password"] = ParticipantPassword + "x" })).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(again, "/signin", "/signin", new() { ["email"] = "ann@example.org", ["password"] = ParticipantPassword })).StatusCode);

            // The console: sign-in, an emailed invitation, a reset code by the page and one by the API.
            var lead = Client(address);
            Assert.Equal(HttpStatusCode.BadRequest, (await ParticipantClient.PostFormAsync(lead, "/console/login", "/console/login", new() { ["email"] = "lead@example.org", ["password"] = StaffPassword + "x" })).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(lead, "/console/login", "/console/login?back=%2Fconsole", new() { ["email"] = "lead@example.org", ["password"] = StaffPassword })).StatusCode);
            string pseudonym;
            await using (var db = database.CreateContext())
            {
                pseudonym = await db.Participants.Where(p => p.Role == Role.Participant).Select(p => p.Pseudonym).SingleAsync();
            }

            const string people = "/console/studies/livs-default/people";
            using (var form = new MultipartFormDataContent())
            {
                var html = await lead.GetStringAsync(people);
                form.Add(new StringContent(new HtmlParser().ParseDocument(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!), "__RequestVerificationToken");
                form.Add(new StringContent("7"), "days");
                form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("email,language\nben@example.org,en\n")), "file", "invitations.csv");
                Assert.Equal(HttpStatusCode.OK, (await lead.PostAsync(people + "?handler=Csv", form)).StatusCode);
            }

            var emailed = InvitationCode().Match(Outbox(dataRoot).Single(m => m.Contains("To: ben@example.org", StringComparison.Ordinal))).Groups[1].Value;
            var reset = await ParticipantClient.PostFormAsync(lead, people, people + "?handler=Reset", new() { ["pseudonym"] = pseudonym });
            var byPage = new HtmlParser().ParseDocument(await reset.Content.ReadAsStringAsync()).QuerySelector("ol.codes li")!.TextContent.Trim();
            var token = new HtmlParser().ParseDocument(await lead.GetStringAsync(people)).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
            using var api = new HttpRequestMessage(HttpMethod.Post, $"/api/console/studies/livs-default/participants/{pseudonym}/code");
            api.Headers.Add("X-CSRF-TOKEN", token);
            var byApi = CodeField().Match(await (await lead.SendAsync(api)).Content.ReadAsStringAsync()).Groups[1].Value;

            // Each new code through its link, and the last one used to join, with the language switch carrying it too.
            var other = Client(address);
            foreach (var code in new[] { emailed, byPage, byApi, codes[1] })
            {
                Assert.Equal(HttpStatusCode.OK, (await other.GetAsync($"/?code={code}")).StatusCode);
            }

            Assert.Equal(HttpStatusCode.Redirect, (await other.GetAsync($"/lang/fr?back={Uri.EscapeDataString("/?code=" + codes[2])}")).StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(other, "/", "/join", new() { ["code"] = byApi })).StatusCode);
            secrets.AddRange([otc, emailed, byPage, byApi, .. codes]);
            Assert.All(secrets, s => Assert.False(string.IsNullOrEmpty(s)));

            // The console logger writes in the background: wait for the last request's line.
            Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/end-of-test")).StatusCode);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!server.Log.Any(l => l.Contains("/end-of-test", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            var log = string.Join('\n', server.Log);
            Assert.Contains("HTTP GET /?code=*** responded 200", log, StringComparison.Ordinal); // requests are logged, redacted
            Assert.Contains("HTTP POST /join responded 302", log, StringComparison.Ordinal);
            foreach (var secret in secrets.SelectMany(Variants))
            {
                Assert.False(log.Contains(secret, StringComparison.OrdinalIgnoreCase), $"the log holds '{secret}':\n{string.Join('\n', server.Log.Where(l => l.Contains(secret, StringComparison.OrdinalIgnoreCase)))}");
            }
        }
        finally
        {
            server.Kill();
            try
            {
                Directory.Delete(dataRoot, recursive: true);
            }
            catch (IOException)
            {
                // Cleaned later with the temp folder.
            }
        }
    }

    // A code as typed, without its dash, and URL-encoded; an address URL-encoded.
    private static IEnumerable<string> Variants(string secret) =>
        new[] { secret, secret.Replace("-", "", StringComparison.Ordinal), Uri.EscapeDataString(secret) }.Distinct();

    private static HttpClient Client(Uri address)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };
        return new HttpClient(handler) { BaseAddress = address };
    }

    private static List<string> Outbox(string dataRoot) =>
        [.. Directory.GetFiles(Path.Combine(dataRoot, "outbox"), "*.eml").Select(File.ReadAllText)];

    [GeneratedRegex(@"code is (\d{6})")]
    private static partial Regex OneTimeCode();

    [GeneratedRegex(@"invitation code: ([A-Z0-9]{4}-[A-Z0-9]{4})")]
    private static partial Regex InvitationCode();

    [GeneratedRegex("\"code\":\"([A-Z0-9-]+)\"")]
    private static partial Regex CodeField();
}
