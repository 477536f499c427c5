using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pluralist.Web.Tests;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// Compare while answering: on a 1366x768 laptop and 390x844 and 360x740 phones, in English and in French (whose
/// slider ends and questions are longer), nothing is wider than the screen, both images and the slider being
/// moved are in view at the same time, the slider is never under the images, and either image opens
/// larger on a tap or click and closes again with Escape. With env PLURALIST_SCREENSHOTS set, saves the
/// viewport as the participant sees it (how docs/images/app/compare-*.png are made).
/// </summary>
public sealed class CompareLayoutTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, int, bool> Screens => new()
    {
        { "laptop", 1366, 768, false },
        { "phone", 390, 844, true },
        { "small-phone", 360, 740, true },
    };

    [ChromiumTheory]
    [MemberData(nameof(Screens))]
    public async Task Both_images_and_the_slider_being_moved_are_in_view_together(string screen, int width, int height, bool phone)
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.Address.ToString(),
            Locale = "en-CA",
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = phone,
            HasTouch = phone,
        });
        var page = await context.NewPageAsync();
        var checker = new PageChecker(page, output);

        await page.GotoAsync("/?code=" + server.Codes.Dequeue());
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.Locator("#agree").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/task$"));
        await checker.CheckAsync($"task-{screen}");

        foreach (var lang in new[] { "en", "fr" })
        {
            if (lang == "fr")
            {
                await page.Locator("#lang-switch").ClickAsync();
                await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "fr");
            }

            // Nothing pushes the page past the screen's edge (a fieldset grows to its content's width unless told not to);
            // a phone then widens its layout viewport to the content and shows the whole page zoomed out, so the page's
            // width is checked against the screen's, not against window.innerWidth.
            var pageWidth = await page.EvaluateAsync<double>("() => document.documentElement.scrollWidth");
            Assert.True(pageWidth <= width + 0.5, $"{screen} {width}x{height} ({lang}): the page is {pageWidth} px wide on a {width} px screen (shown zoomed out or scrolling sideways)");

            var sliders = page.Locator("input[type=range]");
            var count = await sliders.CountAsync();
            Assert.True(count >= 1, "the task shows at least one slider");
            for (var i = 0; i < count; i++)
            {
                await sliders.Nth(i).FocusAsync();
                var seen = await page.EvaluateAsync<double[]>(
                    @"(n) => {
                        const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
                        const imgs = document.querySelectorAll('#images img');
                        const slider = document.querySelectorAll('input[type=range]')[n];
                        return [window.innerWidth, window.innerHeight, ...r(imgs[0]), ...r(imgs[1]), ...r(slider)];
                    }", i);
                var (vw, vh) = (seen[0], seen[1]);
                var left = seen[2..6];
                var right = seen[6..10];
                var slider = seen[10..14];
                foreach (var (what, box) in new[] { ("left image", left), ("right image", right), ($"slider {i + 1}", slider) })
                {
                    Assert.True(
                        box[0] >= -0.5 && box[1] >= -0.5 && box[2] <= vw + 0.5 && box[3] <= vh + 0.5,
                        $"{screen} {width}x{height} ({lang}), slider {i + 1} focused: the {what} at [{string.Join(", ", box.Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}] is not inside the {vw}x{vh} viewport");
                }

                // The images sit beside or above the slider, never on top of it.
                var overlaps = slider[0] < left[2] && left[0] < slider[2] && slider[1] < left[3] && left[1] < slider[3];
                Assert.False(overlaps, $"{screen} ({lang}): slider {i + 1} lies under the left image");
                Assert.True(left[1] == right[1], $"{screen} ({lang}): the two images are side by side (tops {left[1]} and {right[1]})");
                if (lang == "en" && i == count - 1)
                {
                    await ScreenshotAsync(page, $"compare-{screen}-{lang}.png");
                }
            }
        }

        // Tap or click the left image: it opens larger in a dialog that axe accepts; Escape closes it and the focus goes back.
        var leftLink = page.Locator("a.enlarge").First;
        if (phone)
        {
            await leftLink.TapAsync();
        }
        else
        {
            await leftLink.ClickAsync();
        }

        await Assertions.Expect(page.Locator("#zoom")).ToHaveAttributeAsync("open", "");
        await Assertions.Expect(page.Locator("#zoom-title")).ToHaveTextAsync("Image de gauche");
        Assert.Equal(await page.Locator("#images img").First.GetAttributeAsync("src"), new Uri(await page.Locator("#zoom-image").EvaluateAsync<string>("i => i.src")).AbsolutePath);
        var zoomWidth = await page.Locator("#zoom-image").EvaluateAsync<double>("i => i.getBoundingClientRect().width");
        var shownWidth = await page.Locator("#images img").First.EvaluateAsync<double>("i => i.getBoundingClientRect().width");
        Assert.True(zoomWidth > shownWidth * 1.4, $"{screen}: the enlarged image ({zoomWidth:F0} px) is not larger than the one on the page ({shownWidth:F0} px)");
        await Chromium.AssertAccessibleAsync(page, $"task-{screen} enlarged (fr)");
        await ScreenshotAsync(page, $"compare-{screen}-enlarged-fr.png");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#zoom")).Not.ToHaveAttributeAsync("open", "");
        Assert.True(await leftLink.EvaluateAsync<bool>("a => document.activeElement === a"), $"{screen}: the focus did not go back to the image that opened the dialog");
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable(PageChecker.ScreenshotsVariable) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name) });
        }
    }
}
