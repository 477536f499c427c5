using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Testing;
using Pluralist.Web.Tests.Security;

namespace Pluralist.Web.Tests.Participation;

/// <summary>The findings of the security and fault probe (issue 16) on the participant side, over real HTTP, on SQLite.</summary>
public sealed class SqliteHardeningTests
{
    [Fact] public Task A_numeric_study_key_cannot_take_over_another_studys_participants() => HardeningScenarios.NumericKeyHijack(DatabaseProvider.Sqlite);
    [Fact] public Task Concurrent_first_answers_leave_one_answer() => HardeningScenarios.ConcurrentFirstAnswers(DatabaseProvider.Sqlite);
    [Fact] public Task Concurrent_first_ratings_leave_one_value_per_question() => HardeningScenarios.ConcurrentFirstRatings(DatabaseProvider.Sqlite);
    [Fact] public Task A_retried_old_change_never_overwrites_a_newer_one() => HardeningScenarios.RetriedOldChange(DatabaseProvider.Sqlite);
    [Fact] public Task Changes_racing_a_withdrawal_get_a_clear_answer() => HardeningScenarios.ChangesRacingWithdrawal(DatabaseProvider.Sqlite);
    [Fact] public Task Withdrawal_with_the_delete_policy_erases_everything_of_the_person() => HardeningScenarios.WithdrawalDeletesEverything(DatabaseProvider.Sqlite);
    [Fact] public Task Withdrawal_with_the_keep_policy_keeps_answers_but_closes_images() => HardeningScenarios.WithdrawalKeepsAnswers(DatabaseProvider.Sqlite);
    [Fact] public Task No_write_path_takes_answers_after_the_batch_closed() => HardeningScenarios.ClosedBatch(DatabaseProvider.Sqlite);
    [Fact] public Task Null_elements_in_answers_are_400_naming_the_field() => HardeningScenarios.NullElements(DatabaseProvider.Sqlite);
}

/// <summary>The same on PostgreSQL.</summary>
public sealed class PostgresHardeningTests
{
    [PostgresFact] public Task A_numeric_study_key_cannot_take_over_another_studys_participants() => HardeningScenarios.NumericKeyHijack(DatabaseProvider.Postgres);
    [PostgresFact] public Task Concurrent_first_answers_leave_one_answer() => HardeningScenarios.ConcurrentFirstAnswers(DatabaseProvider.Postgres);
    [PostgresFact] public Task Concurrent_first_ratings_leave_one_value_per_question() => HardeningScenarios.ConcurrentFirstRatings(DatabaseProvider.Postgres);
    [PostgresFact] public Task A_retried_old_change_never_overwrites_a_newer_one() => HardeningScenarios.RetriedOldChange(DatabaseProvider.Postgres);
    [PostgresFact] public Task Changes_racing_a_withdrawal_get_a_clear_answer() => HardeningScenarios.ChangesRacingWithdrawal(DatabaseProvider.Postgres);
    [PostgresFact] public Task Withdrawal_with_the_delete_policy_erases_everything_of_the_person() => HardeningScenarios.WithdrawalDeletesEverything(DatabaseProvider.Postgres);
}

internal static class HardeningScenarios
{
    /// <summary>
    /// Finding 1: a study keyed with another study's id used to be served to that study's participants.
    /// New all-digit keys are refused by the console form and API; one already in an older database
    /// (written here directly) changes nothing for the participants, and the console still reaches it by its key.
    /// </summary>
    public static async Task NumericKeyHijack(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 2);
        long demoId;
        await using (var db = server.Database.CreateContext())
        {
            demoId = (await db.Studies.SingleAsync()).Id;
        }

