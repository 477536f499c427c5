using System.Net;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Console;

/// <summary>
/// The console's Reports page over real HTTP: the study report runs as a background job (CSRF-protected, one at a time
/// per study), researchers see and download every table, liaisons never get the per-participant ones, participants
/// and visitors nothing, and groups below the minimum size are suppressed as in <c>pluralist analyze study</c>.
/// </summary>
public sealed class ReportsPageTests
{
    private const string Page = "/console/studies/livs-default/reports";

    private static readonly Dictionary<string, string?> FastReports = new()
    {
        ["Pluralist:Reports:Permutations"] = "50",
        ["Pluralist:Reports:Bootstrap"] = "50",
    };

    private static void NoChecks(Study s)
    {
        s.AttentionCheckRate = 0;
        s.GoldRate = 0;
    }

    [Fact]
    public async Task Researchers_get_every_table_liaisons_no_per_participant_one_and_small_groups_are_never_named()
    {
        await using var server = await AppServer.StartAsync(codes: 8, configure: NoChecks, settings: FastReports);
        await Staff.FixedPairsAsync(server, 2);
        // Five women and two men: with the default minimum of 5, the men's group must never be shown.
        string[] genders = ["woman", "woman", "woman", "woman", "woman", "man", "man"];
        var participants = new List<ParticipantClient>();
        foreach (var (gender, i) in genders.Select((g, i) => (g, i)))
        {
            var p = await Staff.JoinAsync(server, gender);
            await Staff.AnswerAsync(p, 2, $"p{i}");
            participants.Add(p);
        }

        List<string> pseudonyms;
        await using (var db = server.Database.CreateContext())
        {
            pseudonyms = await db.Participants.Where(p => p.Role == Role.Participant).Select(p => p.Pseudonym).ToListAsync();
        }

        var researcher = await Staff.SignInAsync(server, "researcher@example.org", Role.Researcher);
        var liaison = await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison);

