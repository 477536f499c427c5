using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Testing;
using Pluralist.Web.Infrastructure;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// Issue 24: several app instances on one database, each with its own data directory. The data-protection key ring
/// and the attempt counters of the rate limits live in the database (schema version 13), so a cookie or token issued
/// by one instance is read by the others and every instance spends one budget of attempts.
/// </summary>
public sealed class SharedInstancesTests
{
    private static readonly Dictionary<string, string?> BehindProxy = new() { ["Pluralist:BehindProxy"] = "true" };

    [PostgresFact]
    public async Task Two_instances_on_postgres_share_sign_in_cookies_participant_sessions_and_attempt_limits()
    {
        await using var a = await AppServer.StartAsync(DatabaseProvider.Postgres, codes: 2, codeAttemptsPerMinute: 5, signInAttemptsPerMinute: 3, settings: BehindProxy);
        await using var b = await a.StartAnotherAsync(codeAttemptsPerMinute: 5, signInAttemptsPerMinute: 3, settings: BehindProxy);
        Assert.NotEqual(a.DataRoot, b.DataRoot);
        Assert.False(Directory.Exists(Path.Combine(b.DataRoot, "keys")));

        // A researcher signed in on A is signed in on B.
        await using (var db = a.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "lead@example.org", Role.Researcher, Staff.Password);
        }

