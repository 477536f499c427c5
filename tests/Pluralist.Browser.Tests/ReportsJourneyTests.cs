using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Core.Model;
using Pluralist.Web.Tests;
using Pluralist.Web.Tests.Security;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// The console's Reports page in Chromium: a researcher runs the study report, follows it to the end, sees its charts
/// and tables and downloads a table; a community liaison sees the same report without its per-participant tables and
/// charts. Each page checked by axe (the screenshot of the researcher's page is docs/images/console/console-reports-en.png).
/// </summary>
public sealed class ReportsJourneyTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task A_researcher_runs_the_report_and_a_liaison_sees_it_without_per_participant_tables()
    {
        await using var server = await AppServer.StartAsync(codes: 6, configure: s => (s.AttentionCheckRate, s.GoldRate) = (0, 0),
            settings: new Dictionary<string, string?> { ["Pluralist:Reports:Permutations"] = "100", ["Pluralist:Reports:Bootstrap"] = "100" });
        await Staff.FixedPairsAsync(server, 3);
        foreach (var (gender, i) in new[] { "woman", "woman", "woman", "woman", "woman", "man" }.Select((g, i) => (g, i)))
        {
            await Staff.AnswerAsync(await Staff.JoinAsync(server, gender), 3, $"p{i}");
        }

        await ConsoleSignIn.AddStaffAsync(server, "lead@example.org", Role.Researcher);
        await ConsoleSignIn.AddStaffAsync(server, "liaison@example.org", Role.Liaison);
        List<string> pseudonyms;
        await using (var db = server.Database.CreateContext())
        {
            pseudonyms = await db.Participants.Where(p => p.Role == Role.Participant).Select(p => p.Pseudonym).ToListAsync();
        }

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;

        // The researcher.
        var page = await SignInAsync(browser, server, "lead@example.org");
        var checker = new PageChecker(page, output);
        await page.GetByRole(AriaRole.Link, new() { Name = "Reports" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(new Regex("^Reports of"));
        await Assertions.Expect(page.GetByText("No report has been run yet.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Run the report" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToContainTextAsync("started");
        // The page reloads itself every 2 seconds until the run is done.
        await Assertions.Expect(page.Locator("tr[data-state=done]")).ToHaveCountAsync(1, new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator("table[data-table=answers_per_participant]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("table[data-table=answers_per_group]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#chart-answers-per-participant svg")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await ChartsDrawnAsync(page);
        await checker.CheckCurrentAsync("console-reports");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("table[data-table=answers_per_criterion] caption a", new() { HasText = "CSV" }).ClickAsync());
        Assert.Equal("livs-default-answers_per_criterion.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("criterion,shown,answered", csv, StringComparison.Ordinal);

        // The liaison: the same run, without the per-participant table and chart, and no pseudonym on the page.
        var liaison = await SignInAsync(browser, server, "liaison@example.org");
        var liaisonChecker = new PageChecker(liaison, output);
        await liaison.GotoAsync("/console/studies/livs-default/reports");
        await Assertions.Expect(liaison.Locator("tr[data-state=done]")).ToHaveCountAsync(1);
        await Assertions.Expect(liaison.Locator("table[data-table=answers_per_group]")).ToHaveCountAsync(1);
        await Assertions.Expect(liaison.Locator("table[data-table=answers_per_participant]")).ToHaveCountAsync(0);
        await Assertions.Expect(liaison.Locator("#chart-answers-per-participant")).ToHaveCountAsync(0);
        await ChartsDrawnAsync(liaison);
        await Assertions.Expect(liaison.GetByText("As a community liaison you see the report without")).ToBeVisibleAsync();
        var html = await liaison.ContentAsync();
        Assert.DoesNotContain(pseudonyms, html.Contains);
        Assert.DoesNotContain(">man<", html, StringComparison.Ordinal);
        await liaisonChecker.CheckCurrentAsync("console-reports-liaison");
    }

    // Every chart drawn (as SVG, under the page's script policy: no eval) and its drawing hidden from assistive
    // technology, whose text alternative is the container's; before that axe would see a half-drawn chart.
    private static async Task ChartsDrawnAsync(IPage page)
    {
        var charts = await page.Locator("div.chart").CountAsync();
        Assert.True(charts > 0, "no chart on the page");
        await Assertions.Expect(page.Locator("div.chart > svg[aria-hidden=true]")).ToHaveCountAsync(charts, new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByText("The chart could not be drawn")).ToHaveCountAsync(0);
    }

    private static async Task<IPage> SignInAsync(IBrowser browser, AppServer server, string email)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "en-CA", AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await ConsoleSignIn.SignInAsync(page, email);
        await page.GotoAsync("/console/studies/livs-default");
        return page;
    }
}