        // The POST needs the page's antiforgery token; without it nothing starts.
        using (var noToken = await researcher.PostAsync(Page, new FormUrlEncodedContent(new Dictionary<string, string>())))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        }

        Assert.DoesNotContain("data-report-job=", await researcher.GetStringAsync(Page), StringComparison.Ordinal);

        var started = await ParticipantClient.PostFormAsync(researcher, Page, Page, []);
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        var job = await WaitAsync(researcher);

        // Researchers: the per-participant table on the page and as CSV, with the pseudonyms.
        var full = await researcher.GetStringAsync(Page);
        Assert.Contains("data-table=\"answers_per_participant\"", full, StringComparison.Ordinal);
        Assert.Contains("data-table=\"answers_per_group\"", full, StringComparison.Ordinal);
        Assert.Contains(pseudonyms, full.Contains);
        var perParticipant = await researcher.GetAsync(File(job, "tables/answers_per_participant.csv"));
        Assert.True(perParticipant.StatusCode == HttpStatusCode.OK, await perParticipant.Content.ReadAsStringAsync());
        Assert.Equal("text/csv", perParticipant.Content.Headers.ContentType!.MediaType);
        var csv = await perParticipant.Content.ReadAsStringAsync();
        Assert.All(pseudonyms, p => Assert.Contains(p, csv, StringComparison.Ordinal));
        Assert.Contains(pseudonyms, (await researcher.GetStringAsync(File(job, "report.json"))).Contains);

        // The group table: the women shown, the two men (below the minimum) nowhere; the note counts them.
        var groups = Cells(await researcher.GetStringAsync(File(job, "tables/answers_per_group.csv")));
        Assert.Contains("woman", groups);
        Assert.DoesNotContain("man", groups);
        Assert.Contains("identity group(s) or intersection(s) with fewer than 5 participants are not shown", WebUtility.HtmlDecode(full), StringComparison.Ordinal);

        // Liaisons: the same report without any per-participant table or chart, and no pseudonym in any of it.
        var shared = await liaison.GetStringAsync(Page);
        Assert.Contains("data-table=\"answers_per_group\"", shared, StringComparison.Ordinal);
        Assert.DoesNotContain("data-table=\"answers_per_participant\"", shared, StringComparison.Ordinal);
        Assert.DoesNotContain("chart-answers-per-participant", shared, StringComparison.Ordinal);
        Assert.Contains("shown to researchers only", shared, StringComparison.Ordinal);
        foreach (var file in new[] { "report.json", "report.html", "tables/answers_per_group.csv", "tables/answers_per_criterion.csv" })
        {
            var response = await liaison.GetAsync(File(job, file));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(pseudonyms, text.Contains);
        }

        Assert.DoesNotContain(pseudonyms, shared.Contains);
        var refused = await liaison.GetAsync(File(job, "tables/answers_per_participant.csv"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain(pseudonyms, (await refused.Content.ReadAsStringAsync()).Contains);
        Assert.Equal(HttpStatusCode.Forbidden, (await liaison.GetAsync(File(job, "tables/answers_per_participant.json"))).StatusCode);

        // Participants and visitors: nothing, page or file.
        Assert.Equal(HttpStatusCode.Forbidden, (await participants[0].Http.GetAsync(Page)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await participants[0].Http.GetAsync(File(job, "tables/answers_per_group.csv"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await participants[0].Http.GetAsync(File(job, "report.json"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.NewClient().GetAsync(File(job, "report.json"))).StatusCode);

        // Unknown runs and files, and paths out of the folder, are 404.
        Assert.Equal(HttpStatusCode.NotFound, (await researcher.GetAsync(File("20250101-000000-abcdef", "report.json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await researcher.GetAsync(File(job, "tables/no_such_table.csv"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await researcher.GetAsync(File(job, "tables/..%2F..%2Fpluralist.db"))).StatusCode);

        // The run is in the audit log.
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "report.run"));
        }
    }

    [Fact]
    public async Task A_second_start_while_a_report_waits_to_run_is_refused_with_a_clear_message()
    {
        // No job worker on this instance: the first report stays queued, so the second start always finds it (a worker could
        // finish the report, on a quiet machine, before the second request arrives).
        var settings = new Dictionary<string, string?>(FastReports) { ["Pluralist:Jobs:Enabled"] = "false" };
        await using var server = await AppServer.StartAsync(codes: 3, configure: NoChecks, settings: settings);
        var (researcher, liaison) = await AnsweredAndSignedInAsync(server);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(researcher, Page, Page, [])).StatusCode);
        // By someone else, while the first waits to run.
        var second = await ParticipantClient.PostFormAsync(liaison, Page, Page, []);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var text = WebUtility.HtmlDecode(await second.Content.ReadAsStringAsync());
        Assert.Contains("A report of this study is already waiting to run", text, StringComparison.Ordinal);
        Assert.Contains("Wait until it has finished", text, StringComparison.Ordinal);
        var page = await liaison.GetStringAsync(Page);
        Assert.Equal(1, page.Split("data-state=\"queued\"").Length - 1);
    }

    [Fact]
    public async Task Once_a_report_has_finished_a_liaison_may_run_it_again()
    {
        await using var server = await AppServer.StartAsync(codes: 3, configure: NoChecks, settings: FastReports);
        var (researcher, liaison) = await AnsweredAndSignedInAsync(server);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(researcher, Page, Page, [])).StatusCode);
        await WaitAsync(researcher);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(liaison, Page, Page, [])).StatusCode);
        await WaitAsync(liaison);
        var page = await liaison.GetStringAsync(Page);
        Assert.Equal(2, page.Split("data-state=\"done\"").Length - 1);
    }

    // Three participants who each answered three pairs, then a researcher and a liaison signed in.
    private static async Task<(HttpClient Researcher, HttpClient Liaison)> AnsweredAndSignedInAsync(AppServer server)
    {
        foreach (var i in Enumerable.Range(0, 3))
        {
            await Staff.AnswerAsync(await Staff.JoinAsync(server, "woman"), 3, $"p{i}");
        }

        return (await Staff.SignInAsync(server, "researcher@example.org", Role.Researcher), await Staff.SignInAsync(server, "liaison@example.org", Role.Liaison));
    }

    private static string File(string job, string file) => $"{Page}/{job}/{file}";

    // The newest run's id once every run is done (the page reloads itself meanwhile; here we poll).
    private static async Task<string> WaitAsync(HttpClient client)
    {
        var html = "";
        static bool Finished(string page) => page.Contains("data-state=\"done\"", StringComparison.Ordinal)
            && !page.Contains("data-state=\"queued\"", StringComparison.Ordinal) && !page.Contains("data-state=\"running\"", StringComparison.Ordinal);
        for (var i = 0; i < 600 && !Finished(html); i++)
        {
            await Task.Delay(100);
            html = await client.GetStringAsync(Page);
            Assert.DoesNotContain("data-state=\"failed\"", html, StringComparison.Ordinal);
        }

        var marker = "data-report-job=\"";
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0 && Finished(html), "the report did not finish within a minute");
        return html[(at + marker.Length)..html.IndexOf('"', at + marker.Length)];
    }

    private static HashSet<string> Cells(string csv) =>
        csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).SelectMany(l => l.Split(',')).Select(c => c.Trim('"')).ToHashSet(StringComparer.Ordinal);
}
