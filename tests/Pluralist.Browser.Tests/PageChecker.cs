using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Pluralist.Browser.Tests;

/// <summary>
/// Checks a page with axe, and that it is no wider than the screen, in the current language, switches to the other language with the page's
/// own link, checks again and switches back. With env PLURALIST_SCREENSHOTS set to a folder, also
/// saves a screenshot per page and language (how docs/images/app is made).
/// </summary>
public sealed class PageChecker(IPage page, ITestOutputHelper output)
{
    public const string ScreenshotsVariable = "PLURALIST_SCREENSHOTS";

    private static readonly string? Screenshots = Environment.GetEnvironmentVariable(ScreenshotsVariable) is { Length: > 0 } s ? s : null;

    // What the browser refused under the app's Content-Security-Policy (an inline script or style, eval, another origin).
    private readonly List<string> _refused = Listen(page);

    public int Checked { get; private set; }

    /// <summary>The current page in both languages, ending in the language it started in.</summary>
    public async Task CheckAsync(string name)
    {
        var start = await page.Locator("html").GetAttributeAsync("lang") ?? "en";
        var other = start == "fr" ? "en" : "fr";
        await CheckCurrentAsync(name);
        await SwitchAsync(other);
        await CheckCurrentAsync(name);
        await SwitchAsync(start);
    }

    /// <summary>The current page in its current language only.</summary>
    public async Task CheckCurrentAsync(string name)
    {
        var lang = await page.Locator("html").GetAttributeAsync("lang");
        Assert.True(lang is "en" or "fr", $"{name}: html lang is '{lang}'");
        await Assertions.Expect(page.Locator("h1")).ToHaveCountAsync(1);
        await Chromium.AssertAccessibleAsync(page, $"{name} ({lang})");

        // Nothing wider than the screen (WCAG 1.4.10, reflow): a phone would widen its layout viewport to the content
        // and show the page zoomed out, so the page is measured against the screen the context was given.
        if (page.ViewportSize is { } screen)
        {
            var pageWidth = await page.EvaluateAsync<double>("() => document.documentElement.scrollWidth");
            Assert.True(pageWidth <= screen.Width + 0.5, $"{name} ({lang}): the page is {pageWidth} px wide on a {screen.Width} px screen (shown zoomed out or scrolling sideways)");
        }

        lock (_refused)
        {
            Assert.True(_refused.Count == 0, $"{name} ({lang}): the browser refused under the Content-Security-Policy:\n" + string.Join("\n", _refused));
        }

        Checked++;
        output.WriteLine($"axe: {name} ({lang}) {page.Url}: no serious or critical violation");
        if (Screenshots is not null)
        {
            Directory.CreateDirectory(Screenshots);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"{name}-{lang}.png"), FullPage = true });
        }
    }

    private static List<string> Listen(IPage page)
    {
        var refused = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                lock (refused)
                {
                    refused.Add($"{message.Type}: {message.Text}");
                }
            }
        };
        return refused;
    }

    private async Task SwitchAsync(string lang)
    {
        await page.Locator("#lang-switch").ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", lang);
        await page.WaitForLoadStateAsync(LoadState.Load);
    }
}
