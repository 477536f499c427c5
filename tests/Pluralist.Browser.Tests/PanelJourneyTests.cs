using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Core.Model;
using Pluralist.Web.Tests;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// A study recruited on a panel, in Chromium: entry with the panel's ids, the protocol page, a continuous slider,
/// the completion code, resuming by the same id from another browser, and a second person who withdraws and leaves
/// with the withdrawn code; then the two other outcomes: screened out by the group quotas, and no work left.
/// Every page checked by axe in English and French.
/// </summary>
public sealed class PanelJourneyTests(ITestOutputHelper output)
{
    private static void Prolific(Study s)
    {
        s.SliderSteps = 0; // continuous
        s.Panel = new PanelSettings
        {
            ParticipantParameter = "PROLIFIC_PID",
            OtherParameters = ["STUDY_ID", "SESSION_ID"],
            Exits =
            {
                [PanelOutcome.Completed] = new PanelExit { Code = "C1ABC", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=C1ABC" },
                [PanelOutcome.Withdrawn] = new PanelExit { Code = "RET9" },
            },
        };
    }

    [ChromiumFact]
    public async Task A_panel_participant_reads_the_protocol_answers_on_a_continuous_slider_completes_and_resumes_by_the_same_id()
    {
        await using var server = await AppServer.StartAsync(codes: 0, configure: Prolific);
        await using (var setup = server.Database.CreateContext())
        {
            await setup.Batches.ExecuteUpdateAsync(b => b.SetProperty(x => x.QuotaPerParticipant, 1));
        }

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var checker = new PageChecker(page, output);
        const string Link = "/panel/livs-default?PROLIFIC_PID=5f7a9c0e1b2d&STUDY_ID=st1&SESSION_ID=se1";

        // The panel's link: a start page, and the protocol one link away.
        await page.GotoAsync(Link);
        await checker.CheckAsync("panel-start");
        await page.GetByRole(AriaRole.Link, new() { Name = "How the study works (protocol)" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/protocol"));
        await checker.CheckAsync("protocol");
        await page.GotoAsync(Link);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/consent$"));
        await page.Locator("#agree").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/task$"));

        // A continuous slider: the page allows any value, and a click between two quarter marks is stored as it is.
        var slider = page.Locator("input[type=range]").First;
        await Assertions.Expect(slider).ToHaveAttributeAsync("step", "any");
        await slider.ScrollIntoViewIfNeededAsync();
        var box = (await slider.BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + (box.Width * 0.37f), box.Y + (box.Height / 2));
        var shown = double.Parse(await slider.InputValueAsync(), CultureInfo.InvariantCulture);
        Assert.True(Math.Abs((shown * 4) - Math.Round(shown * 4)) > 1e-6, $"the click landed on a quarter mark ({shown}); pick another point");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();

        // One answer completes: the completion code and the way back to the panel.
        await Assertions.Expect(page.Locator(".panel-exit")).ToHaveAttributeAsync("data-outcome", "completed");
        await Assertions.Expect(page.Locator("#completion-code")).ToHaveTextAsync("C1ABC");
        await Assertions.Expect(page.Locator("#panel-return")).ToHaveAttributeAsync("href", "https://app.prolific.com/submissions/complete?cc=C1ABC");
        await checker.CheckAsync("panel-completed");

        await using (var db = server.Database.CreateContext())
        {
            var answer = await db.Annotations.Include(a => a.Scores).SingleAsync();
            Assert.Equal(0, answer.SliderSteps);
            var stored = answer.Scores.Single(s => s.Score is not null).Score!.Value;
            Assert.True(Math.Abs(Math.Abs(stored) - Math.Abs(shown)) < 1e-9, $"stored {stored}, shown {shown} (the sign follows the side shown)");
        }

        // The same panel id from another browser (asking for French before the participant is known), with a new
        // session id: the same participant, still done.
        await using var other = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "fr-CA" });
        var again = await other.NewPageAsync();
        await again.GotoAsync(Link.Replace("se1", "se2", StringComparison.Ordinal));
        await again.GetByRole(AriaRole.Button, new() { Name = "Commencer" }).ClickAsync();
        await Assertions.Expect(again.Locator("#completion-code")).ToHaveTextAsync("C1ABC");

        // Someone else from the panel withdraws: the withdrawn code, once.
        await using var third = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var leaver = await third.NewPageAsync();
        var leaverChecker = new PageChecker(leaver, output);
        await leaver.GotoAsync("/panel/livs-default?PROLIFIC_PID=aa11bb22&STUDY_ID=st1&SESSION_ID=se9");
        await leaver.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await leaver.Locator("#agree").CheckAsync();
        await leaver.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await leaver.GetByRole(AriaRole.Link, new() { Name = "Leave the study" }).ClickAsync();
        await leaver.GetByRole(AriaRole.Button, new() { Name = "Yes, I want to leave the study" }).ClickAsync();
        await Assertions.Expect(leaver).ToHaveURLAsync(new Regex("/withdrawn$"));
        await Assertions.Expect(leaver.Locator(".panel-exit")).ToHaveAttributeAsync("data-outcome", "withdrawn");
        await Assertions.Expect(leaver.Locator("#completion-code")).ToHaveTextAsync("RET9");
        await leaverChecker.CheckCurrentAsync("panel-withdrawn");

        await using (var db = server.Database.CreateContext())
        {
            var entries = await db.PanelEntries.OrderBy(e => e.Id).ToListAsync();
            Assert.Equal([("5f7a9c0e1b2d", 2), ("aa11bb22", 1)], entries.Select(e => (e.PanelParticipantId, e.Entries)));
            Assert.Equal(2, await db.Participants.CountAsync(p => p.Role == Role.Participant));
        }
    }

    private static void Exits(Study s)
    {
        s.Panel = new PanelSettings
        {
            ParticipantParameter = "PROLIFIC_PID",
            Exits =
            {
                [PanelOutcome.Completed] = new PanelExit { Code = "DONE7" },
                [PanelOutcome.ScreenedOut] = new PanelExit { Code = "SCREEN3", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=SCREEN3" },
                [PanelOutcome.NoWorkLeft] = new PanelExit { Code = "NOWORK1" },
            },
        };
        s.AttentionCheckRate = 0;
        s.GoldRate = 0;
    }

    private static async Task<IPage> EnterAsync(IBrowser browser, AppServer server, string pid)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/panel/livs-default?PROLIFIC_PID={pid}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/consent$"));
        await page.Locator("#agree").CheckAsync(); // no identity question answered
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/task$"));
        return page;
    }

    [ChromiumFact]
    public async Task A_panel_participant_outside_every_quota_group_is_screened_out_with_that_outcomes_code()
    {
        // Places only for women and men, none for anyone else: a participant who answers no identity question can be
        // given nothing, and leaves with the screened-out code before answering anything.
        await using var server = await AppServer.StartAsync(codes: 0, configure: s =>
        {
            Exits(s);
            s.GroupQuotas = new GroupQuotas { Dimensions = [new QuotaDimension { Marker = "gender", Values = ["woman", "man"] }], PerGroup = 1, Unstratified = 0 };
        });
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;

        var page = await EnterAsync(browser, server, "q1w2e3r4");
        await Assertions.Expect(page.Locator(".panel-exit")).ToHaveAttributeAsync("data-outcome", "screened-out");
        await Assertions.Expect(page.Locator("#completion-code")).ToHaveTextAsync("SCREEN3");
        await Assertions.Expect(page.Locator("#panel-return")).ToHaveAttributeAsync("href", "https://app.prolific.com/submissions/complete?cc=SCREEN3");
        await Assertions.Expect(page.Locator("input[type=range]")).ToHaveCountAsync(0);
        await new PageChecker(page, output).CheckAsync("panel-screened-out");

        await using var db = server.Database.CreateContext();
        Assert.Equal(0, await db.Annotations.CountAsync());
    }

    [ChromiumFact]
    public async Task A_panel_participant_who_answers_every_open_pair_before_the_quota_leaves_with_the_no_work_code()
    {
        // One pair left in the study and a quota of five: after that one answer there is nothing more to give, the
        // quota is not reached, there are no group quotas, so the outcome is "no work left", not "completed".
        await using var server = await AppServer.StartAsync(codes: 0, configure: Exits);
        await using (var setup = server.Database.CreateContext())
        {
            var keep = await setup.Pairs.OrderBy(p => p.Id).Select(p => p.Id).FirstAsync();
            await setup.Pairs.Where(p => p.Id != keep).ExecuteDeleteAsync();
            await setup.Batches.ExecuteUpdateAsync(b => b.SetProperty(x => x.QuotaPerParticipant, 5));
        }

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;

        var page = await EnterAsync(browser, server, "z9y8x7w6");
        var slider = page.Locator("input[type=range]").First;
        await slider.FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Assertions.Expect(page.Locator(".panel-exit")).ToHaveAttributeAsync("data-outcome", "no-work");
        await Assertions.Expect(page.Locator("#completion-code")).ToHaveTextAsync("NOWORK1");
        await Assertions.Expect(page.Locator("#panel-return")).ToHaveCountAsync(0); // no URL configured for it
        await new PageChecker(page, output).CheckAsync("panel-no-work");

        await using var db = server.Database.CreateContext();
        Assert.Equal(1, await db.Annotations.CountAsync());
    }
}
