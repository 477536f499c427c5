using System.Net;
using System.Text;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Model;

namespace Pluralist.Web.Tests.Security;

/// <summary>
/// Issue 16, finding 8: security headers on every response, no inline script for the policy to need;
/// forwarded headers honoured only when configured; Secure cookies; the configured public address in
/// emailed links; owner-only permissions on a new data folder and database.
/// </summary>
public sealed class HeadersAndProxyTests
{
    [Fact]
    public async Task Every_response_carries_the_policy_and_pages_have_no_inline_script_or_style()
    {
        await using var server = await AppServer.StartAsync(codes: 2);
        var participant = await server.JoinAsync();
        var staff = await Staff.SignInAsync(server, "lead@example.org", Role.Researcher);
        string[] participantPages = ["/task", "/history", "/about", "/withdraw"];
        string[] consolePages = ["/console", "/console/studies/livs-default", "/console/studies/livs-default/people", "/console/studies/livs-default/jobs",
            "/console/studies/livs-default/data", "/console/studies/livs-default/quotas", "/console/studies/livs-default/batches", "/console/studies/livs-default/images"];
        var checkedPages = 0;
        foreach (var (client, path) in participantPages.Select(p => (participant.Http, p)).Concat(consolePages.Select(p => (staff, p)))
            .Append((server.NewClient(), "/")).Append((server.NewClient(), "/signin")).Append((server.NewClient(), "/console/login")))
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            var csp = Policy(response);
            Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());

