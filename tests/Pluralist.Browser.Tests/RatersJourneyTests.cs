using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Demo;
using Pluralist.Web.Tests;
using Pluralist.World.Simulation;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>A researcher starts the offline synthetic rater on the demo study in Chromium, follows its progress and reads the comparison; axe on each state.</summary>
public sealed class RatersJourneyTests(ITestOutputHelper output)
{
    private const string Password = "a long console password";

    [ChromiumFact]
    public async Task A_researcher_rates_the_demo_study_with_the_offline_rater_and_reads_the_comparison()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, "lead@example.org", Role.Researcher, Password);
            await db.Batches.ExecuteUpdateAsync(s => s.SetProperty(b => b.Overlap, 1000));
            await DemoSeeder.SimulateAsync(db, new DataDirectory(server.DataRoot), "livs-default", 40, 12, BehaviourMix.Parse("careful=1"), 4, DateTimeOffset.UtcNow);
        }

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var checker = new PageChecker(page, output);
        await page.GotoAsync("/console/login");
        await page.GetByLabel("Email").FillAsync("lead@example.org");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Studies");

        await page.GotoAsync("/console/studies/livs-default");
        await page.GetByRole(AriaRole.Link, new() { Name = "Synthetic raters" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Synthetic raters");
        await checker.CheckCurrentAsync("console-raters-empty");

        // The first six pairs, one persona per consented profile.
        await page.GetByLabel("Only the first items (empty: all)").FillAsync("6");
        await page.GetByLabel("Personas").SelectOptionAsync("from-study");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start the offline rater" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToContainTextAsync("started");

        // The page reloads itself while the job runs; the progress bar ends full.
        var row = page.Locator("tr[data-job]").First;
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 90_000 });
        var bar = row.Locator("progress");
        Assert.Equal(await bar.GetAttributeAsync("max"), await bar.GetAttributeAsync("value"));
        await checker.CheckCurrentAsync("console-raters-job-done");

        await row.GetByRole(AriaRole.Link, new() { Name = "Compare run offline-persona-from-study-pairwise" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("run=offline-persona-from-study-pairwise"));
        await Assertions.Expect(page.Locator("#compare-heading")).ToContainTextAsync("compared with the people");
        await Assertions.Expect(page.Locator("tr[data-group=everyone] th")).ToHaveTextAsync("everyone");
        await Assertions.Expect(page.Locator("#gai-heading")).ToBeVisibleAsync();
        await checker.CheckCurrentAsync("console-raters-compare");
    }
}
