using System.Net;
using System.Text;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;

namespace Pluralist.Web.Tests.Security;

/// <summary>Issue 16, finding 7b: an address is checked as an address wherever it enters, so no value can add a mail header.</summary>
public sealed class EmailHeaderInjectionTests
{
    [Theory]
    [InlineData("ana@example.org\r\nBcc: evil@example.org", "it holds a line break")]
    [InlineData("ana@example.org\nBcc: evil@example.org", "it holds a line break")]
    [InlineData("Ana <ana@example.org>", "it holds a space or a control character")]
    [InlineData("<ana@example.org>", "it must be one bare address")]
    [InlineData("\"ana\"@example.org", "it must be one bare address")]
    [InlineData("ana@example.org,bob@example.org", "it must be one bare address")]
    [InlineData("ana@[127.0.0.1]", "it must be one bare address")]
    [InlineData("ana@localhost", "it must be one bare address")]
    [InlineData("ana@@example.org", "it must be one bare address")]
    [InlineData("ana\u0000@example.org", "it holds a space or a control character")]
    [InlineData("ana\u200b@example.org", "it holds a space or a control character")]
    [InlineData("", "it is empty")]
    public void Anything_but_one_bare_address_is_refused_with_the_reason(string value, string reason)
    {
        Assert.Null(EmailAddresses.Normalize(value, out var problem));
        Assert.StartsWith(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Lengths_are_limited_and_good_addresses_kept_in_lower_case()
    {
        Assert.Equal("ana.b+study@example.org", EmailAddresses.Normalize(" Ana.B+Study@Example.org ", out var none));
        Assert.Null(none);
        Assert.Equal("élodie@exemple.fr", EmailAddresses.Normalize("Élodie@exemple.fr", out _));
        Assert.Null(EmailAddresses.Normalize(new string('a', 65) + "@example.org", out var local));
        Assert.StartsWith("the part before @ is longer than 64", local, StringComparison.Ordinal);
        Assert.Null(EmailAddresses.Normalize("a@" + string.Join('.', Enumerable.Repeat(new string('b', 60), 5)) + ".org", out var whole));
        Assert.StartsWith("it is longer than 254", whole, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invitation_csv_with_a_header_injecting_address_is_refused_with_its_line_and_column_and_sends_nothing()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);
        int invitations;
        await using (var db = server.Database.CreateContext())
        {
            invitations = await db.Invitations.CountAsync();
        }

        var csv = "language,email\nen,ok@example.org\nen,\"ana@example.org\r\nBcc: evil@example.org\"\nfr,Ben <ben@example.org>\nen,\"cy@example.org\nSubject: hi\"\n";
        var response = await UploadAsync(liaison, csv);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelectorAll("[role=alert] li").Select(li => li.TextContent).ToList();
        Assert.Equal(
        [
            @"invitations.csv:3:2 (email): 'ana@example.org\r\nBcc: evil@example.org' is not an email address: it holds a line break",
            "invitations.csv:5:2 (email): 'Ben <ben@example.org>' is not an email address: it holds a space or a control character",
            @"invitations.csv:6:2 (email): 'cy@example.org\nSubject: hi' is not an email address: it holds a line break",
        ], errors);
        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataRoot, "outbox")));
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(invitations, await db.Invitations.CountAsync());
        }

        // The good row alone goes through, in lower case.
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(liaison, "email\nOK@Example.org\n")).StatusCode);
        var mails = Directory.GetFiles(Path.Combine(server.DataRoot, "outbox")).Select(File.ReadAllText).ToList();
        Assert.StartsWith("Date: ", Assert.Single(mails, m => m.Contains("\r\nTo: ok@example.org\r\n", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_participant_email_form_refuses_a_header_injecting_address_and_sends_no_code()
    {
        await using var server = await AppServer.StartAsync(codes: 1, configure: s => s.RequireEmail = true);
        var client = server.NewClient();
        await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = server.Codes.Dequeue() });
        foreach (var bad in new[] { "ann@example.org\r\nBcc: evil@example.org", "Ann <ann@example.org>", "ann@example.org\nX-Spam: 1" })
        {
            var response = await ParticipantClient.PostFormAsync(client, "/account/email", "/account/email", new() { ["email"] = bad });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
            Assert.Equal("true", doc.QuerySelector("input#email")!.GetAttribute("aria-invalid"));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataRoot, "outbox")));
        await using var db = server.Database.CreateContext();
        Assert.Equal(0, await db.OneTimeCodes.CountAsync());
    }

    [Fact]
    public async Task Staff_accounts_and_the_mail_writer_refuse_such_addresses_too()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await using (var db = server.Database.CreateContext())
        {
            var ex = await Assert.ThrowsAsync<ArgumentException>(() => StaffAccounts.SetAsync(db, "lead@example.org\r\nBcc: x@example.org", Role.Admin, Staff.Password));
            Assert.Contains("it holds a line break", ex.Message, StringComparison.Ordinal);
        }

        var sender = new OutboxEmailSender(new DataDirectory(server.DataRoot), TimeProvider.System);
        await Assert.ThrowsAsync<ArgumentException>(() => sender.SendAsync(new EmailMessage("a@example.org\r\nBcc: b@example.org", "Hi", "Body", "en"), CancellationToken.None));
        await sender.SendAsync(new EmailMessage("a@example.org", "Hi\r\nBcc: b@example.org", "Body", "en"), CancellationToken.None);
        var mail = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(server.DataRoot, "outbox"))));
        var headers = mail[..mail.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        Assert.Equal(["Date", "To", "Subject", "Content-Language", "Content-Type"], headers.Select(h => h.Split(':')[0]));
        Assert.Contains("Subject: Hi  Bcc: b@example.org", headers);
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string csv)
    {
        const string page = "/console/studies/livs-default/people";
        var token = new HtmlParser().ParseDocument(await client.GetStringAsync(page)).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("30"), "days" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "invitations.csv" },
        };
        return await client.PostAsync(page + "?handler=Csv", form);
    }
}
