using System.Net;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Cleaning;
using Pluralist.Data.Bundles;
using Pluralist.Pipeline.Images;
using Pluralist.Studies.Viewer;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Tests.Console;

/// <summary>
/// The public read-only viewer of an exported bundle (<c>pluralist viewer serve</c>): answers cleaned when opened with
/// rules (kept by default, dropped with reasons behind a link), raw and labelled otherwise, ratings, images, the criterion
/// filter; no pseudonym, marker value or group column in any response; only GET; the app's security headers; a bad
/// bundle refused with its file and line.
/// </summary>
public sealed class PublicViewerTests
{
    [Fact]
    public async Task A_released_bundle_is_served_read_only_without_identity_data()
    {
        await using var server = await AppServer.StartAsync(codes: 4, imagesPerPrompt: 5, configure: s => (s.AttentionCheckRate, s.GoldRate) = (0, 0));
        var data = await ViewerData.SeedAsync(server);
        var folder = await ViewerData.ExportAsync(server);
        // The bundle itself does carry identity data: the viewer must drop it.
        var participantsCsv = await File.ReadAllTextAsync(Path.Combine(folder, "participants.csv"));
        Assert.Contains("woman", participantsCsv, StringComparison.Ordinal);
        Assert.Contains(data.PseudonymA, participantsCsv, StringComparison.Ordinal);
        Assert.Contains("gender_group", participantsCsv, StringComparison.Ordinal);
        var ratingsCsv = await File.ReadAllTextAsync(Path.Combine(folder, "ratings.csv"));
        Assert.Contains("gender", ratingsCsv, StringComparison.Ordinal);

        using var cleaned = PublicDataset.Open(folder, CleaningRuleSet.Default, DateTimeOffset.UtcNow);
        var (app, client) = await ViewerData.StartViewerAsync(cleaned);
        await using (app)
        {
            var pages = new List<string>();
            var home = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, home.StatusCode);
            Assert.Equal(SecurityHeaders.ContentSecurityPolicy, home.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", home.Headers.GetValues("X-Content-Type-Options").Single());
            var html = await home.Content.ReadAsStringAsync();
            pages.Add(html);
            var doc = new HtmlParser().ParseDocument(html);
            Assert.Equal("startup", doc.QuerySelector("#cleaning [data-cleaning]")!.GetAttribute("data-cleaning"));
            Assert.Contains($"{ViewerData.KeptPairs} pairs with {ViewerData.KeptPairs} criterion answers match; page 1 of 2", doc.QuerySelector("[role=status]")!.TextContent, StringComparison.Ordinal);
            Assert.Empty(doc.QuerySelectorAll("#group, #participant, #batch"));

            var droppedLink = doc.QuerySelectorAll("#cleaning nav a").Single(a => a.TextContent.StartsWith("Dropped", StringComparison.Ordinal)).GetAttribute("href")!;
            var dropped = await client.GetStringAsync(droppedLink);
            pages.Add(dropped);
            var droppedDoc = new HtmlParser().ParseDocument(dropped);
            Assert.Equal("6", droppedDoc.QuerySelector("#reasons tbody tr td.num")!.TextContent);
            Assert.Equal(6, droppedDoc.QuerySelectorAll("#dropped tbody tr").Length);
            // B answered after A: rater 2, the same opaque number on every row.
            Assert.All(droppedDoc.QuerySelectorAll("#dropped tbody tr"), tr => Assert.Contains("rater 2", tr.TextContent, StringComparison.Ordinal));
            var comfort = new HtmlParser().ParseDocument(await client.GetStringAsync("/?dropped=true&criterion=comfort"));
            Assert.Equal(3, comfort.QuerySelectorAll("#dropped tbody tr").Length);
            // A hand-typed switch reads the same.
            Assert.Equal(3, new HtmlParser().ParseDocument(await client.GetStringAsync("/?dropped=1&criterion=comfort")).QuerySelectorAll("#dropped tbody tr").Length);
            Assert.Contains("26 pairs with 26 criterion answers match", new HtmlParser().ParseDocument(await client.GetStringAsync("/?min=0.1")).QuerySelector("[role=status]")!.TextContent, StringComparison.Ordinal);

            var ratings = await client.GetStringAsync("/ratings");
            pages.Add(ratings);
            pages.Add(await client.GetStringAsync("/ratings?dropped=true"));
            pages.Add(await client.GetStringAsync("/?page=2"));
            var ratingsDoc = new HtmlParser().ParseDocument(ratings);
            Assert.Equal(2, ratingsDoc.QuerySelectorAll("#ratings tbody tr").Length);
            Assert.Contains("2 kept, 2 dropped", ratingsDoc.QuerySelector("#likert-cleaning")!.TextContent, StringComparison.Ordinal);
            // Pages show thumbnails (WebP, at most 160 pixels wide) and link the full image.
            var ratingImage = ratingsDoc.QuerySelector("#ratings tbody img")!;
            var src = ratingImage.GetAttribute("src")!;
            var full = ratingImage.ParentElement!.GetAttribute("href")!;
            Assert.Equal(full + "/160", src);
            var image = await client.GetAsync(full);
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal("image/png", image.Content.Headers.ContentType!.MediaType);
            var fullImage = ImageCodec.Decode(await image.Content.ReadAsByteArrayAsync(), "full");
            var thumb = await client.GetAsync(src);
            Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
            Assert.Equal("image/webp", thumb.Content.Headers.ContentType!.MediaType);
            var thumbImage = ImageCodec.Decode(await thumb.Content.ReadAsByteArrayAsync(), "thumbnail");
            Assert.Equal(Math.Min(160, fullImage.Width), thumbImage.Width);
            var tag = thumb.Headers.ETag!;
            using (var again = new HttpRequestMessage(HttpMethod.Get, src))
            {
                again.Headers.IfNoneMatch.Add(tag);
                Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again)).StatusCode);
            }

            Assert.All(doc.QuerySelectorAll("#pairs tbody img"), img => Assert.EndsWith("/160", img.GetAttribute("src"), StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(full + "/100")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/images/999999")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/images/999999/160")).StatusCode);

            // No identity data anywhere: pseudonyms, marker values, marker or group columns.
            foreach (var page in pages)
            {
                Assert.DoesNotContain(data.PseudonymA, page, StringComparison.Ordinal);
                Assert.DoesNotContain(data.PseudonymB, page, StringComparison.Ordinal);
                Assert.DoesNotContain("gender", page, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(">woman<", page, StringComparison.Ordinal);
                Assert.DoesNotContain(">man<", page, StringComparison.Ordinal);
                Assert.DoesNotContain("_group", page, StringComparison.Ordinal);
            }

            // Read-only: no other method, no console, no sign-in.
            foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
            {
                using var request = new HttpRequestMessage(method, "/") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["x"] = "1" }) };
                Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.SendAsync(request)).StatusCode);
            }

            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/studies/livs-default/data")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/login")).StatusCode);
            await app.StopAsync();
        }

        // Without rules: the answers are raw and say so; nothing is dropped.
        using var uncleaned = PublicDataset.Open(folder, null, DateTimeOffset.UtcNow);
        var (rawApp, rawClient) = await ViewerData.StartViewerAsync(uncleaned);
        await using (rawApp)
        {
            var raw = new HtmlParser().ParseDocument(await rawClient.GetStringAsync("/"));
            Assert.Contains("raw, uncleaned", raw.QuerySelector("#cleaning")!.TextContent, StringComparison.Ordinal);
            Assert.Contains($"{ViewerData.KeptPairs + 3} pairs with {ViewerData.KeptPairs + 6} criterion answers match", raw.QuerySelector("[role=status]")!.TextContent, StringComparison.Ordinal);
            Assert.Contains("not cleaned", await rawClient.GetStringAsync("/ratings"), StringComparison.Ordinal);
            await rawApp.StopAsync();
        }

        // The main app does not serve the viewer's pages.
        Assert.Equal(HttpStatusCode.NotFound, (await server.NewClient().GetAsync("/ratings")).StatusCode);

        // A bad bundle: refused with the file and line.
        var pairsCsv = Path.Combine(folder, "pairs.csv");
        var lines = await File.ReadAllLinesAsync(pairsCsv);
        lines[2] = lines[2].Replace(",annotation,", ",sideways,", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(pairsCsv, lines);
        var error = Assert.Throws<BundleException>(() => PublicDataset.Open(folder, null, DateTimeOffset.UtcNow));
        Assert.Contains("pairs.csv:3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_viewer_reads_in_french_after_the_switch_or_when_the_browser_prefers_it()
    {
        await using var server = await AppServer.StartAsync(codes: 4, imagesPerPrompt: 5, configure: s => (s.AttentionCheckRate, s.GoldRate) = (0, 0));
        await ViewerData.SeedAsync(server);
        long frenchPrompt;
        await using (var db = server.Database.CreateContext())
        {
            // One prompt written in French: the pages mark each prompt's text with its own language, whatever the page's.
            var first = await db.Prompts.OrderBy(p => p.Id).FirstAsync();
            (first.Language, frenchPrompt) = ("fr", first.Id);
            await db.SaveChangesAsync();
        }

        var folder = await ViewerData.ExportAsync(server);
        using var data = PublicDataset.Open(folder, CleaningRuleSet.Default, DateTimeOffset.UtcNow);
        var (app, client) = await ViewerData.StartViewerAsync(data);
        await using (app)
        {
            var prompts = new HtmlParser().ParseDocument(await client.GetStringAsync("/")).QuerySelectorAll("#prompt option[value]:not([value=''])");
            Assert.NotEmpty(prompts);
            Assert.All(prompts, o => Assert.Equal(o.GetAttribute("value") == frenchPrompt.ToString(System.Globalization.CultureInfo.InvariantCulture) ? "fr" : "en", o.GetAttribute("lang")));
            Assert.Contains(prompts, o => o.GetAttribute("lang") == "fr");

            // English by default, with a switch to French marked as French.
            var english = new HtmlParser().ParseDocument(await client.GetStringAsync("/?criterion=comfort"));
            Assert.Equal("en", english.DocumentElement.GetAttribute("lang"));
            var toFrench = english.QuerySelectorAll("header nav a").Single(a => a.GetAttribute("hreflang") == "fr");
            Assert.Equal("Français", toFrench.TextContent);
            Assert.Equal("fr", toFrench.GetAttribute("lang"));

            // The switch remembers French and goes back to the same page, filter kept.
            var switched = await client.GetAsync(toFrench.GetAttribute("href"));
            Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
            Assert.Equal("/?criterion=comfort", switched.Headers.Location!.OriginalString);
            var french = new HtmlParser().ParseDocument(await client.GetStringAsync(switched.Headers.Location));
            Assert.Equal("fr", french.DocumentElement.GetAttribute("lang"));
            Assert.StartsWith("Réponses par paire de « ", french.QuerySelector("h1")!.TextContent, StringComparison.Ordinal);
            Assert.Contains("paires avec", french.QuerySelector("[role=status]")!.TextContent, StringComparison.Ordinal);
            Assert.Contains("Nettoyées au lancement de la visionneuse", french.QuerySelector("#cleaning")!.TextContent, StringComparison.Ordinal);
            Assert.Equal("Confort", french.QuerySelector("#criterion option[selected]")!.TextContent);
            var home = new HtmlParser().ParseDocument(await client.GetStringAsync("/"));
            Assert.StartsWith("Image 0 de la paire ", home.QuerySelector("#pairs tbody img")!.GetAttribute("alt"), StringComparison.Ordinal);
            Assert.Equal("Page suivante", home.QuerySelector("nav.pager a[rel=next]")!.TextContent);
            var dropped = new HtmlParser().ParseDocument(await client.GetStringAsync("/?dropped=true"));
            Assert.Contains("personne 2", dropped.QuerySelector("#dropped tbody tr")!.TextContent, StringComparison.Ordinal);
            var ratings = new HtmlParser().ParseDocument(await client.GetStringAsync("/ratings"));
            Assert.Equal("Évaluations Likert, les plus anciennes d'abord", ratings.QuerySelector("#ratings caption")!.TextContent);
            Assert.Contains("gardées", ratings.QuerySelector("#likert-cleaning")!.TextContent, StringComparison.Ordinal);
            Assert.Equal("en", ratings.QuerySelectorAll("header nav a").Single(a => a.TextContent == "English").GetAttribute("lang"));

            // A new reader whose browser prefers French gets French without the switch; a switch back to English holds.
            using var fresh = ViewerData.NewClient(app);
            fresh.DefaultRequestHeaders.AcceptLanguage.ParseAdd("fr-CA,fr;q=0.9");
            Assert.Equal("fr", new HtmlParser().ParseDocument(await fresh.GetStringAsync("/")).DocumentElement.GetAttribute("lang"));
            await fresh.GetAsync("/lang/en?back=/ratings");
            Assert.Equal("en", new HtmlParser().ParseDocument(await fresh.GetStringAsync("/")).DocumentElement.GetAttribute("lang"));

            // The switch goes back only to the viewer's own pages.
            var away = await client.GetAsync("/lang/fr?back=https://example.org/");
            Assert.Equal("/", away.Headers.Location!.OriginalString);
            await app.StopAsync();
        }
    }

    [Fact]
    public void Every_viewer_text_has_english_and_french_with_the_same_placeholders()
    {
        foreach (var (key, (en, fr)) in Pluralist.Web.Console.Dataset.DatasetTexts.Entries)
        {
            Assert.False(string.IsNullOrWhiteSpace(en), key);
            Assert.False(string.IsNullOrWhiteSpace(fr), key);
            Assert.Equal(Placeholders(en), Placeholders(fr));
        }

        static string Placeholders(string text) =>
            string.Join(",", System.Text.RegularExpressions.Regex.Matches(text, @"\{\d+\}").Select(m => m.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_client_past_its_requests_a_minute_gets_429_with_retry_after_and_nothing_else_changes()
    {
        await using var server = await AppServer.StartAsync(codes: 2, imagesPerPrompt: 4);
        var folder = await ViewerData.ExportAsync(server);
        using var data = PublicDataset.Open(folder, null, DateTimeOffset.UtcNow);
        var (app, client) = await ViewerData.StartViewerAsync(data, requestsPerMinute: 5);
        await using (app)
        {
            var answers = new List<HttpStatusCode>();
            foreach (var path in new[] { "/", "/ratings", "/", "/?criterion=comfort", "/ratings" })
            {
                answers.Add((await client.GetAsync(path)).StatusCode);
            }

            Assert.All(answers, code => Assert.Equal(HttpStatusCode.OK, code));
            var refused = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var wait = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(wait, 1, 60);
            Assert.Contains("Too many requests", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            // Refusals carry the security headers too.
            Assert.Equal("nosniff", refused.Headers.GetValues("X-Content-Type-Options").Single());
            await app.StopAsync();
        }

        // 0: no limit.
        var (open, openClient) = await ViewerData.StartViewerAsync(data, requestsPerMinute: 0);
        await using (open)
        {
            for (var i = 0; i < 12; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await openClient.GetAsync("/ratings")).StatusCode);
            }

            await open.StopAsync();
        }
    }
}
