using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Studies.Console.Jobs;
using Pluralist.Studies.Jobs;
using Pluralist.Studies.Reports;
using Pluralist.Testing;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Console;

/// <summary>
/// The Cancel button of the console's job lists over real HTTP (issue 24): a researcher cancels a queued job before it
/// starts and a running one, which stops at its next heartbeat; liaisons, posts without the antiforgery token and
/// another study's pages are refused and change nothing.
/// </summary>
public sealed class JobCancelTests
{
    private const string Reports = "/console/studies/livs-default/reports";
    private const string Jobs = "/console/studies/livs-default/jobs";

    [Fact]
    public Task On_sqlite_a_queued_report_is_cancelled_by_a_researcher_and_refused_to_others() => QueuedAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task On_postgres_a_queued_report_is_cancelled_by_a_researcher_and_refused_to_others() => QueuedAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task On_sqlite_a_running_image_job_stops_at_its_next_heartbeat_and_shows_cancelled() => RunningAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task On_postgres_a_running_image_job_stops_at_its_next_heartbeat_and_shows_cancelled() => RunningAsync(DatabaseProvider.Postgres);

    private static async Task QueuedAsync(DatabaseProvider provider)
    {
        // No worker on this instance: the report stays queued until someone cancels it.
        await using var server = await AppServer.StartAsync(provider, codes: 1, settings: new Dictionary<string, string?> { ["Pluralist:Jobs:Enabled"] = "false" });
        var researcher = await Staff.SignInAsync(server, "researcher@example.org", Role.Researcher);
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(researcher, Reports, Reports, [])).StatusCode);
        var queue = server.Services.GetRequiredService<JobQueue>();
        var job = Assert.Single(await queue.ListAsync(ReportJobs.JobKind, null));
        Assert.Equal(JobState.Queued, job.State);
        Assert.Contains($"aria-label=\"Cancel report {job.Id}\"", await researcher.GetStringAsync(Reports), StringComparison.Ordinal);
        Assert.Contains($"aria-label=\"Cancel job {job.Id}\"", await researcher.GetStringAsync(Jobs), StringComparison.Ordinal);

        // A liaison sees no button, and a post with a valid token is refused.
        Assert.DoesNotContain("Cancel report", await liaison.GetStringAsync(Reports), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await ParticipantClient.PostFormAsync(liaison, Reports, Reports + "?handler=Cancel", new() { ["job"] = job.Id })).StatusCode);

        // Without the page's antiforgery token nothing is cancelled.
        using (var noToken = await researcher.PostAsync(Reports + "?handler=Cancel", new FormUrlEncodedContent(new Dictionary<string, string> { ["job"] = job.Id })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        }

        // Through another study's pages the job does not exist, nor does an unknown id.
        await AddStudyAsync(server, "other-study");
        foreach (var page in new[] { "/console/studies/other-study/reports", "/console/studies/other-study/jobs" })
        {
            var elsewhere = await ParticipantClient.PostFormAsync(researcher, page, page + "?handler=Cancel", new() { ["job"] = job.Id });
            Assert.True(elsewhere.StatusCode == HttpStatusCode.NotFound, $"{page}: {(int)elsewhere.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await ParticipantClient.PostFormAsync(researcher, Reports, Reports + "?handler=Cancel", new() { ["job"] = "20250101-000000-abcdef" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ParticipantClient.PostFormAsync(researcher, Reports, "/console/studies/no-such-study/reports?handler=Cancel", new() { ["job"] = job.Id })).StatusCode);
        Assert.Equal(JobState.Queued, (await queue.FindAsync(job.Id))!.State);

        // The researcher's button: cancelled at once, shown as cancelled with who did it, audited.
        var cancelled = await CancelFromPageAsync(researcher, Reports, job.Id);
        Assert.Equal(HttpStatusCode.Redirect, cancelled.StatusCode);
        Assert.Contains($"Job {job.Id} cancelled.", Uri.UnescapeDataString(cancelled.Headers.Location!.OriginalString), StringComparison.Ordinal);
        var row = (await queue.FindAsync(job.Id))!;
        Assert.Equal((JobState.Cancelled, 0), (row.State, row.Attempts));
        Assert.StartsWith("by researcher S-", row.Error, StringComparison.Ordinal);
        Assert.NotNull(row.FinishedAt);
        var page2 = WebUtility.HtmlDecode(await researcher.GetStringAsync(Reports));
        Assert.Contains($"data-report-job=\"{job.Id}\" data-state=\"cancelled\"", page2, StringComparison.Ordinal);
        Assert.Contains("Cancelled: by researcher S-", page2, StringComparison.Ordinal);
        Assert.DoesNotContain("Cancel report", page2, StringComparison.Ordinal);
        Assert.Contains($"data-queue-job=\"{job.Id}\" data-kind=\"report\" data-queue-state=\"cancelled\"", await researcher.GetStringAsync(Jobs), StringComparison.Ordinal);

        // Cancelling it again changes nothing and says why.
        var again = await ParticipantClient.PostFormAsync(researcher, Reports, Reports + "?handler=Cancel", new() { ["job"] = job.Id });
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Contains("had already ended (cancelled): nothing was cancelled", Uri.UnescapeDataString(again.Headers.Location!.OriginalString), StringComparison.Ordinal);

        // The study's one-report-at-a-time key is free again.
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(researcher, Reports, Reports, [])).StatusCode);
        await using var db = server.Database.CreateContext();
        var audit = await db.AuditEntries.Where(a => a.Action == "job.cancel").ToListAsync();
        Assert.Single(audit);
        Assert.Contains(job.Id, audit[0].Details, StringComparison.Ordinal);
    }

    private static async Task RunningAsync(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 1, settings: new Dictionary<string, string?> { ["Pluralist:Jobs:ProgressInterval"] = "00:00:00.100" });
        var ended = new ConcurrentQueue<(string Id, JobState State)>();
        server.Services.GetRequiredService<JobWorker>().Finished += (job, state, _) => ended.Enqueue((job.Id, state));
        var researcher = await Staff.SignInAsync(server, "researcher@example.org", Role.Researcher);
        int poolBefore;
        await using (var db = server.Database.CreateContext())
        {
            poolBefore = await db.Images.CountAsync();
        }

        // 30 prompts × 40 variants at 512 pixels: far longer than it takes to cancel.
        var prompts = string.Join('\n', Enumerable.Range(1, 30).Select(i => $"A park with {i} benches under trees"));
        var started = await ParticipantClient.PostFormAsync(researcher, Jobs, Jobs, new()
        {
            ["prompts"] = prompts,
            ["language"] = "en",
            ["variants"] = "40",
            ["k"] = "2",
            ["size"] = "512",
            ["seed"] = "1",
            ["embedder"] = "color-layout",
            ["method"] = "greedy",
        });
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        var queue = server.Services.GetRequiredService<JobQueue>();
        var job = Assert.Single(await queue.ListAsync(PipelineJobs.JobKind, null));
        await WaitAsync(async () => await queue.FindAsync(job.Id) is { State: JobState.Running } r && Done(r) > 0, "the job to run and report progress");
        Assert.Contains($"data-queue-job=\"{job.Id}\" data-kind=\"images\" data-queue-state=\"running\"", await researcher.GetStringAsync(Jobs), StringComparison.Ordinal);

        var cancelled = await CancelFromPageAsync(researcher, Jobs, job.Id);
        Assert.Equal(HttpStatusCode.Redirect, cancelled.StatusCode);
        Assert.Equal(JobState.Cancelled, (await queue.FindAsync(job.Id))!.State);

        // The worker sees it at its next heartbeat and ends the attempt as cancelled.
        await WaitAsync(() => Task.FromResult(ended.Any(e => e.Id == job.Id)), "the worker to stop the attempt");
        Assert.Equal([(job.Id, JobState.Cancelled)], ended.ToArray());
        var row = (await queue.FindAsync(job.Id))!;
        Assert.Equal(JobState.Cancelled, row.State);
        var done = Done(row);
        Assert.InRange(done, 1, 30 * 40 - 1);

        // Nothing renders any more, and nothing reached the pool.
        var images = Path.Combine(server.DataRoot, "jobs", job.Id, "images-run", "images");
        var files = Directory.Exists(images) ? Directory.GetFiles(images, "*.png", SearchOption.AllDirectories).Length : 0;
        await Task.Delay(1000);
        Assert.Equal(files, Directory.Exists(images) ? Directory.GetFiles(images, "*.png", SearchOption.AllDirectories).Length : 0);
        Assert.True(files < 30 * 40, $"{files} images rendered");
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(poolBefore, await db.Images.CountAsync());
        }

        var page = WebUtility.HtmlDecode(await researcher.GetStringAsync(Jobs));
        Assert.Contains($"data-job=\"{job.Id}\" data-state=\"cancelled\"", page, StringComparison.Ordinal);
        Assert.Contains($"data-queue-job=\"{job.Id}\" data-kind=\"images\" data-queue-state=\"cancelled\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain($"Cancel job {job.Id}", page, StringComparison.Ordinal);

        // The worker is free: the next job runs to the end.
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(researcher, Jobs, Jobs, new()
        {
            ["prompts"] = "A plaza with a fountain",
            ["language"] = "en",
            ["variants"] = "4",
            ["k"] = "2",
            ["size"] = "32",
            ["seed"] = "1",
            ["embedder"] = "color-layout",
            ["method"] = "greedy",
        })).StatusCode);
        await WaitAsync(async () => (await queue.ListAsync(PipelineJobs.JobKind, null)).Any(j => j.State == JobState.Succeeded), "the next job to succeed");
    }

    private static int Done(Job job) =>
        job.ProgressDetail is null ? 0 : JsonDocument.Parse(job.ProgressDetail).RootElement.GetProperty("done").GetInt32();

    /// <summary>Posts the Cancel form that the page shows for the job (its action and the page's antiforgery token).</summary>
    private static async Task<HttpResponseMessage> CancelFromPageAsync(HttpClient client, string page, string jobId)
    {
        var doc = new HtmlParser().ParseDocument(await client.GetStringAsync(page));
        var form = doc.QuerySelectorAll("form").SingleOrDefault(f => f.QuerySelector($"input[name=job][value=\"{jobId}\"]") is not null)
            ?? throw new InvalidOperationException($"{page} shows no Cancel form for job {jobId}");
        var fields = form.QuerySelectorAll("input[name]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value") ?? "");
        Assert.Equal("post", form.GetAttribute("method"), StringComparer.OrdinalIgnoreCase);
        return await client.PostAsync(form.GetAttribute("action"), new FormUrlEncodedContent(fields));
    }

    private static async Task AddStudyAsync(AppServer server, string key)
    {
        await using var db = server.Database.CreateContext();
        db.Studies.Add(new Study
        {
            Key = key,
            Title = LocalizedText.Of("Another study", "Une autre étude"),
            Criteria = [new Criterion { Key = "calm", Name = LocalizedText.Of("Calm", "Calme"), Definition = LocalizedText.Of("?", "?") }],
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    private static async Task WaitAsync(Func<Task<bool>> done, string what)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"timed out waiting for {what}");
    }
}
