using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Model;
using Pluralist.Data.Jobs;
using Pluralist.Studies.Reports;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Console;

/// <summary>
/// Reports that the console built before its jobs moved into the database queue (a folder under
/// <c>DATA/reports/KEY/console-ID</c>, no <c>jobs</c> row, no report model) are listed on the Reports page as earlier
/// reports and downloaded as before, each role getting its own folder.
/// </summary>
public sealed class EarlierReportsTests
{
    private const string Page = "/console/studies/livs-default/reports";

    [Fact]
    public async Task Reports_built_before_the_queue_are_listed_and_downloaded_as_before()
    {
        await using var server = await AppServer.StartAsync(codes: 1, settings: new Dictionary<string, string?> { ["Pluralist:Jobs:Enabled"] = "false" });
        var reports = Path.Combine(server.DataRoot, "reports", "livs-default");
        // The layout the in-memory console jobs wrote: full/ and shared/, each with report.html, report.json and the tables.
        var older = "20250301-101500-abc123";
        var newer = "20250402-090000-def456";
        Old(reports, older, "March");
        Old(reports, newer, "April");
        // Not earlier reports: a folder that is not a job id, one with no report, one whose id the queue holds, one with a report model.
        Old(reports, "not-a-job", "junk");
        Directory.CreateDirectory(Path.Combine(reports, "console-20250101-000000-000000"));
        var queue = server.Services.GetRequiredService<JobQueue>();
        var queued = (await queue.EnqueueAsync("test", null, null, "{}", 1))!;
        Old(reports, queued.Id, "queued");
        Old(reports, "20250501-000000-aaaaaa", "modelled");
        File.WriteAllText(Path.Combine(reports, "console-20250501-000000-aaaaaa", ReportJobs.ModelFile), "{}");

        var researcher = await Staff.SignInAsync(server, "researcher@example.org", Role.Researcher);
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);
        var page = await researcher.GetStringAsync(Page);
        Assert.Contains("Earlier reports", page, StringComparison.Ordinal);
        var listed = page.Split("data-earlier-report=\"").Skip(1).Select(x => x[..x.IndexOf('"', StringComparison.Ordinal)]).ToList();
        Assert.Equal([newer, older], listed);
        Assert.Contains($"{Page}/{older}/report.html", page, StringComparison.Ordinal);
        Assert.Contains("2025-03-01 10:15 UTC", page, StringComparison.Ordinal);
        Assert.Contains("data-earlier-report", await liaison.GetStringAsync(Page), StringComparison.Ordinal);

        // Researchers get the full folder, liaisons the shared one, and never a per-participant table.
        var html = await researcher.GetAsync($"{Page}/{older}/report.html");
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("<html>full March</html>", await html.Content.ReadAsStringAsync());
        Assert.Equal("{\"title\":\"full March\"}", await researcher.GetStringAsync($"{Page}/{older}/report.json"));
        Assert.Equal("{\"title\":\"shared March\"}", await liaison.GetStringAsync($"{Page}/{older}/report.json"));
        Assert.Equal("pseudonym\nP-1\n", await researcher.GetStringAsync($"{Page}/{newer}/tables/answers_per_participant.csv"));
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync($"{Page}/{newer}/tables/answers_per_participant.csv")).StatusCode);

        // Folders that are not earlier reports are not served through this route.
        foreach (var id in new[] { "20250101-000000-000000", queued.Id, "20250501-000000-aaaaaa", "..%2Fconsole-" + older })
        {
            var response = await researcher.GetAsync($"{Page}/{id}/report.json");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{id}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Without_earlier_reports_the_page_has_no_such_section()
    {
        await using var server = await AppServer.StartAsync(codes: 1, settings: new Dictionary<string, string?> { ["Pluralist:Jobs:Enabled"] = "false" });
        var researcher = await Staff.SignInAsync(server, "researcher@example.org", Role.Researcher);
        Assert.DoesNotContain("Earlier reports", await researcher.GetStringAsync(Page), StringComparison.Ordinal);
    }

    private static void Old(string reports, string id, string label)
    {
        var folder = Path.Combine(reports, "console-" + id);
        foreach (var audience in new[] { ReportJobs.Full, ReportJobs.Shared })
        {
            var dir = Path.Combine(folder, audience);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "report.html"), $"<html>{audience} {label}</html>");
            File.WriteAllText(Path.Combine(dir, "report.json"), $"{{\"title\":\"{audience} {label}\"}}");
            File.WriteAllText(Path.Combine(dir, "answers_per_group.csv"), "group\nwoman\n");
        }

        File.WriteAllText(Path.Combine(folder, ReportJobs.Full, "answers_per_participant.csv"), "pseudonym\nP-1\n");
    }
}