        var numeric = demoId.ToString(CultureInfo.InvariantCulture);
        var researcher = await Staff.SignInAsync(server, "lead@example.org", Role.Researcher);
        var form = await ParticipantClient.PostFormAsync(researcher, "/console/studies/new", "/console/studies/new", new()
        {
            ["Key"] = numeric,
            ["TitleEn"] = "Takeover",
            ["TitleFr"] = "Prise",
            ["Template"] = "",
        });
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
        var formHtml = new HtmlParser().ParseDocument(await form.Content.ReadAsStringAsync());
        Assert.Contains("cannot be a study key", formHtml.QuerySelector("a[href='#key']")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("true", formHtml.QuerySelector("input#key")!.GetAttribute("aria-invalid"));

        var token = await PageTokenAsync(researcher, "/console/studies/new");
        var refused = await PostJsonAsync(researcher, "/api/console/studies", token, new { key = numeric, title = new { en = "Takeover", fr = "Prise" } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            Assert.Contains("cannot be a study key", problem.RootElement.GetProperty("errors").GetProperty("key")[0].GetString(), StringComparison.Ordinal);
        }

        var created = await PostJsonAsync(researcher, "/api/console/studies", token, new { key = "parks-2025", title = new { en = "Parks", fr = "Parcs" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            Assert.False(await db.Studies.AnyAsync(s => s.Key == numeric));
            Assert.True(await db.Studies.AnyAsync(s => s.Key == "parks-2025"));

            // An older database may already hold such a key.
            db.Studies.Add(new Study
            {
                Key = numeric,
                Title = LocalizedText.Of("Legacy takeover", "Reprise"),
                Criteria = [new Criterion { Key = "hijack", Name = LocalizedText.Of("Hijack", "Détournement"), Definition = LocalizedText.Of("?", "?") }],
                ConsentDocuments =
                [
                    new ConsentDocument { Version = "9", Language = "en", Text = "HIJACK CONSENT", PublishedAt = DateTimeOffset.UtcNow },
                    new ConsentDocument { Version = "9", Language = "fr", Text = "HIJACK CONSENT", PublishedAt = DateTimeOffset.UtcNow },
                ],
                Batches = [new Batch { Name = "Open", OpensAt = DateTimeOffset.UtcNow.AddDays(-1), ClosesAt = DateTimeOffset.UtcNow.AddDays(1), QuotaPerParticipant = 10 }],
                CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var client = server.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = server.Codes.Dequeue() })).StatusCode);
        var consent = await client.GetStringAsync("/consent");
        Assert.DoesNotContain("HIJACK", consent, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(client, "/consent", "/consent", new() { ["agree"] = "true" })).StatusCode);
        var task = (await new ParticipantClient(client).NextTaskAsync())!;
        Assert.DoesNotContain("hijack", task.Criteria);
        Assert.Equal(HttpStatusCode.OK, (await new ParticipantClient(client).SubmitAsync(task, ParticipantClient.Answer(task, "h1", 0.5))).StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var participant = await db.Participants.SingleAsync(p => p.Role == Role.Participant);
            Assert.Equal(demoId, participant.StudyId);
            Assert.Equal("1", (await db.ConsentRecords.SingleAsync()).DocumentVersion);
            var pairId = (await db.Assignments.SingleAsync(a => a.Id == task.AssignmentId)).PairId;
            Assert.Equal(demoId, (await db.Pairs.SingleAsync(p => p.Id == pairId)).StudyId);
        }

        // The console's routes name keys: the older study is reached by its key, the demo study by its own.
        var legacy = await researcher.GetAsync($"/console/studies/{numeric}");
        Assert.Equal(HttpStatusCode.OK, legacy.StatusCode);
        Assert.Contains("Legacy takeover", await legacy.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await researcher.GetAsync("/console/studies/livs-default")).StatusCode);
    }

    /// <summary>Finding 2: sixteen different first answers at once to one assignment leave one stored answer; each reply is that answer as stored when it was applied, or a conflict.</summary>
    public static async Task ConcurrentFirstAnswers(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 1);
        var p = await server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var bodies = Enumerable.Range(0, 16).Select(i => ParticipantClient.Answer(task, $"first-{i}", -1 + (i * 0.125), 0.5)).ToList();
        var responses = await Task.WhenAll(bodies.Select(b => p.SubmitAsync(task, b)));

