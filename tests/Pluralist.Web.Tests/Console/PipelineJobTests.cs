using System.Net;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Studies.Accounts;

namespace Pluralist.Web.Tests.Console;

/// <summary>Console image jobs over real HTTP: researchers only, CSRF-protected, and the selected images land in the study's pool.</summary>
public sealed class PipelineJobTests
{
    private const string Password = "correct horse battery staple";
    private const string Page = "/console/studies/livs-default/jobs";

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

    private static Dictionary<string, string> Form(string prompts, string variants = "6", string k = "3") => new()
    {
        ["prompts"] = prompts,
        ["language"] = "en",
        ["variants"] = variants,
        ["k"] = k,
        ["size"] = "32",
        ["seed"] = "1",
        ["embedder"] = "color-layout",
        ["method"] = "greedy",
    };

    [Fact]
    public async Task Only_researchers_reach_the_page_and_a_post_needs_the_antiforgery_token()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var anonymous = await server.NewClient().GetAsync(Page);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/console/login", anonymous.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var liaison = await StaffAsync(server, "liaison@example.org", Role.Liaison);
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync(Page)).StatusCode);

        var researcher = await StaffAsync(server, "researcher@example.org", Role.Researcher);
        Assert.Equal(HttpStatusCode.OK, (await researcher.GetAsync(Page)).StatusCode);
        // Without the form's token the post is refused and nothing starts.
        using var noToken = await researcher.PostAsync(Page, new FormUrlEncodedContent(Form("A park with trees")));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.DoesNotContain("data-job=", await (await researcher.GetAsync(Page)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_fields_are_named_and_start_nothing()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var researcher = await StaffAsync(server, "researcher@example.org", Role.Researcher);
        var form = Form("", variants: "1", k: "5");
        form["embedder"] = "magic";
        var bad = await ParticipantClient.PostFormAsync(researcher, Page, Page, form);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var text = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        Assert.Contains("prompts: give 1 to 50 prompts", text, StringComparison.Ordinal);
        Assert.Contains("variants: 2 to 40", text, StringComparison.Ordinal);
        Assert.Contains("k: at least 1", text, StringComparison.Ordinal);
        Assert.Contains("embedder: one of", text, StringComparison.Ordinal);
        Assert.DoesNotContain("data-job=", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_renders_selects_and_puts_the_selected_images_into_the_pool_with_progress_shown()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var researcher = await StaffAsync(server, "researcher@example.org", Role.Researcher);
        int before;
        await using (var db = server.Database.CreateContext())
        {
            before = await db.Images.CountAsync();
        }

        var started = await ParticipantClient.PostFormAsync(researcher, Page, Page, Form("A park with benches under trees\nA plaza with a fountain at night"));
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        Assert.Contains("started", Uri.UnescapeDataString(started.Headers.Location!.OriginalString), StringComparison.Ordinal);

        string html = "";
        for (int i = 0; i < 300 && !html.Contains("data-state=\"done\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            html = await (await researcher.GetAsync(Page)).Content.ReadAsStringAsync();
            Assert.DoesNotContain("data-state=\"failed\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("data-state=\"done\"", html, StringComparison.Ordinal);
        Assert.Contains("12 / 12", html, StringComparison.Ordinal);
        Assert.Contains("6 selected images added to the pool", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        // The queue's own view of the job: its kind, state and attempts, whichever instance ran it.
        Assert.Contains("data-kind=\"images\" data-queue-state=\"succeeded\"", html, StringComparison.Ordinal);
        Assert.Contains("1 of 3", html, StringComparison.Ordinal);

        await using (var db = server.Database.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
            var added = await db.Images.Where(i => i.StudyId == study.Id && i.Generator == "pluralist-world/1" && i.ExternalId != null && i.ExternalId.Contains("/images/")).ToListAsync();
            Assert.Equal(6, added.Count);
            Assert.Equal(before + 6, await db.Images.CountAsync());
            Assert.All(added, i => Assert.True(File.Exists(Path.Combine(server.DataRoot, "images", i.StoragePath))));
            Assert.Equal(2, added.Select(i => i.PromptId).Distinct().Count());
            Assert.Contains(await db.Prompts.Where(p => p.StudyId == study.Id).Select(p => p.Text).ToListAsync(), t => t == "A plaza with a fountain at night");
            Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "pipeline.job" && a.StudyId == study.Id));
        }

        // The other renders stay in the job folder for quality checks.
        var jobs = Directory.GetDirectories(Path.Combine(server.DataRoot, "jobs"));
        Assert.Single(jobs);
        Assert.Equal(12, Directory.GetFiles(Path.Combine(jobs[0], "images-run", "images"), "*.png", SearchOption.AllDirectories).Length);
    }
}
