using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Web.Tests;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// A DIVE-style study set up in Chromium: the researcher refuses a broken questions file, uses the DIVE preset, a
/// participant answers the choice and number questions on the consent page in French, and the researcher codes a
/// free-text answer. Every page checked by axe.
/// </summary>
public sealed class QuestionsJourneyTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task A_researcher_sets_dive_questions_a_participant_answers_them_and_the_answers_are_stored_as_codes()
    {
        await using var server = await AppServer.StartAsync(codes: 2);
        await ConsoleSignIn.AddStaffAsync(server);

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var checker = new PageChecker(page, output);

        await ConsoleSignIn.SignInAsync(page);
        await page.GotoAsync("/console/studies/livs-default");
        await page.GetByRole(AriaRole.Link, new() { Name = "Questions", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Questions of");
        await checker.CheckCurrentAsync("console-questions");

        // A broken file: the error summary links to the editor, which is marked invalid and keeps what was typed.
        await page.Locator("#questions").FillAsync("{\n  \"identityQuestions\": [ oops");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the questions" }).ClickAsync();
        await Assertions.Expect(page.Locator("#problems")).ToContainTextAsync("not valid JSON");
        await Assertions.Expect(page.Locator("#questions")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#questions")).ToHaveValueAsync("{\n  \"identityQuestions\": [ oops");
        await checker.CheckCurrentAsync("console-questions-error");

        // The DIVE preset, chosen with the keyboard.
        await page.Locator("#preset").SelectOptionAsync("dive");
        await page.Locator("#preset").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[role=status]")).ToContainTextAsync("preset dive");
        await Assertions.Expect(page.Locator("table").First.Locator("tbody code")).ToHaveTextAsync(["gender", "age", "ethnicity"]);
        await checker.CheckCurrentAsync("console-questions-dive");

        // A participant, in French: the choice questions as radio buttons, the age as a number; one answer not consented.
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "fr-CA" });
        var participant = await context.NewPageAsync();
        var participantChecker = new PageChecker(participant, output);
        await participant.GotoAsync("/?code=" + server.Codes.Dequeue());
        await participant.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();
        await Assertions.Expect(participant).ToHaveURLAsync(new Regex("/consent$"));
        await participantChecker.CheckAsync("consent-dive");
        await participant.Locator("#agree").CheckAsync();
        await participant.Locator("input[name='consent-gender']").CheckAsync();
        await participant.GetByLabel("Femme").CheckAsync();
        await participant.Locator("input[name='consent-age']").CheckAsync();
        await participant.Locator("#value-age").FillAsync("cent cinquante");
        await participant.GetByLabel("Latino-américaine").CheckAsync(); // chosen but its consent left unticked: not kept
        await participant.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();

        // The age in words is refused on its field, in French, with nothing stored.
        await Assertions.Expect(participant.Locator("#markers-errors")).ToBeVisibleAsync();
        await Assertions.Expect(participant.Locator("#value-age")).ToHaveAttributeAsync("aria-invalid", "true");
        await participantChecker.CheckCurrentAsync("consent-dive-error");
        await using (var db = server.Database.CreateContext())
        {
            Assert.False(await db.IdentityAnswers.AnyAsync());
            Assert.False(await db.ConsentRecords.AnyAsync());
        }

        await participant.Locator("#value-age").FillAsync("34");
        await participant.Locator("#agree").CheckAsync();
        await participant.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();
        await Assertions.Expect(participant).ToHaveURLAsync(new Regex("/task$"));

        await using (var db = server.Database.CreateContext())
        {
            var answers = await db.IdentityAnswers.OrderBy(a => a.Marker).Select(a => new { a.Marker, a.Value }).ToListAsync();
            Assert.Equal([("age", "34"), ("gender", "woman")], answers.Select(a => (a.Marker, a.Value)));
        }

        // Back in the console: the questions page still passes axe with the answers in; nothing needs coding (no free text).
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#coding ~ table tbody")).ToContainTextAsync("No answer needs coding.");
        await checker.CheckCurrentAsync("console-questions-answered");
    }
}
