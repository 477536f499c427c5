using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Web.Tests;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// A researcher edits the protocol page's text in English and French and the study's contact on the study's console
/// page (an over-long contact refused on its field, nothing stored); a visitor reads them on /protocol in both
/// languages. Every page checked by axe.
/// </summary>
public sealed class ProtocolEditJourneyTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task A_researcher_edits_the_protocol_and_contact_and_participants_read_them_in_english_and_french()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await ConsoleSignIn.AddStaffAsync(server);
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var checker = new PageChecker(page, output);
        await ConsoleSignIn.SignInAsync(page);
        await page.GotoAsync("/console/studies/livs-default");

        // Too long a contact: refused on its field, what was typed kept, nothing stored or audited.
        await page.Locator("#protocolEn").FillAsync("Compare the two images on each question.\n\nIt takes about twenty minutes.");
        await page.Locator("#contact").FillAsync(new string('x', 501));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the protocol" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=alert]")).ToContainTextAsync("The contact is 501 characters long; at most 500 are kept.");
        await Assertions.Expect(page.Locator("#contact")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#contact-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#protocolEn")).ToHaveValueAsync("Compare the two images on each question.\n\nIt takes about twenty minutes.");
        await checker.CheckCurrentAsync("console-study-protocol-error");
        await using (var db = server.Database.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
            Assert.Equal(("", 0), (study.Contact, study.Protocol.Languages.Count));
            Assert.False(await db.AuditEntries.AnyAsync(a => a.Action == "study.protocol"));
        }

        await page.Locator("#protocolFr").FillAsync("Comparez les deux images pour chaque question.\n\nCela prend une vingtaine de minutes.");
        await page.Locator("#contact").FillAsync("Ana Silva, ana@example.org");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the protocol" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("Saved: protocol.");
        await Assertions.Expect(page.Locator("#contact")).ToHaveValueAsync("Ana Silva, ana@example.org");
        await checker.CheckCurrentAsync("console-study-protocol");
        await using (var db = server.Database.CreateContext())
        {
            var audit = await db.AuditEntries.SingleAsync(a => a.Action == "study.protocol");
            var staff = await db.Participants.SingleAsync(p => p.Email == "lead@example.org");
            Assert.Equal(staff.Id, audit.ActorParticipantId);
        }

        // A visitor before joining (the link the consent and panel pages give), in English then French.
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var visitor = await context.NewPageAsync();
        var visitorChecker = new PageChecker(visitor, output);
        await visitor.GotoAsync("/protocol?study=livs-default");
        await Assertions.Expect(visitor.Locator("#protocol-text p")).ToHaveTextAsync(["Compare the two images on each question.", "It takes about twenty minutes."]);
        await Assertions.Expect(visitor.Locator("#protocol-contact")).ToHaveTextAsync("Ana Silva, ana@example.org");
        await visitorChecker.CheckCurrentAsync("protocol-edited");
        await visitor.Locator("#lang-switch").ClickAsync();
        await Assertions.Expect(visitor.Locator("html")).ToHaveAttributeAsync("lang", "fr");
        await Assertions.Expect(visitor.Locator("#protocol-text p")).ToHaveTextAsync(["Comparez les deux images pour chaque question.", "Cela prend une vingtaine de minutes."]);
        await Assertions.Expect(visitor.Locator("#protocol-contact")).ToHaveTextAsync("Ana Silva, ana@example.org");
        await visitorChecker.CheckCurrentAsync("protocol-edited");

        // Emptying the French text brings back the app's default French text; the English stays.
        await page.Locator("#protocolFr").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the protocol" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("Saved: protocol.");
        await visitor.ReloadAsync();
        await Assertions.Expect(visitor.Locator("#protocol-text h2")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(visitor).ToHaveURLAsync(new Regex("/protocol"));
        await using (var db = server.Database.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
            Assert.False(study.Protocol.Has("fr"));
            Assert.True(study.Protocol.Has("en"));
        }
    }
}