        var applied = new List<double>();
        var inserted = 0;
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (response.StatusCode == HttpStatusCode.OK)
            {
                applied.Add(doc.RootElement.GetProperty("scores")[0].GetProperty("score").GetDouble());
                inserted += doc.RootElement.GetProperty("changed").GetBoolean() ? 0 : 1;
            }
            else
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        Assert.Equal(1, inserted);
        await using var db = server.Database.CreateContext();
        var stored = await db.Annotations.Include(a => a.Scores).SingleAsync(a => a.AssignmentId == task.AssignmentId);
        Assert.Equal(3, stored.Scores.Count);
        Assert.Contains(stored.Scores.Single(s => s.Position == 0).Score!.Value, applied);
        Assert.Equal(applied.Count, await db.AppliedRequests.CountAsync(r => r.AssignmentId == task.AssignmentId));
    }

    /// <summary>Finding 2 for the Likert task: one value per participant, image and question.</summary>
    public static async Task ConcurrentFirstRatings(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 1, configure: s => s.TaskType = TaskType.Likert);
        var p = await server.JoinAsync();
        var item = (await RatingPage.NextAsync(p))!;
        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => item.PostAsync(p, item.Body($"rate-{i}", [1 + (i % 5), 5 - (i % 5)], []))));
        var applied = new List<int>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                applied.Add(doc.RootElement.GetProperty("answers")[0].GetProperty("value").GetInt32());
            }
        }

        await using var db = server.Database.CreateContext();
        var rows = await db.LikertRatings.Where(r => r.ImageId == item.ImageId).OrderBy(r => r.Id).ToListAsync();
        Assert.Equal(["harm-self", "harm-others"], rows.Select(r => r.QuestionKey));
        Assert.Contains(rows[0].Value, applied);
        Assert.Equal(6, rows[0].Value + rows[1].Value); // both values come from one request
        Assert.Equal(applied.Count, await db.AppliedRequests.CountAsync(r => r.ImageId == item.ImageId));
    }

    /// <summary>Finding 6: change A, change B, then a retry of A (or of the first answer) returns B and leaves it stored; a used request id cannot answer another item.</summary>
    public static async Task RetriedOldChange(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 1, configure: s => s.TaskType = TaskType.Both);
        var p = await server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "first", -0.5))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "change-a", 0.25))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "change-b", 0.75))).StatusCode);
        foreach (var retried in new[] { "change-a", "first", "change-b" })
        {
            var retry = await p.SubmitAsync(task, ParticipantClient.Answer(task, retried, retried == "first" ? -0.5 : 0.25));
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            using var doc = JsonDocument.Parse(await retry.Content.ReadAsStringAsync());
            Assert.True(doc.RootElement.GetProperty("duplicate").GetBoolean());
            Assert.Equal(0.75, doc.RootElement.GetProperty("scores")[0].GetProperty("score").GetDouble());
        }

        await using (var db = server.Database.CreateContext())
        {
            var stored = await db.Annotations.Include(a => a.Scores).SingleAsync(a => a.AssignmentId == task.AssignmentId);
            Assert.Equal(0.75, stored.Scores.Single(s => s.Position == 0).Score);
        }

        // A rating next (the Both task alternates): the same for ratings.
        var item = (await RatingPage.NextAsync(p))!;
        Assert.Equal(HttpStatusCode.OK, (await item.PostAsync(p, item.Body("rate-a", [2, 2], []))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await item.PostAsync(p, item.Body("rate-b", [4, 4], ["unsafe"]))).StatusCode);
        var ratingRetry = await item.PostAsync(p, item.Body("rate-a", [2, 2], []));
        Assert.Equal(HttpStatusCode.OK, ratingRetry.StatusCode);
        using (var doc = JsonDocument.Parse(await ratingRetry.Content.ReadAsStringAsync()))
        {
            Assert.True(doc.RootElement.GetProperty("duplicate").GetBoolean());
            Assert.Equal([4, 4], doc.RootElement.GetProperty("answers").EnumerateArray().Select(a => a.GetProperty("value").GetInt32()));
        }

        // A request id already applied to one assignment cannot answer another.
        var next = (await p.NextTaskAsync())!;
        Assert.NotEqual(task.AssignmentId, next.AssignmentId);
        var reused = await p.SubmitAsync(next, ParticipantClient.Answer(next, "change-b", 1.0));
        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Contains("clientRequestId", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal([4, 4], await db.LikertRatings.Where(r => r.ImageId == item.ImageId).OrderBy(r => r.Id).Select(r => r.Value).ToListAsync());
            Assert.False(await db.Annotations.AnyAsync(a => a.AssignmentId == next.AssignmentId));
        }
    }

    /// <summary>Finding 4: changes sent while the participant withdraws (the study deletes answers) are applied before it or refused after it; never a 500.</summary>
    public static async Task ChangesRacingWithdrawal(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 3, configure: s => s.WithdrawalPolicy = WithdrawalPolicy.DeleteAnnotations);
        for (var round = 0; round < 3; round++)
        {
            var (p, cookies) = await JoinKeepingCookiesAsync(server);
            var task = (await p.NextTaskAsync())!;
            Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "first", 0.5))).StatusCode);
            var withdrawToken = await PageTokenAsync(p.Http, "/withdraw");
            using var copied = CopyOf(server, cookies);
            var changes = Enumerable.Range(0, 8).Select(i => p.SubmitAsync(task, ParticipantClient.Answer(task, $"change-{i}", -0.25))).ToList();
            var withdraw = p.Http.PostAsync("/withdraw", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = withdrawToken }));
            foreach (var response in await Task.WhenAll(changes))
            {
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            Assert.Equal(HttpStatusCode.Redirect, (await withdraw).StatusCode);
            var after = await new ParticipantClient(copied).SubmitAsync(task, ParticipantClient.Answer(task, "late", 1.0));
            Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
            Assert.Equal("application/problem+json", after.Content.Headers.ContentType?.MediaType);
            await using var db = server.Database.CreateContext();
            Assert.False(await db.Assignments.AnyAsync(a => a.Id == task.AssignmentId));
            Assert.False(await db.Annotations.AnyAsync(a => a.AssignmentId == task.AssignmentId));
            Assert.False(await db.AppliedRequests.AnyAsync(r => r.AssignmentId == task.AssignmentId));
        }
    }

    /// <summary>Finding 5: with the delete policy nothing of the person stays (assignments, answers, ratings, image reports, request ids, contact details), and their cookie shows no image.</summary>
    public static async Task WithdrawalDeletesEverything(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 2, configure: s =>
        {
            s.TaskType = TaskType.Both;
            s.WithdrawalPolicy = WithdrawalPolicy.DeleteAnnotations;
        });
        var (p, cookies) = await JoinKeepingCookiesAsync(server);
        var other = await server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var body = new { clientRequestId = "broken", scores = new[] { new { criterion = task.Criteria[0], score = (double?)0.5 } }, reportImage = true };
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "change", -0.5))).StatusCode);
        var item = (await RatingPage.NextAsync(p))!;
        Assert.Equal(HttpStatusCode.OK, (await item.PostAsync(p, item.Body("rate", [3, 4], ["unsafe"]))).StatusCode);
        var pending = (await p.NextTaskAsync())!; // served, not answered
        var otherTask = (await other.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await other.SubmitAsync(otherTask, ParticipantClient.Answer(otherTask, "o1", 1.0))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await p.Http.GetAsync(task.Images[0])).StatusCode);

        long pid;
        List<long> answers;
        await using (var db = server.Database.CreateContext())
        {
            pid = (await db.Assignments.SingleAsync(a => a.Id == task.AssignmentId)).ParticipantId;
            answers = await db.Annotations.Where(a => a.ParticipantId == pid).Select(a => a.Id).ToListAsync();
            Assert.Equal(3, await db.AnnotationScores.CountAsync(s => answers.Contains(s.AnnotationId)));
            await db.Invitations.Where(i => i.ParticipantId == pid).ExecuteUpdateAsync(s => s.SetProperty(i => i.Email, "p@example.org"));
            Assert.Equal(2, await db.ImageReports.CountAsync(r => r.ParticipantId == pid));
            Assert.Equal(3, await db.AppliedRequests.CountAsync(r => r.ParticipantId == pid));
        }

        // The withdrawal signs the browser out; a copy of its cookie taken before must not work either.
        using var copied = CopyOf(server, cookies);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(p.Http, "/withdraw", "/withdraw", [])).StatusCode);

        await using (var db = server.Database.CreateContext())
        {
            Assert.False(await db.Assignments.AnyAsync(a => a.ParticipantId == pid));
            Assert.False(await db.Annotations.AnyAsync(a => a.ParticipantId == pid));
            Assert.False(await db.AnnotationScores.AnyAsync(s => answers.Contains(s.AnnotationId)));
            Assert.False(await db.LikertRatings.AnyAsync(r => r.ParticipantId == pid));
            Assert.False(await db.ImageReports.AnyAsync(r => r.ParticipantId == pid));
            Assert.False(await db.AppliedRequests.AnyAsync(r => r.ParticipantId == pid));
            Assert.False(await db.Invitations.AnyAsync(i => i.Email != null));
            Assert.False(await db.Assignments.AnyAsync(a => a.Id == pending.AssignmentId));
            var withdrawn = await db.Participants.SingleAsync(x => x.Id == pid);
            Assert.NotNull(withdrawn.WithdrawnAt);
            Assert.Null(withdrawn.Email);
            Assert.True(await db.Annotations.AnyAsync(a => a.AssignmentId == otherTask.AssignmentId)); // someone else's answers stay
        }

        Assert.Equal(HttpStatusCode.NotFound, (await copied.GetAsync(task.Images[0])).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await copied.GetAsync($"/images/{item.ImageId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await copied.GetAsync($"/api/assignments/{task.AssignmentId}")).StatusCode);
    }

    /// <summary>Finding 5 with the keep policy: the answers, assignments and reports stay under the pseudonym, but the cookie shows no image.</summary>
    public static async Task WithdrawalKeepsAnswers(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 1);
        var (p, cookies) = await JoinKeepingCookiesAsync(server);
        var task = (await p.NextTaskAsync())!;
        var body = new { clientRequestId = "k1", scores = new[] { new { criterion = task.Criteria[0], score = (double?)0.5 } }, reportImage = true };
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, body)).StatusCode);
        using var copied = CopyOf(server, cookies);
        Assert.Equal(HttpStatusCode.OK, (await copied.GetAsync(task.Images[0])).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(p.Http, "/withdraw", "/withdraw", [])).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await copied.GetAsync(task.Images[0])).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await copied.GetAsync($"/api/assignments/{task.AssignmentId}")).StatusCode);
        await using var db = server.Database.CreateContext();
        Assert.True(await db.Assignments.AnyAsync(a => a.Id == task.AssignmentId));
        Assert.True(await db.Annotations.AnyAsync(a => a.AssignmentId == task.AssignmentId));
        Assert.Equal(2, await db.ImageReports.CountAsync());
    }

    /// <summary>Finding 3: once the batch has closed, the API refuses first answers, changes and ratings with problem details, as the pages do.</summary>
    public static async Task ClosedBatch(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 1, configure: s => s.TaskType = TaskType.Both);
        var p = await server.JoinAsync();
        var answered = (await p.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(answered, ParticipantClient.Answer(answered, "a1", 0.5))).StatusCode);
        // Nothing is stored when an image is served: two loads of the rating page give two items to rate.
        var rated = (await RatingPage.NextAsync(p))!;
        var unrated = (await RatingPage.NextAsync(p))!;
        while (unrated.ImageId == rated.ImageId)
        {
            unrated = (await RatingPage.NextAsync(p))!;
        }

        Assert.Equal(HttpStatusCode.OK, (await rated.PostAsync(p, rated.Body("r1", [2, 2], []))).StatusCode);
        var open = (await p.NextTaskAsync())!;
        await using (var db = server.Database.CreateContext())
        {
            await db.Batches.ExecuteUpdateAsync(s => s.SetProperty(b => b.ClosesAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }

        await AssertBatchClosedAsync(await p.SubmitAsync(open, ParticipantClient.Answer(open, "late-first", 0.5)));
        await AssertBatchClosedAsync(await p.SubmitAsync(answered, ParticipantClient.Answer(answered, "late-change", -1.0)));
        await AssertBatchClosedAsync(await unrated.PostAsync(p, unrated.Body("late-rating", [5, 5], [])));
        await AssertBatchClosedAsync(await rated.PostAsync(p, rated.Body("late-rating-change", [5, 5], [])));

        await using (var db = server.Database.CreateContext())
        {
            Assert.False(await db.Annotations.AnyAsync(a => a.AssignmentId == open.AssignmentId));
            Assert.Equal(0.5, (await db.Annotations.Include(a => a.Scores).SingleAsync(a => a.AssignmentId == answered.AssignmentId)).Scores.Single(s => s.Position == 0).Score);
            Assert.False(await db.LikertRatings.AnyAsync(r => r.ImageId == unrated.ImageId));
            Assert.Equal([2, 2], await db.LikertRatings.Where(r => r.ImageId == rated.ImageId).Select(r => r.Value).ToListAsync());
        }

        static async Task AssertBatchClosedAsync(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("The batch is closed", doc.RootElement.GetProperty("title").GetString());
        }
    }

    /// <summary>Finding 4: null where an answer object belongs is a 400 naming the element, not a 500.</summary>
    public static async Task NullElements(DatabaseProvider provider)
    {
        await using var server = await AppServer.StartAsync(provider, codes: 1, configure: s => s.TaskType = TaskType.Both);
        var p = await server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        await AssertFieldAsync(await SendRawAsync(p, $"/api/assignments/{task.AssignmentId}/annotation", task.Token, """{"clientRequestId":"n1","scores":[null]}"""), "scores[0]");
        await AssertFieldAsync(await SendRawAsync(p, $"/api/assignments/{task.AssignmentId}/annotation", task.Token,
            $$"""{"clientRequestId":"n2","scores":[{"criterion":"{{task.Criteria[0]}}","score":0.5},null]}"""), "scores[1]");
        await AssertFieldAsync(await SendRawAsync(p, $"/api/assignments/{task.AssignmentId}/annotation", task.Token, """{"clientRequestId":"n3","scores":[{"criterion":null,"score":0.5}]}"""), "scores[0]");
        Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(task, ParticipantClient.Answer(task, "ok", 0.5))).StatusCode);

        var item = (await RatingPage.NextAsync(p))!;
        await AssertFieldAsync(await SendRawAsync(p, "/api/ratings", item.Token,
            JsonSerializer.Serialize(new { itemToken = item.ItemToken, clientRequestId = "n4", answers = new object?[] { null } })), "answers[0]");
        await AssertFieldAsync(await SendRawAsync(p, "/api/ratings", item.Token,
            JsonSerializer.Serialize(new { itemToken = item.ItemToken, clientRequestId = "n5", answers = new object?[] { new { question = "harm-self", value = 2 }, new { question = "harm-others", value = 2 } }, categories = new string?[] { null } })), "categories");
        await using var db = server.Database.CreateContext();
        Assert.False(await db.LikertRatings.AnyAsync());

        static async Task AssertFieldAsync(HttpResponseMessage response, string field)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var doc = JsonDocument.Parse(text);
            Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {text}");
        }
    }

    /// <summary>A participant who joined and consented, with the cookie jar of their client.</summary>
    private static async Task<(ParticipantClient Participant, CookieContainer Cookies)> JoinKeepingCookiesAsync(AppServer server)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = server.Address };
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = server.Codes.Dequeue() })).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ParticipantClient.PostFormAsync(client, "/consent", "/consent", new() { ["agree"] = "true" })).StatusCode);
        return (new ParticipantClient(client), cookies);
    }

    /// <summary>Another client holding a copy of the cookies as they are now (a cookie kept, or stolen).</summary>
    private static HttpClient CopyOf(AppServer server, CookieContainer cookies)
    {
        var copy = new CookieContainer();
        foreach (var cookie in cookies.GetAllCookies().Cast<Cookie>())
        {
            copy.Add(new Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain));
        }

        return new HttpClient(new HttpClientHandler { CookieContainer = copy, AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = server.Address };
    }

    private static async Task<HttpResponseMessage> SendRawAsync(ParticipantClient p, string path, string token, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-CSRF-TOKEN", token);
        return await p.Http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, string token, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-CSRF-TOKEN", token);
        return await client.SendAsync(request);
    }

    private static async Task<string> PageTokenAsync(HttpClient client, string page) =>
        new HtmlParser().ParseDocument(await client.GetStringAsync(page)).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
}
