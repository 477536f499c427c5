using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Web.Tests;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>A participant's whole visit in Chromium against Kestrel: every page checked by axe in English and French.</summary>
public sealed partial class ParticipantJourneyTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task A_participant_joins_consents_answers_with_mouse_and_keyboard_takes_a_break_and_withdraws()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s => { s.SessionCap = 3; s.BreakMinutes = 10; s.SliderSteps = 4; });
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var checker = new PageChecker(page, output);

        // Join: a wrong code first, then the real one.
        await page.GotoAsync("/");
        await checker.CheckAsync("join");
        await page.GetByLabel("Invitation code").FillAsync("WRONG-CODE");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page.Locator("#code-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#code")).ToHaveAttributeAsync("aria-invalid", "true");
        await checker.CheckCurrentAsync("join-error");
        await page.Locator("#lang-switch").ClickAsync();
        await page.GetByLabel("Code d'invitation").FillAsync("WRONG-CODE");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();
        await Assertions.Expect(page.Locator("#code-error")).ToContainTextAsync("Nous n'avons pas trouvé ce code");
        await checker.CheckCurrentAsync("join-error");
        await page.Locator("#lang-switch").ClickAsync();
        await page.GetByLabel("Invitation code").FillAsync(server.Codes.Dequeue().ToLowerInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        // Consent with identity questions: one answered, one "prefer not to say", one typed but not consented.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/consent$"));
        await checker.CheckAsync("consent");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page.Locator("#agree-error")).ToBeVisibleAsync();
        await checker.CheckCurrentAsync("consent-error");
        await page.Locator("#lang-switch").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();
        await Assertions.Expect(page.Locator("#agree-error")).ToContainTextAsync("Cochez la case");
        await checker.CheckCurrentAsync("consent-error");
        await page.Locator("#lang-switch").ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await page.Locator("#agree").CheckAsync();
        await page.Locator("input[name='consent-age-band']").CheckAsync();
        await page.GetByLabel("25–34").CheckAsync();
        await page.Locator("input[name='consent-gender']").CheckAsync();
        await page.Locator("input[name='prefer-not-gender']").CheckAsync();
        await page.Locator("#value-disability").FillAsync("not to be kept");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/task$"));
        await checker.CheckAsync("task");

        // Pair 1, with the mouse: click near the right end of the first slider.
        var first = await AssignmentAsync(page);
        var slider = page.Locator("input[type=range]").First;
        await slider.ScrollIntoViewIfNeededAsync();
        var box = (await slider.BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + (box.Width * 0.9f), box.Y + (box.Height / 2));
        await Assertions.Expect(page.Locator(".criterion").First).ToHaveClassAsync(new Regex("answered"));
        var mouseValue = double.Parse(await slider.InputValueAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(mouseValue > 0, $"the click on the right should prefer the right image, got {mouseValue}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Assertions.Expect(page.Locator("#answer")).Not.ToHaveAttributeAsync("data-assignment", first.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Pair 2, keyboard only: Tab to each slider; two steps left; End; 0 for neutral; Tab to the button and Enter.
        var second = await AssignmentAsync(page);
        await TabToAsync(page, "input[type=range]:nth-of-type(1)", 0);
        await page.Keyboard.PressAsync("ArrowLeft");
        await page.Keyboard.PressAsync("ArrowLeft");
        await TabToAsync(page, "input[type=range]", 1);
        await page.Keyboard.PressAsync("End");
        await TabToAsync(page, "input[type=range]", 2);
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("0");
        await Assertions.Expect(page.Locator(".state").Nth(2)).ToHaveTextAsync(new Regex("Answered.*No preference"));
        await TabToAsync(page, "#send", 0);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#answer")).Not.ToHaveAttributeAsync("data-assignment", second.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Pair 3: Home on the first slider, sent with Space; the session cap (3) sends the participant to the break.
        var third = await AssignmentAsync(page);
        await TabToAsync(page, "input[type=range]", 0);
        await page.Keyboard.PressAsync("Home");
        await TabToAsync(page, "#send", 0);
        await page.Keyboard.PressAsync(" ");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/break$"));
        await checker.CheckAsync("break");

        await using (var db = server.Database.CreateContext())
        {
            var participant = await db.Participants.SingleAsync();
            var answers = await db.Annotations.Include(a => a.Scores).Where(a => a.ParticipantId == participant.Id).ToDictionaryAsync(a => a.AssignmentId);
            Assert.Equal(3, answers.Count);
            Assert.Equal([mouseValue, null, null], Scores(answers[first]));
            Assert.Equal([-0.5, 1.0, 0.0], Scores(answers[second]));
            Assert.Equal([-1.0, null, null], Scores(answers[third]));
            var markers = await db.IdentityAnswers.Where(a => a.ParticipantId == participant.Id).OrderBy(a => a.Marker).ToListAsync();
            Assert.Equal(["age-band", "gender"], markers.Select(m => m.Marker));
            Assert.Equal("25-34", markers[0].Value); // stored as the option code
            Assert.True(markers[1].PreferNotToSay);
            Assert.Null(markers[1].Value);

            // Ten minutes pass: the answers move back in time, as the clock would have moved forward.
            foreach (var a in answers.Values)
            {
                a.SubmittedAt = a.SubmittedAt.AddMinutes(-11);
            }

            await db.SaveChangesAsync();
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Try to continue" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/task$"));
        await Assertions.Expect(page.Locator("#answer")).ToBeVisibleAsync();

        await page.GotoAsync("/history");
        await checker.CheckAsync("history");

        // Change the keyboard answer from the history page: End on its first slider, then save.
        await page.Locator($"a[href='/task?change={second}']").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Change your answer");
        await Assertions.Expect(page.Locator("input[type=range]").First).ToHaveValueAsync("-0.5");
        await checker.CheckAsync("change");
        await TabToAsync(page, "input[type=range]", 0);
        await page.Keyboard.PressAsync("End");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save my new answer" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/history$"));
        await using (var db = server.Database.CreateContext())
        {
            var changed = await db.Annotations.Include(a => a.Scores).SingleAsync(a => a.AssignmentId == second);
            Assert.Equal([1.0, 1.0, 0.0], Scores(changed));
        }

        await page.GotoAsync("/about");
        await checker.CheckAsync("about");

        // The participant switches to French and stays there.
        await page.Locator("#lang-switch").ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "fr");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("À propos de moi");
        await page.GetByRole(AriaRole.Link, new() { Name = "Comparer" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Comparez deux images");
        await page.GetByRole(AriaRole.Link, new() { Name = "Quitter l'étude" }).ClickAsync();
        await checker.CheckAsync("withdraw");
        await page.GetByRole(AriaRole.Button, new() { Name = "Oui, je veux quitter l'étude" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/withdrawn$"));
        await Assertions.Expect(page.Locator("[role=status]")).ToContainTextAsync("Vous avez quitté l'étude");
        await checker.CheckAsync("withdrawn");

        await using (var db = server.Database.CreateContext())
        {
            var participant = await db.Participants.SingleAsync();
            Assert.NotNull(participant.WithdrawnAt);
            Assert.False(await db.IdentityAnswers.AnyAsync(a => a.ParticipantId == participant.Id));
            Assert.Equal(3, await db.Annotations.CountAsync(a => a.ParticipantId == participant.Id));
        }

        // Signed out: the task page sends back to the join page.
        await page.GotoAsync("/task");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        Assert.True(checker.Checked >= 20, $"pages checked: {checker.Checked}");
    }

    [ChromiumFact]
    public async Task A_participant_rates_images_with_the_keyboard_in_the_likert_task()
    {
        await using var server = await AppServer.StartAsync(codes: 1, configure: s => s.TaskType = Pluralist.Core.Model.TaskType.Likert);
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "fr-CA" });
        var checker = new PageChecker(page, output);

        // The browser asks for French: the app answers in French.
        await page.GotoAsync("/?code=" + server.Codes.Dequeue());
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "fr");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();
        await page.Locator("#agree").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Évaluez une image");
        await checker.CheckAsync("rate");

        // Sending with a question unanswered is refused in the page, which says why.
        await page.GetByRole(AriaRole.Button, new() { Name = "Envoyer ma réponse" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Choisissez une réponse pour chaque question.");

        // Keyboard only: Tab into the first group, arrows move the choice; the same in the second group; Space ticks a category.
        var image = await page.Locator("#rating").GetAttributeAsync("data-image");
        await TabToAsync(page, "fieldset.likert input[type=radio]", 0);
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        await TabToAsync(page, "fieldset.likert:nth-of-type(2) input[type=radio]", 0);
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "input[name=category]", 1);
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "#send", 0);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#rating")).Not.ToHaveAttributeAsync("data-image", image!);

        await using (var db = server.Database.CreateContext())
        {
            var rows = await db.LikertRatings.OrderBy(r => r.Id).ToListAsync();
            Assert.Equal([3, 1], rows.Select(r => r.Value));
            Assert.All(rows, r => Assert.Equal(["exclusion"], r.SelectedCategories));
            Assert.All(rows, r => Assert.Equal("fr", r.Language));
        }

        await page.GotoAsync("/history");
        await Assertions.Expect(page.Locator("#ratings tbody tr")).ToHaveCountAsync(1);
        await checker.CheckAsync("history-ratings");

        // Change the rating: the page opens with the stored choices; one more step up in the first group.
        await page.Locator($"#ratings a[href='/task?rate={image}']").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Modifier votre réponse");
        await Assertions.Expect(page.Locator("fieldset.likert input[value='3']").First).ToBeCheckedAsync();
        await checker.CheckAsync("change-rating");
        await page.Locator("fieldset.likert input[value='4']").First.CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer ma nouvelle réponse" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/history$"));
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal([4, 1], await db.LikertRatings.OrderBy(r => r.Id).Select(r => r.Value).ToListAsync());
        }
    }

    [ChromiumFact]
    public async Task A_participant_verifies_an_email_sets_a_password_and_signs_in_again()
    {
        await using var server = await AppServer.StartAsync(codes: 1, configure: s => s.RequireEmail = true);
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var checker = new PageChecker(page, output);

        await page.GotoAsync("/?code=" + server.Codes.Dequeue());
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/email$"));
        await checker.CheckAsync("email");
        await page.GetByLabel("Email address").FillAsync("dee@example.org");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/verify"));
        await checker.CheckAsync("verify");

        var mail = File.ReadAllText(Directory.GetFiles(Path.Combine(server.DataRoot, "outbox"), "*.eml").Single());
        var code = Regex.Match(mail, @"\b\d{6}\b").Value;
        await page.GetByLabel("Code from the email").FillAsync(code);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("short");
        await page.GetByLabel("Type the password again").FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page.Locator("#password-error")).ToHaveTextAsync("The password needs at least 8 characters.");
        await checker.CheckCurrentAsync("verify-error");
        await page.GetByLabel("Code from the email").FillAsync(code);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("walk by the river");
        await page.GetByLabel("Type the password again").FillAsync("walk by the river");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/consent$"));

        // Another browser, another day.
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var later = await context.NewPageAsync();
        var laterChecker = new PageChecker(later, output);
        await later.GotoAsync("/");
        await later.GetByRole(AriaRole.Link, new() { Name = "Already joined with your email? Sign in" }).ClickAsync();
        await laterChecker.CheckAsync("signin");
        await later.GetByLabel("Email address").FillAsync("dee@example.org");
        await later.GetByLabel("Password").FillAsync("not my password");
        await later.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(later.Locator("#signin-error")).ToBeVisibleAsync();
        await laterChecker.CheckCurrentAsync("signin-error");
        await later.GetByLabel("Password").FillAsync("walk by the river");
        await later.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(later).ToHaveURLAsync(new Regex("/consent$"));
    }

    private static double?[] Scores(Pluralist.Core.Model.Annotation a) => a.Scores.OrderBy(s => s.Position).Select(s => s.Score).ToArray();

    private static async Task<long> AssignmentAsync(IPage page) =>
        long.Parse((await page.Locator("#answer").GetAttributeAsync("data-assignment"))!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Presses Tab until the nth element matching the selector has the focus: the focus order reaches it.</summary>
    private static async Task TabToAsync(IPage page, string selector, int nth)
    {
        for (var i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<bool>(
                "([s, n]) => document.activeElement === document.querySelectorAll(s)[n]", new object[] { selector, nth });
            if (focused)
            {
                return;
            }
        }

        Assert.Fail($"Tab never reached {selector} #{nth}");
    }
}