            // What the policy would refuse: inline scripts, event attributes, inline styles.
            var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
            Assert.All(doc.QuerySelectorAll("script"), s => Assert.True(s.HasAttribute("src") || s.GetAttribute("type") == "application/json", $"{path}: inline script {s.OuterHtml}"));
            Assert.All(doc.All, e => Assert.DoesNotContain(e.Attributes, a => a.Name.StartsWith("on", StringComparison.Ordinal) || a.Name == "style"));
            Assert.Empty(doc.QuerySelectorAll("style"));
            checkedPages++;
        }

        Assert.Equal(15, checkedPages);

        // The charts page alone may evaluate (Vega compiles its expressions); still no inline script.
        var progress = await staff.GetAsync("/console/studies/livs-default/progress");
        Assert.Contains("script-src 'self' 'unsafe-eval';", Policy(progress), StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", Policy(progress), StringComparison.Ordinal);

        // Not only pages: the API, images, static files, errors.
        foreach (var path in new[] { "/api/console/studies", "/site.css", "/no-such-page" })
        {
            var response = await staff.GetAsync(path);
            Assert.Contains("frame-ancestors 'none'", Policy(response), StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    [Fact]
    public async Task Forwarded_scheme_and_address_are_ignored_unless_the_app_is_configured_behind_a_proxy()
    {
        await using (var direct = await AppServer.StartAsync(codes: 1))
        {
            var (cookies, joinUrl) = await CookiesAndJoinUrlAsync(direct);
            Assert.All(cookies, c => Assert.DoesNotContain("secure", c, StringComparison.OrdinalIgnoreCase));
            Assert.StartsWith("http://127.0.0.1:", joinUrl, StringComparison.Ordinal);
        }

        await using (var proxied = await AppServer.StartAsync(codes: 1, settings: new Dictionary<string, string?> { ["Pluralist:BehindProxy"] = "true" }))
        {
            var (cookies, joinUrl) = await CookiesAndJoinUrlAsync(proxied);
            Assert.Equal(3, cookies.Count); // antiforgery, session, language
            Assert.All(cookies, c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));
            Assert.StartsWith("https://127.0.0.1:", joinUrl, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Secure_cookies_can_be_required_and_emailed_links_use_the_configured_public_address()
    {
        await using var server = await AppServer.StartAsync(codes: 1, settings: new Dictionary<string, string?>
        {
            ["Pluralist:SecureCookies"] = "true",
            ["Pluralist:PublicBaseUrl"] = "https://study.example.org/pluralist",
        });
        var (cookies, joinUrl) = await CookiesAndJoinUrlAsync(server, forwardedProto: null);
        Assert.Equal(2, cookies.Count(c => c.StartsWith("pluralist-", StringComparison.Ordinal)));
        Assert.All(cookies.Where(c => c.StartsWith("pluralist-", StringComparison.Ordinal)), c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));
        Assert.Equal("https://study.example.org/pluralist/", joinUrl);

        // An invitation by email: the link is the public address whatever Host the request named.
        await using (var db = server.Database.CreateContext())
        {
            await Pluralist.Studies.Accounts.StaffAccounts.SetAsync(db, "liaison@example.org", Role.Liaison, Staff.Password);
        }

        var staff = new RawClient(server.Address, null);
        Assert.Equal(HttpStatusCode.Redirect, (await staff.PostFormAsync("/console/login", "/console/login", new() { ["email"] = "liaison@example.org", ["password"] = Staff.Password })).StatusCode);
        var invited = await staff.PostFormAsync("/console/studies/livs-default/people", "/console/studies/livs-default/people?handler=Codes", new() { ["count"] = "1", ["days"] = "1", ["language"] = "en" });
        Assert.Equal(HttpStatusCode.OK, invited.StatusCode);
        var token = new HtmlParser().ParseDocument(await invited.Content.ReadAsStringAsync()).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("7"), "days" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("email\nana@example.org\n")), "file", "invitations.csv" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console/studies/livs-default/people?handler=Csv") { Content = form };
        request.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.OK, (await staff.SendAsync(request)).StatusCode);
        var mail = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(server.DataRoot, "outbox"))));
        Assert.Contains("To start: https://study.example.org/pluralist/?code=", mail, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", mail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misconfigured_public_address_or_proxy_stops_the_app_at_start_with_the_setting_named()
    {
        var data = Path.Combine(Path.GetTempPath(), "pluralist-bad-" + Guid.NewGuid().ToString("N"));
        try
        {
            var url = await Assert.ThrowsAsync<InvalidOperationException>(() => PluralistWebApp.CreateAsync([], new Dictionary<string, string?> { ["Pluralist:Data"] = data, ["Pluralist:PublicBaseUrl"] = "study.example.org" }));
            Assert.Contains("Pluralist:PublicBaseUrl", url.Message, StringComparison.Ordinal);
            foreach (var (key, value) in new[] { ("Pluralist:KnownProxies:0", "not-an-address"), ("Pluralist:KnownNetworks:0", "10.0.0.0/99") })
            {
                var proxy = await Assert.ThrowsAsync<InvalidOperationException>(() => PluralistWebApp.CreateAsync([], new Dictionary<string, string?>
                {
                    ["Pluralist:Data"] = data,
                    ["Pluralist:BehindProxy"] = "true",
                    [key] = value,
                }));
                Assert.Contains(key[..^2], proxy.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [UnixFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_new_data_folder_and_its_sqlite_database_are_created_owner_only()
    {
        var data = Path.Combine(Path.GetTempPath(), "pluralist-modes-" + Guid.NewGuid().ToString("N"), "data");
        try
        {
            await using (var app = await PluralistWebApp.CreateAsync(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string?> { ["Pluralist:Data"] = data, ["Logging:LogLevel:Default"] = "Warning" }))
            {
                await app.StartAsync();
                var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                using var client = new HttpClient { BaseAddress = new Uri(address) };
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);

                const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                foreach (var dir in new[] { data, Path.Combine(data, "outbox"), Path.Combine(data, "images") })
                {
                    Assert.True(File.GetUnixFileMode(dir) == folder, $"{dir}: {File.GetUnixFileMode(dir)}");
                }

                foreach (var name in new[] { "pluralist.db", "pluralist.db-wal", "pluralist.db-shm" })
                {
                    var path = Path.Combine(data, name);
                    Assert.True(File.Exists(path), $"{name} is missing");
                    Assert.True(File.GetUnixFileMode(path) == file, $"{name}: {File.GetUnixFileMode(path)}");
                }

                await app.StopAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
        }
    }

    /// <summary>
    /// Joins with a code and makes invitation codes as a liaison, each request saying it came over HTTPS through
    /// a proxy (X-Forwarded-Proto) when <paramref name="forwardedProto"/> is set; returns the last Set-Cookie of
    /// each cookie and the join address the console shows with the new codes.
    /// </summary>
    private static async Task<(List<string> Cookies, string JoinUrl)> CookiesAndJoinUrlAsync(AppServer server, string? forwardedProto = "https")
    {
        var participant = new RawClient(server.Address, forwardedProto);
        Assert.Equal(HttpStatusCode.Redirect, (await participant.PostFormAsync("/", "/join", new() { ["code"] = server.Codes.Dequeue() })).StatusCode);
        await participant.GetAsync("/lang/fr?back=/");

        var email = $"s{Guid.NewGuid():N}@example.org";
        await using (var db = server.Database.CreateContext())
        {
            await Pluralist.Studies.Accounts.StaffAccounts.SetAsync(db, email, Role.Liaison, Staff.Password);
        }

        var staff = new RawClient(server.Address, forwardedProto);
        Assert.Equal(HttpStatusCode.Redirect, (await staff.PostFormAsync("/console/login", "/console/login", new() { ["email"] = email, ["password"] = Staff.Password })).StatusCode);
        const string people = "/console/studies/livs-default/people";
        var made = await staff.PostFormAsync(people, people + "?handler=Codes", new() { ["count"] = "1", ["days"] = "1", ["language"] = "en" });
        var page = new HtmlParser().ParseDocument(await made.Content.ReadAsStringAsync());
        var joinUrl = page.QuerySelectorAll("code").Select(c => c.TextContent).First(t => t.StartsWith("http", StringComparison.Ordinal));
        var cookies = participant.SetCookies.GroupBy(c => c.Split('=')[0]).Select(g => g.Last()).ToList();
        return (cookies, joinUrl);
    }

    /// <summary>A client that keeps cookies by hand (whatever their Secure flag) and records every Set-Cookie.</summary>
    private sealed class RawClient(Uri address, string? forwardedProto)
    {
        private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address };
        private readonly Dictionary<string, string> _jar = [];

        public List<string> SetCookies { get; } = [];

        public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

        public async Task<HttpResponseMessage> PostFormAsync(string page, string action, Dictionary<string, string> fields)
        {
            var html = await (await GetAsync(page)).Content.ReadAsStringAsync();
            fields["__RequestVerificationToken"] = new HtmlParser().ParseDocument(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
            return await SendAsync(new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) });
        }

        public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
        {
            if (forwardedProto is not null)
            {
                request.Headers.Add("X-Forwarded-Proto", forwardedProto);
                request.Headers.Add("X-Forwarded-For", "192.0.2.10");
            }

            if (_jar.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _jar.Select(kv => kv.Key + "=" + kv.Value)));
            }

            var response = await _http.SendAsync(request);
            foreach (var c in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                SetCookies.Add(c);
                var pair = c.Split(';')[0].Split('=', 2);
                _jar[pair[0]] = pair[1];
            }

            return response;
        }
    }

    private static string Policy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Content-Security-Policy", out var values) ? values.Single() : "";
}

/// <summary>A fact about Unix file modes; skipped on Windows, which has none.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Unix file modes do not exist on Windows";
        }
    }
}
