using System.Net;
using AngleSharp.Html.Parser;
using Pluralist.Core.Model;
using Pluralist.Studies.Accounts;

namespace Pluralist.Web.Tests.Security;

/// <summary>
/// Issue 16, finding 7a: one limit per account and per client address, whatever the sign-in page; staff
/// cannot sign in on the participants' page. Clients are told apart by X-Forwarded-For (the app trusts it
/// from loopback when configured behind a proxy), so the per-account limit is seen apart from the per-address one.
/// </summary>
public sealed class SignInLimitTests
{
    private static readonly Dictionary<string, string?> BehindProxy = new() { ["Pluralist:BehindProxy"] = "true" };

    [Fact]
    public async Task A_staff_account_is_refused_on_the_participant_page_with_the_usual_message()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "admin@example.org", Role.Admin, Staff.Password);
        }

        var client = server.NewClient();
        var response = await ParticipantClient.PostFormAsync(client, "/signin", "/signin", new() { ["email"] = "admin@example.org", ["password"] = Staff.Password });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("The email address or the password is not right. Please try again.",
            new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelector("#signin-error")!.TextContent.Trim());
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/console")).StatusCode); // not signed in
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/console/studies")).StatusCode);
    }

    [Fact]
    public async Task Attempts_on_one_account_from_one_address_limit_that_account_on_the_other_page_from_any_address()
    {
        await using var server = await AppServer.StartAsync(codes: 1, signInAttemptsPerMinute: 3, settings: BehindProxy);
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "admin@example.org", Role.Admin, Staff.Password);
            await StaffAccounts.SetAsync(db, "other@example.org", Role.Researcher, Staff.Password);
        }

        // Three guesses at the admin's password on the console page from one address…
        var attacker = server.NewClient();
        foreach (var guess in new[] { "guess-1", "guess-2", "guess-3" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(attacker, "203.0.113.1", "/console/login", "admin@example.org", guess)).StatusCode);
        }

        // …and the participant page from another address is limited for that account (in any case of its address)…
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(server.NewClient(), "203.0.113.2", "/signin", "ADMIN@example.org ", Staff.Password)).StatusCode);

        // …as is the console page itself, even with the right password, from a third address.
        var admin = server.NewClient();
        var limited = await PostAsync(admin, "203.0.113.3", "/console/login", "admin@example.org", Staff.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("Too many sign-in attempts", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Another account from a fresh address is not affected.
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync(server.NewClient(), "203.0.113.4", "/console/login", "other@example.org", Staff.Password)).StatusCode);
    }

    [Fact]
    public async Task Attempts_on_the_participant_page_limit_the_console_page_for_the_same_address_and_account()
    {
        await using var server = await AppServer.StartAsync(codes: 1, signInAttemptsPerMinute: 3, settings: BehindProxy);
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "lead@example.org", Role.Researcher, Staff.Password);
        }

        var client = server.NewClient();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(client, "198.51.100.7", "/signin", "lead@example.org", Staff.Password)).StatusCode);
        }

        var refused = await PostAsync(client, "198.51.100.9", "/console/login", "lead@example.org", Staff.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // Per address too: the first address is limited for any account, on either page.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(server.NewClient(), "198.51.100.7", "/console/login", "someone@example.org", "x")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(server.NewClient(), "198.51.100.7", "/signin", "someone-else@example.org", "x")).StatusCode);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string from, string page, string email, string password)
    {
        client.DefaultRequestHeaders.Remove("X-Forwarded-For");
        client.DefaultRequestHeaders.Add("X-Forwarded-For", from);
        return await ParticipantClient.PostFormAsync(client, page, page, new() { ["email"] = email, ["password"] = password });
    }
}
