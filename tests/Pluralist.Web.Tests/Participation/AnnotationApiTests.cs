using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Pluralist.Web.Tests.Participation;

/// <summary>The annotation API over real HTTP against Kestrel and SQLite.</summary>
public sealed class AnnotationApiTests : IAsyncLifetime
{
    private AppServer _server = null!;

    public async Task InitializeAsync() => _server = await AppServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_retried_submit_is_stored_once_and_returns_the_stored_answer()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        Assert.Equal(3, task.Criteria.Count);
        var body = ParticipantClient.Answer(task, "req-1", -0.5, null, 1.0);

        var first = await p.SubmitAsync(task, body);
        var second = await p.SubmitAsync(task, body);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        using var b = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal(a.RootElement.GetProperty("annotationId").GetInt64(), b.RootElement.GetProperty("annotationId").GetInt64());
        Assert.False(a.RootElement.GetProperty("duplicate").GetBoolean());
        Assert.True(b.RootElement.GetProperty("duplicate").GetBoolean());

        await using var db = _server.Database.CreateContext();
        var stored = await db.Annotations.Include(x => x.Scores).SingleAsync(x => x.AssignmentId == task.AssignmentId);
        Assert.Equal("req-1", stored.ClientRequestId);
        Assert.Equal(1500, stored.ClientDurationMs);
        Assert.NotNull(stored.ServerDurationMs);
        Assert.Equal([-0.5, null, 1.0], stored.Scores.OrderBy(s => s.Position).Select(s => s.Score).ToArray());
        Assert.Equal(task.Criteria, stored.Scores.OrderBy(s => s.Position).Select(s => s.CriterionKey).ToArray());
        var assignment = await db.Assignments.SingleAsync(x => x.Id == task.AssignmentId);
        Assert.Equal("en", assignment.Language);
        Assert.Equal(task.Criteria, assignment.CriteriaShown);

