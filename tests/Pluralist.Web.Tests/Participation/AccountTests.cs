using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;

namespace Pluralist.Web.Tests.Participation;

/// <summary>Studies with RequireEmail: email verified by a one-time code, a password, signing in again.</summary>
public sealed partial class AccountTests
{
    [Fact]
    public async Task An_email_verified_by_a_one_time_code_and_a_password_let_the_participant_sign_in_later()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s => s.RequireEmail = true);
        var client = server.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = server.Codes.Dequeue() })).StatusCode);
        Assert.Equal("/account/email", (await client.GetAsync("/consent")).Headers.Location?.OriginalString);
        Assert.Equal("/account/email", (await client.GetAsync("/task")).Headers.Location?.OriginalString);

        var bad = await ParticipantClient.PostFormAsync(client, "/account/email", "/account/email", new() { ["email"] = "not-an-email" });
        Assert.Equal("Please type a whole email address, such as name@example.org.", await ErrorOfAsync(bad, "email"));

        var sent = await ParticipantClient.PostFormAsync(client, "/account/email", "/account/email", new() { ["email"] = " Ada@Example.org " });
        Assert.Equal("/account/verify?email=ada%40example.org", sent.Headers.Location?.OriginalString);
        var (to, subject, code) = ReadOutbox(server).Single();
        Assert.Equal(("ada@example.org", "Your Pluralist code"), (to, subject));
        await using (var db = server.Database.CreateContext())
        {
            var stored = await db.OneTimeCodes.SingleAsync();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code))), stored.CodeHash);
            Assert.DoesNotContain(code, stored.CodeHash, StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromMinutes(15), stored.ExpiresAt - stored.CreatedAt);
        }

        const string verify = "/account/verify?email=ada%40example.org";
        var shortPassword = await ParticipantClient.PostFormAsync(client, verify, verify, Form(code, "short", "short"));
        Assert.Equal(HttpStatusCode.BadRequest, shortPassword.StatusCode);
        Assert.Equal("The password needs at least 8 characters.", await ErrorOfAsync(shortPassword, "password"));
        var mismatch = await ParticipantClient.PostFormAsync(client, verify, verify, Form(code, "a long password", "another one"));
        Assert.Equal("The two passwords are not the same.", await ErrorOfAsync(mismatch, "password2"));
        var wrong = await ParticipantClient.PostFormAsync(client, verify, verify, Form(Other(code), "a long password", "a long password"));
        Assert.Equal("This code is not right. Please check it and try again.", await ErrorOfAsync(wrong, "code"));
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(1, (await db.OneTimeCodes.SingleAsync()).Attempts);
        }

        var ok = await ParticipantClient.PostFormAsync(client, verify, verify, Form(code, "a long password", "a long password"));
        Assert.Equal("/consent", ok.Headers.Location?.OriginalString);
        var reused = await ParticipantClient.PostFormAsync(client, verify, verify, Form(code, "a long password", "a long password"));
        Assert.Equal("This code has expired or was already used. Please ask for a new code.", await ErrorOfAsync(reused, "code"));
        long id;
        await using (var db = server.Database.CreateContext())
        {
            var p = await db.Participants.SingleAsync();
            id = p.Id;
            Assert.Equal("ada@example.org", p.Email);
            Assert.NotNull(p.PasswordHash);
            Assert.DoesNotContain("a long password", p.PasswordHash, StringComparison.Ordinal);
            Assert.NotNull((await db.OneTimeCodes.SingleAsync()).UsedAt);
        }

        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(client, "/consent", "/consent", new() { ["agree"] = "true" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/task")).StatusCode);

        // Later, in another browser.
        var later = server.NewClient();
        var refused = await ParticipantClient.PostFormAsync(later, "/signin", "/signin", new() { ["email"] = "ada@example.org", ["password"] = "a wrong password" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await later.GetAsync("/task")).StatusCode);
        var signedIn = await ParticipantClient.PostFormAsync(later, "/signin", "/signin", new() { ["email"] = "ADA@example.org", ["password"] = "a long password" });
        Assert.Equal("/task", signedIn.Headers.Location?.OriginalString);
        var task = await new ParticipantClient(later).NextTaskAsync();
        Assert.NotNull(task);
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(id, (await db.Assignments.SingleAsync(a => a.Id == task.AssignmentId)).ParticipantId);
        }

        // Leaving the study erases the address, the password and the codes; signing in no longer works.
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(later, "/withdraw", "/withdraw", [])).StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var p = await db.Participants.SingleAsync();
            Assert.Equal((null, null), (p.Email, p.PasswordHash));
            Assert.False(await db.OneTimeCodes.AnyAsync());
        }

        var gone = await ParticipantClient.PostFormAsync(server.NewClient(), "/signin", "/signin", new() { ["email"] = "ada@example.org", ["password"] = "a long password" });
        Assert.Equal(HttpStatusCode.BadRequest, gone.StatusCode);
    }

    [Fact]
    public async Task A_code_dies_after_five_wrong_tries_or_when_it_expires_and_the_message_is_in_the_participants_language()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s => s.RequireEmail = true);
        var client = server.NewClient();
        await client.GetAsync("/lang/fr");
        await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = server.Codes.Dequeue() });
        await ParticipantClient.PostFormAsync(client, "/account/email", "/account/email", new() { ["email"] = "bea@example.org" });
        var (_, subject, code) = ReadOutbox(server).Single();
        Assert.Equal("Votre code Pluralist", subject);

        const string verify = "/account/verify?email=bea%40example.org";
        for (var i = 0; i < 4; i++)
        {
            var wrong = await ParticipantClient.PostFormAsync(client, verify, verify, Form(Other(code), "un long mot de passe", "un long mot de passe"));
            Assert.Equal("Ce code n'est pas le bon. Vérifiez-le et réessayez.", await ErrorOfAsync(wrong, "code"));
        }

        var fifth = await ParticipantClient.PostFormAsync(client, verify, verify, Form(Other(code), "un long mot de passe", "un long mot de passe"));
        Assert.Equal("Trop d'essais avec ce code. Demandez un nouveau code.", await ErrorOfAsync(fifth, "code"));
        var right = await ParticipantClient.PostFormAsync(client, verify, verify, Form(code, "un long mot de passe", "un long mot de passe"));
        Assert.Equal(HttpStatusCode.BadRequest, right.StatusCode);

        // A new code works; once expired it does not.
        await ParticipantClient.PostFormAsync(client, "/account/email", "/account/email", new() { ["email"] = "bea@example.org" });
        var second = ReadOutbox(server).Select(m => m.Code).Single(c => c != code);
        await using (var db = server.Database.CreateContext())
        {
            await db.OneTimeCodes.ExecuteUpdateAsync(s => s.SetProperty(c => c.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        var expired = await ParticipantClient.PostFormAsync(client, verify, verify, Form(second, "un long mot de passe", "un long mot de passe"));
        Assert.Equal("Ce code a expiré ou a déjà été utilisé. Demandez un nouveau code.", await ErrorOfAsync(expired, "code"));
        await using (var db = server.Database.CreateContext())
        {
            Assert.Null((await db.Participants.SingleAsync()).Email);
        }
    }

    [Fact]
    public async Task Codes_per_address_and_sign_in_attempts_are_limited_and_an_address_is_used_once_per_study()
    {
        await using var server = await AppServer.StartAsync(codes: 3, configure: s => s.RequireEmail = true, signInAttemptsPerMinute: 9);
        var first = server.NewClient();
        await ParticipantClient.PostFormAsync(first, "/", "/join", new() { ["code"] = server.Codes.Dequeue() });
        for (var i = 0; i < 5; i++)
        {
            var sent = await ParticipantClient.PostFormAsync(first, "/account/email", "/account/email", new() { ["email"] = "cy@example.org" });
            Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        }

        var sixth = await ParticipantClient.PostFormAsync(first, "/account/email", "/account/email", new() { ["email"] = "cy@example.org" });
        Assert.StartsWith("We have sent several codes", await ErrorOfAsync(sixth, "email"), StringComparison.Ordinal);
        var code = ReadOutbox(server).Last().Code;
        const string verify = "/account/verify?email=cy%40example.org";
        Assert.Equal("/consent", (await ParticipantClient.PostFormAsync(first, verify, verify, Form(code, "password one", "password one"))).Headers.Location?.OriginalString);

        var second = server.NewClient();
        await ParticipantClient.PostFormAsync(second, "/", "/join", new() { ["code"] = server.Codes.Dequeue() });
        var taken = await ParticipantClient.PostFormAsync(second, "/account/email", "/account/email", new() { ["email"] = "CY@example.org" });
        Assert.StartsWith("This email address is already used in this study", await ErrorOfAsync(taken, "email"), StringComparison.Ordinal);

        // One limit counts every attempt from one address on these pages and the sign-in page: 9 a minute here,
        // 8 used by now (6 codes asked, 1 verified, 1 address taken).
        var third = server.NewClient();
        var ninth = await ParticipantClient.PostFormAsync(third, "/signin", "/signin", new() { ["email"] = "cy@example.org", ["password"] = "guess" });
        Assert.Equal(HttpStatusCode.BadRequest, ninth.StatusCode);
        var limited = await ParticipantClient.PostFormAsync(third, "/signin", "/signin", new() { ["email"] = "cy@example.org", ["password"] = "password one" });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("Too many attempts", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Form(string code, string password, string password2) =>
        new() { ["code"] = code, ["password"] = password, ["password2"] = password2 };

    private static string Other(string code) => code == "000000" ? "111111" : "000000";

    /// <summary>The error shown for a field, which the field's aria-describedby points at.</summary>
    private static async Task<string?> ErrorOfAsync(HttpResponseMessage response, string field)
    {
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode} {response.Headers.Location}");
        var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var input = doc.QuerySelector($"input#{field}")!;
        Assert.Equal("true", input.GetAttribute("aria-invalid"));
        Assert.Contains($"{field}-error", input.GetAttribute("aria-describedby") ?? "", StringComparison.Ordinal);
        return doc.QuerySelector($"#{field}-error")?.TextContent.Trim();
    }

    private static List<(string To, string Subject, string Code)> ReadOutbox(AppServer server) =>
        Directory.GetFiles(Path.Combine(server.DataRoot, "outbox"), "*.eml").Order(StringComparer.Ordinal).Select(path =>
        {
            var text = File.ReadAllText(path);
            return (Header(text, "To"), Header(text, "Subject"), SixDigits().Match(text).Value);
        }).ToList();

    private static string Header(string text, string name) =>
        text.Split("\r\n").First(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
