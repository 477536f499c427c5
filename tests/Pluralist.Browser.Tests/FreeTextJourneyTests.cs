using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Pluralist.Analysis.Reports;
using Pluralist.Studies.Reports;
using Pluralist.Web.Tests;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// A free-text identity question from end to end in Chromium: a participant answers it on the consent page and changes
/// it on "About me"; the researcher codes the answer into a group in the Questions page's coding table; the group's
/// quota fills as the participant answers; the study bundle's participants.csv carries the answer and its group; and
/// the study report groups the participant under the code. Every page checked by axe.
/// </summary>
public sealed class FreeTextJourneyTests(ITestOutputHelper output)
{
    private const string Study = "livs-default";

    [ChromiumFact]
    public async Task A_free_text_answer_is_coded_in_the_console_and_counts_in_quotas_exports_and_the_analysis()
    {
        await using var server = await AppServer.StartAsync(codes: 1, configure: s => s.MinGroupSize = 1);
        await ConsoleSignIn.AddStaffAsync(server);
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.Address.ToString(), Locale = "en-CA", AcceptDownloads = true });
        var checker = new PageChecker(page, output);
        await ConsoleSignIn.SignInAsync(page);

        // One place per pair for the group "riverside" of the free-text question "neighbourhood", none outside it.
        await page.GotoAsync($"/console/studies/{Study}");
        await page.Locator("#quotaDimensions").FillAsync("neighbourhood: riverside");
        await page.Locator("#perGroup").FillAsync("1");
        await page.Locator("#unstratified").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the quotas" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("Saved: quotas.");

        // The participant writes where they live, consents to keeping it, then changes it on "About me".
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString(), Locale = "en-CA" });
        var participant = await context.NewPageAsync();
        var participantChecker = new PageChecker(participant, output);
        await participant.GotoAsync("/?code=" + server.Codes.Dequeue());
        await participant.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await participant.Locator("#agree").CheckAsync();
        await participant.Locator("input[name='consent-neighbourhood']").CheckAsync();
        await participant.Locator("#value-neighbourhood").FillAsync("Riverside Park");
        await participant.Locator("input[name='consent-gender']").CheckAsync();
        await participant.Locator("#value-gender").FillAsync("never stored"); // typed, then its consent taken back
        await participant.Locator("input[name='consent-gender']").UncheckAsync();
        await participant.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(participant).ToHaveURLAsync(new Regex("/task$"));
        // Uncoded, the answer is in no group: with no places outside the groups there is nothing to do yet.
        await Assertions.Expect(participant.Locator("#answer")).ToHaveCountAsync(0);
        await participantChecker.CheckCurrentAsync("task-outside-groups");

        await participant.GotoAsync("/about");
        await Assertions.Expect(participant.Locator("#value-neighbourhood")).ToHaveValueAsync("Riverside Park");
        await participantChecker.CheckAsync("about-free-text");
        await participant.Locator("#value-neighbourhood").FillAsync("Les  Berges ");
        await participant.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(participant.Locator("[role=status]")).ToHaveTextAsync("Saved. Thank you!");
        await using (var db = server.Database.CreateContext())
        {
            var answers = await db.IdentityAnswers.Select(a => new { a.Marker, a.Value }).ToListAsync();
            var answer = Assert.Single(answers);
            Assert.Equal("neighbourhood", answer.Marker);
            Assert.Equal("Les  Berges", answer.Value!.Trim());
        }

        // The researcher codes the answer, as the coding table lists it, into the quota's group.
        await page.GotoAsync($"/console/studies/{Study}/questions");
        var row = page.Locator("#coding ~ table tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator("td").Nth(0)).ToHaveTextAsync("neighbourhood");
        await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("1");
        var answerShown = (await row.Locator("td").Nth(1).TextContentAsync())!.Trim();
        Assert.Equal("les berges", answerShown.ToLowerInvariant());
        await checker.CheckCurrentAsync("console-questions-coding");
        await row.GetByRole(AriaRole.Textbox).FillAsync("riverside");
        await row.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("[role=status]")).ToHaveTextAsync("Saved: the coding of that answer.");
        await Assertions.Expect(page.Locator("#coding ~ table tbody tr input[name=code]")).ToHaveValueAsync("riverside");

        // Now in the group, the participant gets a pair and answers it with the keyboard: that pair's place for the group is taken.
        await participant.GotoAsync("/task");
        await Assertions.Expect(participant.Locator("#answer")).ToHaveCountAsync(1);
        var first = await participant.Locator("#answer").GetAttributeAsync("data-assignment");
        await participant.Locator("input[type=range]").First.FocusAsync();
        await participant.Keyboard.PressAsync("End");
        await participant.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Assertions.Expect(participant.Locator("#answer")).Not.ToHaveAttributeAsync("data-assignment", first!);

        await page.GotoAsync($"/console/studies/{Study}/quotas");
        var group = page.Locator("table").First.Locator("tbody tr", new() { Has = page.Locator("th", new() { HasTextString = "riverside" }) });
        await Assertions.Expect(group.Locator("td")).ToHaveTextAsync(["1", "1", "2", "1", "2"]); // participants, quota, places and items full (the answered pair and the one shown now), answered
        await checker.CheckCurrentAsync("console-quotas-coded");

        // The bundle: the raw answer and, beside it, the group it counts in; nothing for the unconsented question.
        await page.GotoAsync($"/console/studies/{Study}");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the study bundle (.zip)" }).ClickAsync());
        var zipPath = Path.Combine(server.DataRoot, "bundle-download.zip");
        await download.SaveAsAsync(zipPath);
        using (var zip = ZipFile.OpenRead(zipPath))
        {
            using var reader = new StreamReader(zip.GetEntry("participants.csv")!.Open());
            var lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToList();
            Assert.Equal(2, lines.Count);
            var cell = (string column) => lines[1][Array.IndexOf(lines[0], column)];
            Assert.Equal(Array.IndexOf(lines[0], "neighbourhood") + 1, Array.IndexOf(lines[0], "neighbourhood_group"));
            Assert.Equal("Les  Berges", cell("neighbourhood").Trim());
            Assert.Equal("riverside", cell("neighbourhood_group"));
            Assert.Equal(("", ""), (cell("gender"), cell("gender_group")));
        }

        // The study report (what `pluralist analyze study` writes) groups the participant under the code.
        var (input, _) = await StudyReportInputs.LoadAsync(server.Database.Options, new StudyReportInputs.Request { Study = Study, Permutations = 0, BootstrapReplicates = 0 });
        var markers = Assert.Single(input.Markers).Value;
        Assert.Equal("riverside", markers["neighbourhood"]);
        Assert.False(markers.ContainsKey("gender"));
        var report = StudyReportBuilder.Build(input);
        var withGroup = report.Tables.Where(t => t.Rows.Any(r => r.Any(c => Equals(c, "riverside")))).Select(t => t.Name).ToList();
        output.WriteLine("report tables naming the group: " + string.Join(", ", withGroup));
        Assert.NotEmpty(withGroup);
        Assert.DoesNotContain(report.Tables, t => t.Rows.Any(r => r.Any(c => c is string s && s.Contains("Berges", StringComparison.OrdinalIgnoreCase))));
    }
}
