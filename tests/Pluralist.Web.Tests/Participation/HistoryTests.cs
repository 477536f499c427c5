using System.Globalization;
using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;

namespace Pluralist.Web.Tests.Participation;

/// <summary>Changing an answer from the history page.</summary>
public sealed class HistoryTests
{
    [Fact]
    public async Task An_answer_reopens_with_its_stored_values_and_a_new_answer_replaces_it()
    {
        await using var server = await AppServer.StartAsync(codes: 2);
        var p = await server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "first", -0.5, null, 1.0))).StatusCode);

        var history = new HtmlParser().ParseDocument(await p.Http.GetStringAsync("/history"));
        var link = history.QuerySelector("a.change")!;
        Assert.Equal($"/task?change={task.AssignmentId}", link.GetAttribute("href"));
        Assert.StartsWith("Change this answer (given ", link.TextContent, StringComparison.Ordinal);

        var page = new HtmlParser().ParseDocument(await p.Http.GetStringAsync(link.GetAttribute("href")));
        Assert.Equal(task.AssignmentId.ToString(CultureInfo.InvariantCulture), page.QuerySelector("form#answer")!.GetAttribute("data-assignment"));
        var sliders = page.QuerySelectorAll("input[type=range]").ToList();
        Assert.Equal(task.Criteria, sliders.Select(s => s.GetAttribute("data-key")));
        Assert.Equal(["-0.5", "0", "1"], sliders.Select(s => s.GetAttribute("value")));
        Assert.Equal(["true", "false", "true"], sliders.Select(s => s.GetAttribute("data-touched")));
        Assert.Null(page.QuerySelector("#report"));

        var token = page.QuerySelector("form#answer")!.GetAttribute("data-token")!;
        var change = await p.SubmitAsync(task.AssignmentId, token, ParticipantClient.Answer(task, "second", 0.25, 0.0, null));
        Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        using (var doc = JsonDocument.Parse(await change.Content.ReadAsStringAsync()))
        {
            Assert.Equal("/history", doc.RootElement.GetProperty("next").GetString());
            Assert.True(doc.RootElement.GetProperty("changed").GetBoolean());
        }

        await using var db = server.Database.CreateContext();
        var stored = await db.Annotations.Include(a => a.Scores).SingleAsync();
        Assert.Equal([0.25, 0.0, null], stored.Scores.OrderBy(s => s.Position).Select(s => s.Score));
        Assert.Equal("first", stored.ClientRequestId);
    }

    [Fact]
    public async Task Answers_in_a_closed_batch_and_other_participants_answers_cannot_be_reopened()
    {
        await using var server = await AppServer.StartAsync(codes: 2);
        var alice = await server.JoinAsync();
        var bob = await server.JoinAsync();
        var task = (await alice.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await alice.SubmitAsync(task, ParticipantClient.Answer(task, "a", 1.0))).StatusCode);

        var stolen = await bob.Http.GetAsync($"/task?change={task.AssignmentId}");
        Assert.Equal(HttpStatusCode.Redirect, stolen.StatusCode);
        Assert.Equal("/history", stolen.Headers.Location?.OriginalString);
        var unanswered = (await bob.NextTaskAsync())!;
        var notYet = await bob.Http.GetAsync($"/task?change={unanswered.AssignmentId}");
        Assert.Equal("/history", notYet.Headers.Location?.OriginalString);

        await using (var db = server.Database.CreateContext())
        {
            await db.Batches.ExecuteUpdateAsync(s => s.SetProperty(b => b.ClosesAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }

        var history = new HtmlParser().ParseDocument(await alice.Http.GetStringAsync("/history"));
        Assert.Single(history.QuerySelectorAll("#comparisons tbody tr"));
        Assert.Null(history.QuerySelector("a.change"));
        var closed = await alice.Http.GetAsync($"/task?change={task.AssignmentId}");
        Assert.Equal("/history", closed.Headers.Location?.OriginalString);
    }
}