        var researcher = new CookieContainer();
        var signIn = await ParticipantClient.PostFormAsync(a.NewClient(researcher), "/console/login", "/console/login", new() { ["email"] = "lead@example.org", ["password"] = Staff.Password });
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.NewClient(AppServer.CopyCookies(researcher, a, b)).GetAsync("/console")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await b.NewClient().GetAsync("/console")).StatusCode);

        // A participant who joined on A goes on with the same task on B, answering with B's antiforgery token.
        var participant = new CookieContainer();
        var onA = new ParticipantClient(a.NewClient(participant));
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(onA.Http, "/", "/join", new() { ["code"] = a.Codes.Dequeue() })).StatusCode); // code attempt 1
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(onA.Http, "/consent", "/consent", new() { ["agree"] = "true" })).StatusCode);
        var task = (await onA.NextTaskAsync())!;
        var onB = new ParticipantClient(b.NewClient(AppServer.CopyCookies(participant, a, b)));
        var same = (await onB.NextTaskAsync())!;
        Assert.Equal(task.AssignmentId, same.AssignmentId);
        Assert.Equal(HttpStatusCode.OK, (await onB.SubmitAsync(same, ParticipantClient.Answer(same, "on-b", 0.5, -0.5, 0))).StatusCode);
        Assert.NotEqual(task.AssignmentId, (await onA.NextTaskAsync())?.AssignmentId);

        // Code guesses from one address: attempts 2-4 on A, the 5th on B is the last allowed, the 6th is refused on either.
        using var guesser = a.NewClient();
        for (var i = 2; i <= 4; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await ParticipantClient.PostFormAsync(guesser, "/", "/join", new() { ["code"] = $"GUESS-{i:0000}" })).StatusCode);
        }

        using var guesserOnB = b.NewClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await ParticipantClient.PostFormAsync(guesserOnB, "/", "/join", new() { ["code"] = "GUESS-0005" })).StatusCode);
        var refused = await ParticipantClient.PostFormAsync(guesserOnB, "/", "/join", new() { ["code"] = a.Codes.Peek() });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(Texts.Get("too-many", "en"), await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ParticipantClient.PostFormAsync(guesser, "/", "/join", new() { ["code"] = a.Codes.Peek() })).StatusCode);

        // Password guesses on one account: two on A and one on B use its three; the right password is then refused on B.
        await using (var db = a.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "admin@example.org", Role.Admin, Staff.Password);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await SignInFromAsync(a, "203.0.113.1", "admin@example.org", "guess-1")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInFromAsync(a, "203.0.113.1", "admin@example.org", "guess-2")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInFromAsync(b, "203.0.113.2", "admin@example.org", "guess-3")).StatusCode);
        var limited = await SignInFromAsync(b, "203.0.113.3", "admin@example.org", Staff.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("Too many sign-in attempts", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Neither an address nor an email address is stored: only digests.
        var stored = await ReadColumnAsync(a.Database.Options, "SELECT key FROM rate_limit_windows");
        Assert.Contains(SharedState.Digest("signin-account:admin@example.org"), stored);
        Assert.All(stored, k => Assert.Matches("^[0-9a-f]{64}$", k));
    }

    [Fact]
    public async Task On_sqlite_keys_and_attempt_counts_survive_a_restart_with_another_data_directory()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using (var db = database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "lead@example.org", Role.Researcher, Staff.Password);
        }

        var researcher = new CookieContainer();
        var first = await AppServer.StartOnAsync(database, NewDataRoot(), codeAttemptsPerMinute: 3);
        List<Cookie> carried;
        await using (first)
        {
            Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(first.NewClient(researcher), "/console/login", "/console/login",
                new() { ["email"] = "lead@example.org", ["password"] = Staff.Password })).StatusCode);
            using var guesser = first.NewClient();
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.BadRequest, (await ParticipantClient.PostFormAsync(guesser, "/", "/join", new() { ["code"] = $"GUESS-{i:0000}" })).StatusCode);
            }

            carried = researcher.GetCookies(first.Address).ToList();
        }

        await using var second = await AppServer.StartOnAsync(database, NewDataRoot(), codeAttemptsPerMinute: 3);
        var again = new CookieContainer();
        carried.ForEach(c => again.Add(second.Address, new Cookie(c.Name, c.Value, "/")));
        Assert.Equal(HttpStatusCode.OK, (await second.NewClient(again).GetAsync("/console")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ParticipantClient.PostFormAsync(second.NewClient(), "/", "/join", new() { ["code"] = "GUESS-0003" })).StatusCode);
    }

    [Fact]
    public Task Upgrading_sqlite_imports_the_key_folder_and_keeps_old_cookies_valid() => UpgradeAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Upgrading_postgres_imports_the_key_folder_and_keeps_old_cookies_valid() => UpgradeAsync(DatabaseProvider.Postgres);

    private static async Task UpgradeAsync(DatabaseProvider provider)
    {
        // Version 11, the last schema whose app kept the keys in files, and a data directory whose keys folder it wrote.
        await using var database = await TestDatabase.CreateAsync(provider, version: 11);
        Participant staff;
        await using (var db = database.CreateContext())
        {
            staff = (await StaffAccounts.SetAsync(db, "lead@example.org", Role.Researcher, Staff.Password)).Account;
        }

        var dataRoot = NewDataRoot();
        var keys = Path.Combine(dataRoot, "keys");
        Directory.CreateDirectory(keys);
        var old = DataProtectionProvider.Create(new DirectoryInfo(keys), b => b.SetApplicationName("pluralist"));
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, staff.Id.ToString(CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, staff.Pseudonym),
                new Claim(ClaimTypes.Role, staff.Role.ToString()),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        var properties = new AuthenticationProperties { IssuedUtc = DateTimeOffset.UtcNow, ExpiresUtc = DateTimeOffset.UtcNow.AddDays(30) };
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(identity), properties, CookieAuthenticationDefaults.AuthenticationScheme);
        var protector = old.CreateProtector("Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", CookieAuthenticationDefaults.AuthenticationScheme, "v2");
        var oldCookie = new TicketDataFormat(protector).Protect(ticket);
        var files = Directory.GetFiles(keys, "*.xml").Select(f => Path.GetFileNameWithoutExtension(f)!).ToList();
        Assert.Single(files);

        await using var server = await AppServer.StartOnAsync(database, dataRoot);
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.GetSchemaVersionAsync(database.Options));
        Assert.Equal(files, await ReadColumnAsync(database.Options, "SELECT friendly_name FROM data_protection_keys"));

        var cookies = new CookieContainer();
        cookies.Add(server.Address, new Cookie("pluralist-session", oldCookie, "/"));
        Assert.Equal(HttpStatusCode.OK, (await server.NewClient(cookies).GetAsync("/console")).StatusCode);
        var forged = new CookieContainer();
        forged.Add(server.Address, new Cookie("pluralist-session", oldCookie[..^4] + "AAAA", "/"));
        Assert.Equal(HttpStatusCode.Redirect, (await server.NewClient(forged).GetAsync("/console")).StatusCode);

        // Another instance with an empty data directory reads the imported key from the database.
        await using var another = await AppServer.StartOnAsync(database, NewDataRoot());
        Assert.Equal(HttpStatusCode.OK, (await another.NewClient(AppServer.CopyCookies(cookies, server, another)).GetAsync("/console")).StatusCode);
        Assert.Equal(files, await ReadColumnAsync(database.Options, "SELECT friendly_name FROM data_protection_keys"));
    }

    private static string NewDataRoot() => Path.Combine(Path.GetTempPath(), "pluralist-web-" + Guid.NewGuid().ToString("N"));

    private static async Task<HttpResponseMessage> SignInFromAsync(AppServer server, string from, string email, string password)
    {
        var client = server.NewClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", from);
        return await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = email, ["password"] = password });
    }

    private static async Task<List<string>> ReadColumnAsync(DatabaseOptions options, string sql)
    {
        await using var connection = await PluralistDatabase.OpenAsync(options);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<string>();
        await using DbDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
