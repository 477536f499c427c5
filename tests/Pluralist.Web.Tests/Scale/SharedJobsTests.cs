using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Studies.Reports;
using Pluralist.Testing;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// Issue 24 over HTTP with two app instances on one PostgreSQL database and one data volume: instance A runs no jobs
/// (<c>Pluralist:Jobs:Enabled=false</c>) and queues a study report from its Reports page, instance B's worker runs it,
/// and A's Reports page shows it done, with the report and its files.
/// </summary>
public sealed class SharedJobsTests
{
    private const string Page = "/console/studies/livs-default/reports";

    [PostgresFact]
    public async Task A_report_queued_on_an_instance_without_a_worker_is_run_by_another_and_shown_by_the_first()
    {
        var fast = new Dictionary<string, string?>
        {
            ["Pluralist:Reports:Permutations"] = "50",
            ["Pluralist:Reports:Bootstrap"] = "50",
        };
        var noWorker = new Dictionary<string, string?>(fast) { ["Pluralist:Jobs:Enabled"] = "false", ["Pluralist:Jobs:InstanceId"] = "instance-a" };
        await using var a = await AppServer.StartAsync(DatabaseProvider.Postgres, codes: 3, configure: s => (s.AttentionCheckRate, s.GoldRate) = (0, 0), settings: noWorker);
        foreach (var i in Enumerable.Range(0, 3))
        {
            await Staff.AnswerAsync(await Staff.JoinAsync(a, "woman"), 3, $"p{i}");
        }

        var researcher = await Staff.SignInAsync(a, "researcher@example.org", Role.Researcher);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(researcher, Page, Page, [])).StatusCode);
        var queue = a.Services.GetRequiredService<JobQueue>();
        var job = Assert.Single(await queue.ListAsync(ReportJobs.JobKind, null));

        // A alone never runs it.
        await Task.Delay(2000);
        var waiting = (await queue.FindAsync(job.Id))!;
        Assert.Equal((JobState.Queued, 0, (string?)null), (waiting.State, waiting.Attempts, waiting.ClaimedBy));
        Assert.Contains($"data-report-job=\"{job.Id}\" data-state=\"queued\"", await researcher.GetStringAsync(Page), StringComparison.Ordinal);

        await using var b = await a.StartAnotherAsync(settings: new Dictionary<string, string?>(fast) { ["Pluralist:Jobs:InstanceId"] = "instance-b" }, shareData: true);
        var html = "";
        for (var i = 0; i < 600 && !html.Contains($"data-report-job=\"{job.Id}\" data-state=\"done\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            html = await researcher.GetStringAsync(Page);
            Assert.DoesNotContain("data-state=\"failed\"", html, StringComparison.Ordinal);
        }

        Assert.Contains($"data-report-job=\"{job.Id}\" data-state=\"done\"", html, StringComparison.Ordinal);
        var done = (await queue.FindAsync(job.Id))!;
        Assert.Equal((JobState.Succeeded, 1, "instance-b"), (done.State, done.Attempts, done.ClaimedBy));
        // A shows the report B built and serves its files.
        Assert.Contains("data-table=\"answers_per_group\"", html, StringComparison.Ordinal);
        var json = await researcher.GetAsync($"{Page}/{job.Id}/report.json");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Contains("answers_per_group", await json.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