        // The next page is a new assignment.
        var next = (await p.NextTaskAsync())!;
        Assert.NotEqual(task.AssignmentId, next.AssignmentId);
    }

    [Fact]
    public async Task An_answer_with_no_criterion_answered_is_refused_with_problem_details()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var response = await p.SubmitAsync(task, ParticipantClient.Answer(task, "none"));
        await AssertProblemAsync(response, "scores");
        await AssertNothingStoredAsync(task.AssignmentId);
    }

    [Theory]
    [InlineData(1.01)]
    [InlineData(-1.5)]
    [InlineData(7)]
    public async Task A_score_outside_minus_one_to_one_is_refused(double score)
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var response = await p.SubmitAsync(task, ParticipantClient.Answer(task, "out", score));
        await AssertProblemAsync(response, "scores." + task.Criteria[0]);
        await AssertNothingStoredAsync(task.AssignmentId);
    }

    [Fact]
    public async Task A_score_for_a_criterion_not_shown_is_refused()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var hidden = new[] { "accessibility", "safety", "comfort", "invitingness", "inclusivity", "diversity" }.First(k => !task.Criteria.Contains(k));
        var body = new { clientRequestId = "hidden", scores = new[] { new { criterion = task.Criteria[0], score = (double?)0.5 }, new { criterion = hidden, score = (double?)0.5 } } };
        var response = await p.SubmitAsync(task, body);
        await AssertProblemAsync(response, "scores." + hidden);
        await AssertNothingStoredAsync(task.AssignmentId);
    }

    [Fact]
    public async Task One_participant_cannot_read_or_answer_another_participants_assignment()
    {
        var alice = await _server.JoinAsync();
        var bob = await _server.JoinAsync();
        var aliceTask = (await alice.NextTaskAsync())!;
        var bobTask = (await bob.NextTaskAsync())!;

        var read = await bob.Http.GetAsync($"/api/assignments/{aliceTask.AssignmentId}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        var own = await alice.Http.GetAsync($"/api/assignments/{aliceTask.AssignmentId}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        var write = await bob.SubmitAsync(aliceTask.AssignmentId, bobTask.Token, ParticipantClient.Answer(aliceTask, "steal", 1.0));
        Assert.Equal(HttpStatusCode.NotFound, write.StatusCode);
        Assert.Equal("application/problem+json", write.Content.Headers.ContentType?.MediaType);
        await AssertNothingStoredAsync(aliceTask.AssignmentId);

        // Nor see an image that is only in someone else's assignment.
        var bobImages = bobTask.Images.ToHashSet();
        foreach (var src in aliceTask.Images.Where(s => !bobImages.Contains(s)))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync(src)).StatusCode);
            var mine = await alice.Http.GetAsync(src);
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
            Assert.Equal("image/png", mine.Content.Headers.ContentType?.MediaType);
        }

        using var anonymous = _server.NewClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/assignments/{aliceTask.AssignmentId}")).StatusCode);
    }

    [Fact]
    public async Task Submits_and_forms_without_an_antiforgery_token_are_refused()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var noHeader = await p.SubmitAsync(task, ParticipantClient.Answer(task, "csrf", 0.5), withToken: false);
        await AssertProblemAsync(noHeader, null);
        var wrongHeader = await p.SubmitAsync(task.AssignmentId, "not-a-token", ParticipantClient.Answer(task, "csrf2", 0.5));
        Assert.Equal(HttpStatusCode.BadRequest, wrongHeader.StatusCode);
        await AssertNothingStoredAsync(task.AssignmentId);

        var form = await p.Http.PostAsync("/withdraw", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
        await using var db = _server.Database.CreateContext();
        Assert.False(await db.Participants.AnyAsync(x => x.WithdrawnAt != null));
    }

    [Fact]
    public async Task Identity_answers_are_stored_only_with_their_consent_and_erased_on_withdrawal()
    {
        var p = await _server.JoinAsync(form =>
        {
            form["consent-age-band"] = "true";
            form["value-age-band"] = "75+";
            form["value-gender"] = "woman"; // typed but not consented: must not be kept
            form["consent-disability"] = "true";
            form["prefer-not-disability"] = "true";
        });
        await using (var db = _server.Database.CreateContext())
        {
            var answers = await db.IdentityAnswers.OrderBy(a => a.Marker).ToListAsync();
            Assert.Equal(["age-band", "disability"], answers.Select(a => a.Marker).ToArray());
            Assert.Equal("75+", answers[0].Value);
            Assert.True(answers[1].PreferNotToSay);
            Assert.Null(answers[1].Value);
            var consent = await db.ConsentRecords.SingleAsync();
            Assert.Equal("1", consent.DocumentVersion);
            Assert.True(consent.MarkerConsents["age-band"]);
            Assert.False(consent.MarkerConsents["gender"]);
        }

        var task = (await p.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "w1", 0.25))).StatusCode);
        var withdraw = await ParticipantClient.PostFormAsync(p.Http, "/withdraw", "/withdraw", []);
        Assert.Equal(HttpStatusCode.Redirect, withdraw.StatusCode);

        await using (var db = _server.Database.CreateContext())
        {
            Assert.Empty(await db.IdentityAnswers.ToListAsync());
            Assert.NotNull((await db.Participants.SingleAsync()).WithdrawnAt);
            Assert.Single(await db.Annotations.ToListAsync()); // the default policy keeps annotations
        }

        Assert.Equal(HttpStatusCode.Redirect, (await p.Http.GetAsync("/task")).StatusCode);
    }

    private async Task AssertNothingStoredAsync(long assignmentId)
    {
        await using var db = _server.Database.CreateContext();
        Assert.False(await db.Annotations.AnyAsync(x => x.AssignmentId == assignmentId));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string? field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.TryGetProperty("title", out _));
        if (field is not null)
        {
            Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}");
        }
    }
}
