using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Pluralist.Web.Tests.Participation;

public sealed class WorkloadTests
{
    [Fact]
    public async Task Criteria_are_shown_equally_often_and_sides_are_drawn_at_random()
    {
        const int participants = 100, perParticipant = 60; // 6,000 assignments over HTTP
        await using var server = await AppServer.StartAsync(codes: participants, imagesPerPrompt: 6, configure: s => s.SessionCap = 1000);
        await using (var setup = server.Database.CreateContext())
        {
            // Every participant may get every pair (90 pairs, overlap K = all of them): this test is about criteria and sides, not overlap.
            await setup.Batches.ExecuteUpdateAsync(b => b.SetProperty(x => x.Overlap, participants));
        }

        var clients = new List<ParticipantClient>();
        for (var i = 0; i < participants; i++)
        {
            clients.Add(await server.JoinAsync());
        }

        await Task.WhenAll(clients.Select(async (p, n) =>
        {
            for (var i = 0; i < perParticipant; i++)
            {
                var task = await p.NextTaskAsync() ?? throw new InvalidOperationException("no task");
                var response = await p.SubmitAsync(task, ParticipantClient.Answer(task, $"{n}-{i}", 0.5));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }));

        await using var db = server.Database.CreateContext();
        var assignments = await db.Assignments.AsNoTracking().ToListAsync();
        Assert.Equal(participants * perParticipant, assignments.Count);
        var shown = assignments.SelectMany(a => a.CriteriaShown).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(6, shown.Count);
        var total = shown.Values.Sum();
        Assert.Equal(assignments.Count * 3, total);
        Assert.All(shown.Values, n => Assert.InRange((double)n / total, (1 / 6.0) - 0.02, (1 / 6.0) + 0.02));
        Assert.All(assignments, a => Assert.Equal(3, a.CriteriaShown.Distinct().Count()));
        // Each criterion appears first about equally often too (random order).
        var first = assignments.GroupBy(a => a.CriteriaShown[0]).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(first.Values, n => Assert.InRange((double)n / assignments.Count, 0.14, 0.19));
        var left = assignments.Count(a => a.Image0OnLeft) / (double)assignments.Count;
        Assert.InRange(left, 0.47, 0.53);
        // No participant got the same pair twice.
        Assert.All(assignments.GroupBy(a => a.ParticipantId), g => Assert.Equal(g.Count(), g.Select(a => a.PairId).Distinct().Count()));
    }

    [Fact]
    public async Task Each_judge_of_an_evaluation_sees_each_criterion_about_equally_often()
    {
        // An evaluation study: every pair is a blind A/B pair; 8 judges answer 20 each at the same time (60 criteria shown per judge).
        const int judges = 8, perJudge = 20;
        await using var server = await AppServer.StartAsync(codes: judges, configure: s => s.SessionCap = 1000);
        await using (var setup = server.Database.CreateContext())
        {
            await setup.Pairs.ExecuteUpdateAsync(p => p.SetProperty(x => x.Kind, Pluralist.Core.Model.PairKind.Evaluation));
            await setup.Batches.ExecuteUpdateAsync(b => b.SetProperty(x => x.Overlap, judges));
        }

        var clients = new List<ParticipantClient>();
        for (var i = 0; i < judges; i++)
        {
            clients.Add(await server.JoinAsync());
        }

        await Task.WhenAll(clients.Select(async (p, n) =>
        {
            for (var i = 0; i < perJudge; i++)
            {
                var task = await p.NextTaskAsync() ?? throw new InvalidOperationException("no task");
                Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, $"{n}-{i}", 0.5))).StatusCode);
            }
        }));

        await using var db = server.Database.CreateContext();
        var evaluation = await db.Pairs.Where(p => p.Kind == Pluralist.Core.Model.PairKind.Evaluation).Select(p => p.Id).ToListAsync();
        var assignments = (await db.Assignments.AsNoTracking().ToListAsync()).Where(a => evaluation.Contains(a.PairId)).ToList();
        Assert.Equal(judges * perJudge, assignments.Count);
        var criteria = (await db.Criteria.Select(c => c.Key).ToListAsync()).Distinct().ToList();
        foreach (var judge in assignments.GroupBy(a => a.ParticipantId))
        {
            var seen = criteria.ToDictionary(c => c, c => judge.Count(a => a.CriteriaShown.Contains(c)));
            // 20 pairs x 3 criteria over 6 criteria: 10 each; least shown to the judge first keeps them within one of each other.
            Assert.True(seen.Values.Max() - seen.Values.Min() <= 1, $"judge {judge.Key}: " + string.Join(", ", seen.Select(kv => $"{kv.Key} {kv.Value}")));
            Assert.Equal(perJudge * 3, seen.Values.Sum());
        }

        // The study as a whole stays balanced too.
        var total = criteria.ToDictionary(c => c, c => assignments.Count(a => a.CriteriaShown.Contains(c)));
        Assert.True(total.Values.Max() - total.Values.Min() <= judges, string.Join(", ", total.Select(kv => $"{kv.Key} {kv.Value}")));
    }

    [Fact]
    public async Task The_session_cap_leads_to_a_break_and_answers_are_kept()
    {
        await using var server = await AppServer.StartAsync(codes: 1, configure: s => { s.SessionCap = 3; s.BreakMinutes = 10; });
        var p = await server.JoinAsync();
        string? next = null;
        for (var i = 0; i < 3; i++)
        {
            var task = (await p.NextTaskAsync())!;
            var response = await p.SubmitAsync(task, ParticipantClient.Answer(task, $"cap-{i}", null, -1.0));
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            next = doc.RootElement.GetProperty("next").GetString();
            Assert.Equal(i < 2 ? "/task" : "/break", next);
        }

        var taskPage = await p.Http.GetAsync("/task");
        Assert.Equal(HttpStatusCode.Redirect, taskPage.StatusCode);
        Assert.Equal("/break", taskPage.Headers.Location?.OriginalString);
        var breakPage = await p.Http.GetStringAsync("/break");
        Assert.Contains("3 answers in this session", breakPage, StringComparison.Ordinal);
        var history = await p.Http.GetStringAsync("/history");
        Assert.Equal(3, new AngleSharp.Html.Parser.HtmlParser().ParseDocument(history).QuerySelectorAll("tbody tr").Length);
    }

    [Fact]
    public async Task A_study_stored_without_a_session_cap_never_calls_a_break()
    {
        // The settings page and bundles refuse a cap under 1; a row that holds 0 anyway (an older bundle, a hand edit) means no cap.
        await using var server = await AppServer.StartAsync(codes: 1, configure: s => { s.SessionCap = 0; s.BreakMinutes = 10; });
        var p = await server.JoinAsync();
        for (var i = 0; i < 4; i++)
        {
            var task = (await p.NextTaskAsync())!;
            var response = await p.SubmitAsync(task, ParticipantClient.Answer(task, $"nocap-{i}", null, 1.0));
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("/task", doc.RootElement.GetProperty("next").GetString());
        }

        var taskPage = await p.Http.GetAsync("/task");
        Assert.Equal(HttpStatusCode.OK, taskPage.StatusCode);
        var html = await taskPage.Content.ReadAsStringAsync();
        Assert.Contains("form id=\"answer\"", html, StringComparison.Ordinal);
        Assert.Equal("0", new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("progress")?.GetAttribute("value"));
    }
}
