using Microsoft.Playwright;
using Pluralist.Core.Model;
using Pluralist.Studies.Accounts;
using Pluralist.Web.Tests;

namespace Pluralist.Browser.Tests;

/// <summary>A staff account and its sign-in on <c>/console/login</c>, shared by the console journeys.</summary>
public static class ConsoleSignIn
{
    public const string Password = "a long console password";

    /// <summary>Makes (or resets) a staff account with <see cref="Password"/>.</summary>
    public static async Task AddStaffAsync(AppServer server, string email = "lead@example.org", Role role = Role.Researcher)
    {
        ArgumentNullException.ThrowIfNull(server);
        await using var db = server.Database.CreateContext();
        await StaffAccounts.SetAsync(db, email, role, Password);
    }

    /// <summary>Opens the sign-in page and signs in; ends on the studies list.</summary>
    public static async Task SignInAsync(IPage page, string email = "lead@example.org")
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/console/login");
        await SubmitAsync(page, email);
    }

    /// <summary>Fills and sends the sign-in form already shown; ends on the studies list.</summary>
    public static async Task SubmitAsync(IPage page, string email = "lead@example.org")
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Studies");
    }
}
