using Microsoft.Playwright;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Studies.Viewer;
using Pluralist.Web.Tests;
using Pluralist.Web.Tests.Console;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// The dataset viewers in Chromium: a researcher opens the console's viewer on a cleaned study, switches to the dropped
/// answers from the keyboard, filters them by criterion and opens the Likert ratings; then the public viewer of the
/// study's exported bundle, its dropped answers and its ratings. Each page checked by axe and for refusals under the
/// Content-Security-Policy.
/// </summary>
public sealed class DatasetViewerJourneyTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task A_researcher_switches_to_dropped_answers_filters_them_and_the_public_viewer_shows_the_bundle()
    {
        await using var server = await AppServer.StartAsync(codes: 4, imagesPerPrompt: 5, configure: s => (s.AttentionCheckRate, s.GoldRate) = (0, 0));
        var data = await ViewerData.SeedAsync(server);
        await data.CleanAsync(server);
        await ConsoleSignIn.AddStaffAsync(server, "lead@example.org", Role.Researcher);

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;

        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var page = await context.NewPageAsync();
        var checker = new PageChecker(page, output);
        await ConsoleSignIn.SignInAsync(page, "lead@example.org");
        await page.GotoAsync("/console/studies/livs-default");
        await page.GetByRole(AriaRole.Link, new() { Name = "Dataset" }).ClickAsync();
        await Assertions.Expect(page.Locator("#cleaning")).ToContainTextAsync("Cleaning run #");
        await Assertions.Expect(page.Locator("#pairs tbody tr")).ToHaveCountAsync(50);
        await checker.CheckCurrentAsync("console-dataset");

        // The switch is a link: reached and followed from the keyboard.
        await page.GetByRole(AriaRole.Link, new() { Name = "Dropped by cleaning, with reasons (6)" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#reasons tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#reasons")).ToContainTextAsync("TOO_FAST");
        await page.GetByLabel("Criterion").SelectOptionAsync("safety");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#dropped tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#dropped")).ToContainTextAsync(data.PseudonymB);
        await checker.CheckCurrentAsync("console-dataset-dropped");

        await page.GetByRole(AriaRole.Link, new() { Name = "Likert ratings" }).ClickAsync();
        await Assertions.Expect(page.Locator("#ratings tbody tr")).ToHaveCountAsync(2);
        await checker.CheckCurrentAsync("console-dataset-ratings");

        // The public viewer of the exported bundle, cleaned with the default rules when opened.
        using var bundle = PublicDataset.Open(await ViewerData.ExportAsync(server), CleaningRuleSet.Default, DateTimeOffset.UtcNow);
        var (viewer, client) = await ViewerData.StartViewerAsync(bundle);
        var address = client.BaseAddress!.ToString();
        client.Dispose();
        await using (viewer)
        {
            var publicContext = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address, Locale = "en-CA" });
            var visitor = await publicContext.NewPageAsync();
            var publicChecker = new PageChecker(visitor, output);
            await visitor.GotoAsync("/");
            await Assertions.Expect(visitor.Locator("#cleaning")).ToContainTextAsync("Cleaned when this viewer started");
            await publicChecker.CheckCurrentAsync("public-viewer");
            await visitor.GetByRole(AriaRole.Link, new() { Name = "Dropped by cleaning, with reasons (6)" }).ClickAsync();
            await Assertions.Expect(visitor.Locator("#dropped tbody tr")).ToHaveCountAsync(6);
            await publicChecker.CheckCurrentAsync("public-viewer-dropped");
            await visitor.GetByRole(AriaRole.Link, new() { Name = "Likert ratings" }).First.ClickAsync();
            await Assertions.Expect(visitor.Locator("#ratings tbody tr")).ToHaveCountAsync(2);
            await publicChecker.CheckCurrentAsync("public-viewer-ratings");
            var html = await visitor.ContentAsync();
            Assert.DoesNotContain(data.PseudonymA, html, StringComparison.Ordinal);
            Assert.DoesNotContain(data.PseudonymB, html, StringComparison.Ordinal);
            await viewer.StopAsync();
        }
    }
}
