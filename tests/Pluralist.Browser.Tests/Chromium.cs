using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Pluralist.Browser.Tests;

/// <summary>Debian's Chromium driven by Playwright (no browser download: the system binary is launched).</summary>
public static class Chromium
{
    public const string Variable = "PLURALIST_CHROMIUM";

    /// <summary>The browser binary: env PLURALIST_CHROMIUM, else /usr/bin/chromium.</summary>
    public static string Path =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static string SkipReason =>
        $"Chromium not found at {Path}: install Debian's chromium (apt-get install chromium) or set {Variable}; the browser tests did not run";

    public static bool Available => File.Exists(Path);

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Path,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
        return (playwright, browser);
    }

    /// <summary>Runs axe on the page and fails on any serious or critical violation, listing them.</summary>
    public static async Task AssertAccessibleAsync(IPage page, string what)
    {
        ArgumentNullException.ThrowIfNull(page);
        var result = await page.RunAxe();
        var bad = result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Impact} {v.Id}: {v.Help} at {string.Join(" | ", v.Nodes.Select(n => n.Html))}")
            .ToList();
        Assert.True(bad.Count == 0, $"axe on {what} ({page.Url}):\n" + string.Join("\n", bad));
    }
}

/// <summary>A fact that needs Chromium; skipped with a reason (printed by the runner) when the binary is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!Chromium.Available)
        {
            Skip = Chromium.SkipReason;
        }
    }
}

/// <summary>A theory that needs Chromium; skipped with a reason (printed by the runner) when the binary is missing.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute()
    {
        if (!Chromium.Available)
        {
            Skip = Chromium.SkipReason;
        }
    }
}
