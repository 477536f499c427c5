using System.Net;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Demo;
using Pluralist.World.Simulation;

namespace Pluralist.Web.Tests.Console;

/// <summary>The console's synthetic raters page over real HTTP: researchers only, CSRF-protected; an offline rater job runs with its progress shown, and its run is compared with the people.</summary>
public sealed class RaterJobTests
{
    private const string Password = "correct horse battery staple";
    private const string Page = "/console/studies/livs-default/raters";

    private static async Task<HttpClient> StaffAsync(AppServer server, string email, Role role)
    {
        await using (var db = server.Database.CreateContext())
        {
            await StaffAccounts.SetAsync(db, email, role, Password);
        }

        var client = server.NewClient();
        var login = await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = email, ["password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    /// <summary>Simulated careful participants with consented markers, every pair open to all of them.</summary>
    internal static async Task SimulateAsync(AppServer server, int participants, int answers)
    {
        await using var db = server.Database.CreateContext();
        await db.Batches.ExecuteUpdateAsync(s => s.SetProperty(b => b.Overlap, 1000));
        await DemoSeeder.SimulateAsync(db, new DataDirectory(server.DataRoot), "livs-default", participants, answers, BehaviourMix.Parse("careful=1"), 4, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Only_researchers_reach_the_page_bad_fields_are_named_and_a_post_needs_the_antiforgery_token()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var anonymous = await server.NewClient().GetAsync(Page);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/console/login", anonymous.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var liaison = await StaffAsync(server, "liaison@example.org", Role.Liaison);
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync(Page)).StatusCode);

        var researcher = await StaffAsync(server, "researcher@example.org", Role.Researcher);
        var page = await researcher.GetAsync(Page);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("No synthetic runs yet.", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var noToken = await researcher.PostAsync(Page, new FormUrlEncodedContent(new Dictionary<string, string> { ["personas"] = "from-study" }));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);

        var bad = await ParticipantClient.PostFormAsync(researcher, Page, Page, new() { ["personas"] = "everyone", ["items"] = "0" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var text = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        Assert.Contains("personas: from-study or grid.", text, StringComparison.Ordinal);
        Assert.Contains("items: 1 to 10000", text, StringComparison.Ordinal);
        Assert.DoesNotContain("data-job=", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await researcher.GetAsync(Page + "?run=nope")).StatusCode);
    }

    [Fact]
    public async Task An_offline_rater_job_shows_progress_then_its_run_is_compared_with_the_people()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        await SimulateAsync(server, 40, 12);
        var researcher = await StaffAsync(server, "researcher@example.org", Role.Researcher);
        var started = await ParticipantClient.PostFormAsync(researcher, Page, Page, new() { ["personas"] = "from-study", ["items"] = "6" });
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);

        string html = "";
        for (int i = 0; i < 600 && !html.Contains("data-state=\"done\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            html = await (await researcher.GetAsync(Page)).Content.ReadAsStringAsync();
            Assert.DoesNotContain("data-state=\"failed\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("data-state=\"done\"", html, StringComparison.Ordinal);
        Assert.Contains("data-run=\"offline-persona-from-study-pairwise\"", html, StringComparison.Ordinal);
        int planned;
        await using (var db = server.Database.CreateContext())
        {
            planned = await db.SyntheticAnswers.CountAsync();
            Assert.Equal(6, await db.SyntheticAnswers.Select(a => a.PairId).Distinct().CountAsync());
            Assert.Contains(await db.AuditEntries.Select(a => a.Action).ToListAsync(), a => a == "raters.job");
        }

        Assert.Contains($"{planned} / {planned}", html, StringComparison.Ordinal);

        var compared = await researcher.GetAsync(Page + "?run=offline-persona-from-study-pairwise");
        Assert.Equal(HttpStatusCode.OK, compared.StatusCode);
        var view = WebUtility.HtmlDecode(await compared.Content.ReadAsStringAsync());
        Assert.Contains("Run offline-persona-from-study-pairwise compared with the people", view, StringComparison.Ordinal);
        Assert.Contains("data-group=\"everyone\"", view, StringComparison.Ordinal);
        Assert.Contains("GAI of the personas", view, StringComparison.Ordinal);
    }
}
