using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Pluralist.Core.Model;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Console;

/// <summary>
/// The console's dataset viewer over HTTP: raw answers labelled uncleaned before any cleaning run, the kept answers of
/// the latest run by default after one, a link to the dropped answers with each one's reason and counts per reason,
/// criterion and preference filters, pages, the Likert ratings with the same switch, and pseudonyms for researchers only.
/// </summary>
public sealed class DatasetViewerTests
{
    private const string Data = "/console/studies/livs-default/data";

    private static async Task<IHtmlDocument> GetAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode}");
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    private static string Status(IHtmlDocument page) => page.QuerySelector("[role=status]")!.TextContent;

    [Fact]
    public async Task Kept_answers_by_default_dropped_ones_with_reasons_filters_pages_and_ratings()
    {
        await using var server = await AppServer.StartAsync(codes: 4, imagesPerPrompt: 5, configure: s => (s.AttentionCheckRate, s.GoldRate) = (0, 0));
        var data = await ViewerData.SeedAsync(server);
        var researcher = await Staff.SignInAsync(server, "researcher@example.org", Role.Researcher);
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);

        // No cleaning run: every answer, labelled raw, and no switch to dropped answers.
        var raw = await GetAsync(researcher, Data);
        Assert.Equal("none", raw.QuerySelector("#cleaning [data-cleaning]")!.GetAttribute("data-cleaning"));
        Assert.Contains("raw, uncleaned", raw.QuerySelector("#cleaning")!.TextContent, StringComparison.Ordinal);
        Assert.Contains($"{ViewerData.KeptPairs + 3} pairs with {ViewerData.KeptPairs + 6} criterion answers match", Status(raw), StringComparison.Ordinal);
        Assert.Empty(raw.QuerySelectorAll("#cleaning a"));

        var run = await data.CleanAsync(server);

        // Default: the run's kept answers (A's), one page of 50 pairs, a link to page 2.
        var kept = await GetAsync(researcher, Data);
        Assert.Equal(run.ToString(System.Globalization.CultureInfo.InvariantCulture), kept.QuerySelector("#cleaning [data-cleaning]")!.GetAttribute("data-cleaning"));
        Assert.Contains($"Cleaning run #{run}", kept.QuerySelector("#cleaning")!.TextContent, StringComparison.Ordinal);
        Assert.Contains($"{ViewerData.KeptPairs} pairs with {ViewerData.KeptPairs} criterion answers match; page 1 of 2", Status(kept), StringComparison.Ordinal);
        Assert.Equal(50, kept.QuerySelectorAll("#pairs tbody tr").Length);
        Assert.Equal("page", kept.QuerySelector("#cleaning nav a[aria-current]")!.GetAttribute("aria-current"));
        var next = kept.QuerySelector("nav.pager a[rel=next]")!.GetAttribute("href")!;
        var second = await GetAsync(researcher, next);
        Assert.Single(second.QuerySelectorAll("#pairs tbody tr"));
        Assert.Contains("page 2 of 2", Status(second), StringComparison.Ordinal);
        // A page past the end is the last page.
        Assert.Single((await GetAsync(researcher, Data + "?page=99")).QuerySelectorAll("#pairs tbody tr"));

        // Preference range: A's +0.5 answers (even pairs: 26 of 51), then a criterion nobody kept.
        Assert.Contains("26 pairs with 26 criterion answers match", Status(await GetAsync(researcher, Data + "?min=0.1&max=1")), StringComparison.Ordinal);
        Assert.Contains("0 pairs with 0 criterion answers match", Status(await GetAsync(researcher, Data + "?criterion=safety")), StringComparison.Ordinal);

        // The switch: a plain link to the dropped answers, each with its reason, counted per reason.
        var link = kept.QuerySelectorAll("#cleaning nav a").Single(a => a.TextContent.StartsWith("Dropped", StringComparison.Ordinal)).GetAttribute("href")!;
        Assert.Contains("dropped=true", link, StringComparison.Ordinal);
        var dropped = await GetAsync(researcher, link);
        var reason = Assert.Single(dropped.QuerySelectorAll("#reasons tbody tr"));
        Assert.Equal(["TOO_FAST", "too-fast", "answered faster than the minimum time per answer", "6"], reason.Children.Select(c => c.TextContent.Trim()));
        Assert.Equal(6, dropped.QuerySelectorAll("#dropped tbody tr").Length);
        Assert.All(dropped.QuerySelectorAll("#dropped tbody tr"), tr => Assert.Contains(data.PseudonymB, tr.TextContent, StringComparison.Ordinal));
        Assert.Empty(dropped.QuerySelectorAll("#pairs"));
        // The criterion filter keeps the switch: B's safety answers only.
        var safety = await GetAsync(researcher, Data + "?dropped=true&criterion=safety");
        Assert.Equal(3, safety.QuerySelectorAll("#dropped tbody tr").Length);
        Assert.Equal("3", safety.QuerySelector("#reasons tbody tr td.num")!.TextContent);
        Assert.NotNull(safety.QuerySelector("input[type=hidden][name=dropped][value=true]"));

        // A liaison sees the same counts and reasons, and no pseudonym.
        var asLiaison = await liaison.GetStringAsync(Data + "?dropped=true");
        Assert.Contains("TOO_FAST", asLiaison, StringComparison.Ordinal);
        Assert.DoesNotContain(data.PseudonymB, asLiaison, StringComparison.Ordinal);
        Assert.DoesNotContain(data.PseudonymA, asLiaison, StringComparison.Ordinal);
        Assert.Equal(6, new HtmlParser().ParseDocument(asLiaison).QuerySelectorAll("#dropped tbody tr").Length);

        // With an identity group the dropped answers are counted, never listed (one man: the group is refused anyway).
        var group = await GetAsync(researcher, Data + "?dropped=true&group=gender%3Dman");
        Assert.NotNull(group.QuerySelector("[role=alert]"));
        Assert.Empty(group.QuerySelectorAll("#dropped tbody tr"));

        // Likert ratings: A's two kept by default, B's two dropped as too fast; per question filter; thumbnails.
        var ratings = await GetAsync(researcher, Data + "/ratings");
        Assert.Equal(2, ratings.QuerySelectorAll("#ratings tbody tr").Length);
        Assert.Contains("2 kept, 2 dropped", ratings.QuerySelector("#likert-cleaning")!.TextContent, StringComparison.Ordinal);
        Assert.All(ratings.QuerySelectorAll("#ratings tbody img"), img => Assert.Contains("/thumbnails/", img.GetAttribute("src"), StringComparison.Ordinal));
        var harmSelf = await GetAsync(researcher, Data + "/ratings?question=harm-self");
        var row = Assert.Single(harmSelf.QuerySelectorAll("#ratings tbody tr"));
        Assert.Equal("2", row.QuerySelector("td.num")!.TextContent);
        Assert.Contains("It shows a stereotype about a group of people", row.TextContent, StringComparison.Ordinal);
        var droppedRatings = await GetAsync(researcher, Data + "/ratings?dropped=true");
        Assert.Equal(2, droppedRatings.QuerySelectorAll("#ratings tbody tr").Length);
        Assert.Equal("2", droppedRatings.QuerySelector("#likert-reasons tbody tr td.num")!.TextContent);
        Assert.Contains("TOO_FAST", droppedRatings.QuerySelector("#likert-reasons")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(data.PseudonymB, droppedRatings.QuerySelector("#ratings")!.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(data.PseudonymB, await liaison.GetStringAsync(Data + "/ratings?dropped=true"), StringComparison.Ordinal);

        // Visitors are sent to sign in.
        var anonymous = await server.NewClient().GetAsync(Data + "/ratings");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
    }
}
