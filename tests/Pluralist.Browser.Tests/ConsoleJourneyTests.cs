using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Core.Model;
using Pluralist.Web.Tests;
using Pluralist.World.Imaging;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>A researcher runs a small study from the console in Chromium; a participant answers; every console page is checked by axe.</summary>
public sealed class ConsoleJourneyTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task A_researcher_sets_up_a_study_and_sees_answers_and_the_evaluation_tally()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await ConsoleSignIn.AddStaffAsync(server);

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var checker = new PageChecker(page, output);

        await page.GotoAsync("/console");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/console/login"));
        await checker.CheckCurrentAsync("console-login");
        await ConsoleSignIn.SubmitAsync(page);
        await checker.CheckCurrentAsync("console-studies");

        // A study with a new criterion in both languages.
        await page.GetByRole(AriaRole.Link, new() { Name = "New study" }).ClickAsync();
        await checker.CheckCurrentAsync("console-new-study");
        await page.GetByLabel("Key").FillAsync("riverside");
        await page.GetByLabel("Title in English").FillAsync("The riverside");
        await page.GetByLabel("Title in French").FillAsync("Les berges");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the study" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/console/studies/riverside$"));
        await page.Locator("#key").FillAsync("shade");
        await page.Locator("#name-en").FillAsync("Shade");
        await page.Locator("#name-fr").FillAsync("Ombre");
        await page.Locator("#def-en").FillAsync("Where could you rest out of the sun?");
        await page.Locator("#def-fr").FillAsync("Où se reposer à l'abri du soleil?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add the criterion" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("Saved: shade.");
        await checker.CheckCurrentAsync("console-study");

        // Quotas per identity group: a question the study does not ask is refused on the form; DIVE-style
        // groups are saved and their fill shown; then removed again, this being a LIVS-style study.
        await page.Locator("#quotaDimensions").FillAsync("gender: woman, man\nshoe-size");
        await page.Locator("#perGroup").FillAsync("20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the quotas" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=alert]")).ToContainTextAsync("'shoe-size' is not an identity question of the study");
        await Chromium.AssertAccessibleAsync(page, "console-study with a quota error (en)");
        await page.Locator("#quotaDimensions").FillAsync("gender: woman, man\nage-band: 18-29, 30-49, 50+");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the quotas" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("Saved: quotas.");
        await page.GetByRole(AriaRole.Link, new() { Name = "See how full each item is." }).ClickAsync();
        await Assertions.Expect(page.Locator(".figures li").First).ToHaveTextAsync("20 participants of each group per item");
        await checker.CheckCurrentAsync("console-quotas");
        await page.GotoAsync("/console/studies/riverside");
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove the quotas" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("Saved: quotas.");
        await Assertions.Expect(page.Locator("#quotaDimensions")).ToHaveValueAsync("");

        // A batch, a pool from two generators, pairs within each prompt.
        await page.GotoAsync("/console/studies/riverside/batches");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the batch" }).ClickAsync();
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(1);
        await checker.CheckCurrentAsync("console-batches");
        await page.GotoAsync("/console/studies/riverside/images");
        await page.Locator("#zip").SetInputFilesAsync(new FilePayload { Name = "pool.zip", MimeType = "application/zip", Buffer = Pool() });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("6 images added.");
        await page.Locator("#batch").SelectOptionAsync(new SelectOptionValue { Label = "Batch 1" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Build the pairs" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("6 pairs built.");
        await checker.CheckCurrentAsync("console-images");

        // Invitations by CSV: the code shown once is used by a participant in another browser.
        await page.GotoAsync("/console/studies/riverside/people");
        await checker.CheckCurrentAsync("console-people");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "people.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes("email,language\nana@example.org,fr\n") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the invitations" }).ClickAsync();
        var code = (await page.Locator("ol.codes li").First.TextContentAsync())!.Split(' ')[0];
        await checker.CheckCurrentAsync("console-invited");

        var participant = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        await participant.GotoAsync("/?code=" + code);
        await participant.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await participant.Locator("#agree").CheckAsync();
        await participant.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(participant).ToHaveURLAsync(new Regex("/task$"));
        var first = await participant.Locator("#answer").GetAttributeAsync("data-assignment");
        var slider = participant.Locator("input[type=range]").First;
        await slider.FocusAsync();
        await participant.Keyboard.PressAsync("End");
        await participant.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Assertions.Expect(participant.Locator("#answer")).Not.ToHaveAttributeAsync("data-assignment", first!);

        // The answer appears in the progress page.
        await page.GotoAsync("/console/studies/riverside/progress");
        await Assertions.Expect(page.Locator(".figures li").First).ToHaveTextAsync("1 answer");
        await Assertions.Expect(page.Locator("#chart-criteria svg")).ToHaveCountAsync(1); // drawn by Vega-Lite, served by the app
        await Assertions.Expect(page.Locator("#chart-days svg")).ToHaveCountAsync(1);
        await checker.CheckCurrentAsync("console-progress");
        await page.GotoAsync("/console/studies/riverside/data");
        await checker.CheckCurrentAsync("console-data");

        // The participant lost their code: a new one, shown once.
        await page.GotoAsync("/console/studies/riverside/people");
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Make a new code for P-") }).ClickAsync();
        await Assertions.Expect(page.Locator("#reset-heading")).ToContainTextAsync("A new code for P-");
        await Assertions.Expect(page.Locator("ol.codes li")).ToHaveTextAsync(new Regex("^[A-Z2-9]{4}-[A-Z2-9]{4}$"));
        await Chromium.AssertAccessibleAsync(page, "console-people after a code reset (en)");

        // Evaluation pairs between the two generators; an answer preferring "aligned" on safety shows in the tally.
        await page.GotoAsync("/console/studies/riverside/evaluation");
        await page.Locator("#ca").SelectOptionAsync("aligned");
        await page.Locator("#cb").SelectOptionAsync("base");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the pairs" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToContainTextAsync("2 evaluation pairs created over 2 prompts (2 with the same seed for both models");
        await AnswerEvaluationAsync(server);
        await page.ReloadAsync();
        var safety = page.Locator("tbody tr", new() { Has = page.Locator("th", new() { HasTextString = "safety" }) });
        await Assertions.Expect(safety.Locator("td").First).ToHaveTextAsync("2");
        await checker.CheckCurrentAsync("console-evaluation");
        await page.Locator("#gallery-link").ClickAsync();
        await Assertions.Expect(page.Locator("section.gallery-prompt")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("section.gallery-prompt img").First).ToHaveJSPropertyAsync("complete", true);
        await checker.CheckCurrentAsync("console-evaluation-gallery");
        await page.GotoAsync("/console/studies/riverside/audit");
        await checker.CheckCurrentAsync("console-audit");
        Assert.Equal(14, checker.Checked);
    }

    // Two prompts, each with one image from "aligned" and two from "base".
    private static byte[] Pool()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var csv = new StringBuilder("file,prompt,generator,seed\n");
            for (var i = 0; i < 6; i++)
            {
                var name = $"river-{i}.png";
                // Per prompt, the aligned image shares its seed with the first base image: the evaluation's matched pair.
                csv.Append($"{name},{(i < 3 ? "A riverside path with benches" : "A riverside park at night")},{(i % 3 == 0 ? "aligned" : "base")},{(i % 3 == 0 ? i + 1 : i)}\n");
                var image = new RgbaImage(48, 32);
                for (var y = 0; y < 32; y++)
                {
                    for (var x = 0; x < 48; x++)
                    {
                        image.SetPixel(x, y, (byte)(40 * i), (byte)(x * 5), (byte)(y * 7));
                    }
                }

                using var s = zip.CreateEntry(name).Open();
                s.Write(Png.Encode(image));
            }

            using var w = new StreamWriter(zip.CreateEntry("pool.csv").Open());
            w.Write(csv.ToString());
        }

        return buffer.ToArray();
    }

    // One participant prefers the aligned image on safety in both evaluation pairs (image_1 is the aligned one).
    private static async Task AnswerEvaluationAsync(AppServer server)
    {
        await using var db = server.Database.CreateContext();
        var study = await db.Studies.SingleAsync(s => s.Key == "riverside");
        var person = await db.Participants.FirstAsync(p => p.StudyId == study.Id);
        foreach (var pair in await db.Pairs.Where(p => p.StudyId == study.Id && p.Kind == PairKind.Evaluation).ToListAsync())
        {
            await StoredAnswers.AddAsync(db, person.Id, pair, image0OnLeft: true, ("safety", 0.7), ("comfort", 0), ("shade", null));
        }
    }
}
