using System.Net;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Web.Tests.Participation;

/// <summary>The DIVE task (one image, Likert questions, categories) over real HTTP.</summary>
public sealed class LikertTests
{
    [Fact]
    public async Task A_rating_is_stored_once_per_request_id_with_one_row_per_question_and_its_categories()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s => s.TaskType = TaskType.Likert);
        var p = await server.JoinAsync();
        var item = (await RatingPage.NextAsync(p))!;
        Assert.Equal(["harm-self", "harm-others"], item.Questions);
        Assert.Contains("stereotype", item.Categories);
        Assert.Equal(HttpStatusCode.OK, (await p.Http.GetAsync($"/images/{item.ImageId}")).StatusCode);

        var body = item.Body("r-1", [4, 2], ["stereotype", "unsafe"]);
        var first = await item.PostAsync(p, body);
        var second = await item.PostAsync(p, body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        using var b = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.False(a.RootElement.GetProperty("duplicate").GetBoolean());
        Assert.True(b.RootElement.GetProperty("duplicate").GetBoolean());
        Assert.Equal("/task", a.RootElement.GetProperty("next").GetString());
        Assert.Equal(item.ImageId, b.RootElement.GetProperty("imageId").GetInt64());
        Assert.Equal([4, 2], b.RootElement.GetProperty("answers").EnumerateArray().Select(x => x.GetProperty("value").GetInt32()));

        await using (var db = server.Database.CreateContext())
        {
            var rows = await db.LikertRatings.OrderBy(r => r.Id).ToListAsync();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal(item.ImageId, r.ImageId));
            Assert.Equal(["harm-self", "harm-others"], rows.Select(r => r.QuestionKey));
            Assert.Equal([4, 2], rows.Select(r => r.Value));
            Assert.All(rows, r => Assert.Equal(["stereotype", "unsafe"], r.SelectedCategories));
            Assert.Equal(["r-1/harm-self", "r-1/harm-others"], rows.Select(r => r.ClientRequestId));
            Assert.All(rows, r => Assert.Equal(1500, r.ClientDurationMs));
            Assert.All(rows, r => Assert.True(r.ServedAt <= r.SubmittedAt));
        }

        var next = (await RatingPage.NextAsync(p))!;
        Assert.NotEqual(item.ImageId, next.ImageId);

        // A later rating of the same image (from another tab) changes the values; nothing is duplicated.
        var again = await item.PostAsync(p, item.Body("r-2", [5, 5], []));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            var rows = await db.LikertRatings.Where(r => r.ImageId == item.ImageId).OrderBy(r => r.Id).ToListAsync();
            Assert.Equal([5, 5], rows.Select(r => r.Value));
            Assert.All(rows, r => Assert.Empty(r.SelectedCategories));
        }
    }

    [Fact]
    public async Task Bad_ratings_are_refused_with_problem_details_naming_the_field_and_nothing_is_stored()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s => s.TaskType = TaskType.Likert);
        var p = await server.JoinAsync();
        var item = (await RatingPage.NextAsync(p))!;

        await AssertProblemAsync(await item.PostAsync(p, item.Body("x1", [3], [])), "answers.harm-others");
        await AssertProblemAsync(await item.PostAsync(p, item.Body("x2", [0, 3], [])), "answers.harm-self");
        await AssertProblemAsync(await item.PostAsync(p, item.Body("x3", [3, 6], [])), "answers.harm-others");
        await AssertProblemAsync(await item.PostAsync(p, item.Body("x4", [3, 3], ["not-a-category"])), "categories");
        await AssertProblemAsync(await item.PostAsync(p, item.Body("x5", [3, 3], ["unsafe", "unsafe"])), "categories");
        await AssertProblemAsync(await item.PostAsync(p, item.Body("", [3, 3], [])), "clientRequestId");
        var extra = new { itemToken = item.ItemToken, clientRequestId = "x6", answers = new[] { new { question = "harm-self", value = 3 }, new { question = "harm-others", value = 3 }, new { question = "beauty", value = 3 } } };
        await AssertProblemAsync(await item.PostAsync(p, extra), "answers.beauty");

        await using var db = server.Database.CreateContext();
        Assert.False(await db.LikertRatings.AnyAsync());
    }

    [Fact]
    public async Task A_participant_can_rate_only_images_served_to_them_and_only_with_the_csrf_token()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s => s.TaskType = TaskType.Likert);
        var alice = await server.JoinAsync();
        var bob = await server.JoinAsync();
        var aliceItem = (await RatingPage.NextAsync(alice))!;
        var bobItem = (await RatingPage.NextAsync(bob))!;

        // Bob sends Alice's item token with his own CSRF token.
        var stolen = await bobItem.PostAsync(bob, aliceItem.Body("s1", [1, 1], []));
        Assert.Equal(HttpStatusCode.NotFound, stolen.StatusCode);
        Assert.Equal("application/problem+json", stolen.Content.Headers.ContentType?.MediaType);
        var forged = await bobItem.PostAsync(bob, new { itemToken = "CfDJ8forged", clientRequestId = "s2", answers = new[] { new { question = "harm-self", value = 1 }, new { question = "harm-others", value = 1 } } });
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        var noCsrf = await bobItem.PostAsync(bob, bobItem.Body("s3", [1, 1], []), withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, noCsrf.StatusCode);
        var anonymous = await bobItem.PostAsync(new ParticipantClient(server.NewClient()), bobItem.Body("s4", [1, 1], []));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await using var db = server.Database.CreateContext();
        Assert.False(await db.LikertRatings.AnyAsync());
    }

    [Fact]
    public async Task A_study_asks_its_own_questions_in_the_participants_language_and_the_session_cap_applies()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s =>
        {
            s.TaskType = TaskType.Likert;
            s.SessionCap = 2;
            s.LikertQuestions = [LikertItem.Of("fits", "Does it fit the description?", "Correspond-elle à la description ?")];
            s.LikertCategories = [LikertItem.Of("people", "There are people", "Il y a des personnes")];
        });
        var p = await server.JoinAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await p.Http.GetAsync("/lang/fr?back=/task")).StatusCode);
        var html = new HtmlParser().ParseDocument(await p.Http.GetStringAsync("/task")).Body!.TextContent;
        Assert.Contains("Correspond-elle à la description ?", html, StringComparison.Ordinal);
        Assert.Contains("Il y a des personnes", html, StringComparison.Ordinal);
        Assert.Contains("Évaluez une image", html, StringComparison.Ordinal);

        var first = (await RatingPage.NextAsync(p))!;
        Assert.Equal(["fits"], first.Questions);
        var r1 = await first.PostAsync(p, first.Body("c1", [2], ["people"]));
        using (var d1 = JsonDocument.Parse(await r1.Content.ReadAsStringAsync()))
        {
            Assert.Equal("/task", d1.RootElement.GetProperty("next").GetString());
        }

        var second = (await RatingPage.NextAsync(p))!;
        var r2 = await second.PostAsync(p, second.Body("c2", [3], []));
        using (var d2 = JsonDocument.Parse(await r2.Content.ReadAsStringAsync()))
        {
            Assert.Equal("/break", d2.RootElement.GetProperty("next").GetString());
        }

        var task = await p.Http.GetAsync("/task");
        Assert.Equal(HttpStatusCode.Redirect, task.StatusCode);
        Assert.Equal("/break", task.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_study_with_both_tasks_alternates_comparisons_and_ratings()
    {
        await using var server = await AppServer.StartAsync(codes: 1, configure: s => s.TaskType = TaskType.Both);
        var p = await server.JoinAsync();
        var kinds = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            if (await p.NextTaskAsync() is { } pair)
            {
                kinds.Add("pair");
                Assert.Equal(HttpStatusCode.OK, (await p.SubmitAsync(pair, ParticipantClient.Answer(pair, $"p{i}", 0.5))).StatusCode);
            }
            else
            {
                var item = (await RatingPage.NextAsync(p))!;
                kinds.Add("rate");
                Assert.Equal(HttpStatusCode.OK, (await item.PostAsync(p, item.Body($"r{i}", [1, 2], []))).StatusCode);
            }
        }

        Assert.Equal(["pair", "rate", "pair", "rate"], kinds);
    }

    [Fact]
    public async Task A_rating_reopens_from_the_history_with_its_stored_answers_and_a_new_answer_replaces_them()
    {
        await using var server = await AppServer.StartAsync(codes: 2, configure: s => s.TaskType = TaskType.Likert);
        var p = await server.JoinAsync();
        var other = await server.JoinAsync();
        var item = (await RatingPage.NextAsync(p))!;
        Assert.Equal(HttpStatusCode.OK, (await item.PostAsync(p, item.Body("h1", [2, 4], ["unsafe"]))).StatusCode);

        var history = new HtmlParser().ParseDocument(await p.Http.GetStringAsync("/history"));
        Assert.Equal($"/task?rate={item.ImageId}", history.QuerySelector("#ratings a.change")!.GetAttribute("href"));
        var page = new HtmlParser().ParseDocument(await p.Http.GetStringAsync($"/task?rate={item.ImageId}"));
        Assert.Equal(["harm-self:2", "harm-others:4"], page.QuerySelectorAll("input[type=radio][checked]").Select(e => $"{e.GetAttribute("data-key")}:{e.GetAttribute("value")}"));
        Assert.Equal(["unsafe"], page.QuerySelectorAll("input[name=category][checked]").Select(e => e.GetAttribute("value")));
        var form = page.QuerySelector("form#rating")!;
        var reopened = new RatingPage(item.ImageId, form.GetAttribute("data-item")!, form.GetAttribute("data-token")!, item.Questions, item.Categories);

        var change = await reopened.PostAsync(p, reopened.Body("h2", [1, 1], []));
        using (var doc = JsonDocument.Parse(await change.Content.ReadAsStringAsync()))
        {
            Assert.Equal("/history", doc.RootElement.GetProperty("next").GetString());
            Assert.True(doc.RootElement.GetProperty("changed").GetBoolean());
        }

        await using (var db = server.Database.CreateContext())
        {
            var rows = await db.LikertRatings.OrderBy(r => r.Id).ToListAsync();
            Assert.Equal([1, 1], rows.Select(r => r.Value));
            Assert.All(rows, r => Assert.Empty(r.SelectedCategories));
        }

        var stolen = await other.Http.GetAsync($"/task?rate={item.ImageId}");
        Assert.Equal("/history", stolen.Headers.Location?.OriginalString);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {doc.RootElement}");
    }
}

/// <summary>The rating form of the task page.</summary>
public sealed record RatingPage(long ImageId, string ItemToken, string Token, IReadOnlyList<string> Questions, IReadOnlyList<string> Categories)
{
    public static async Task<RatingPage?> NextAsync(ParticipantClient p)
    {
        var response = await p.Http.GetAsync("/task");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return null;
        }

        var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        if (doc.QuerySelector("form#rating") is not { } form)
        {
            return null;
        }

        return new RatingPage(
            long.Parse(form.GetAttribute("data-image")!, System.Globalization.CultureInfo.InvariantCulture),
            form.GetAttribute("data-item")!,
            form.GetAttribute("data-token")!,
            doc.QuerySelectorAll("fieldset.likert").Select(e => e.GetAttribute("data-key")!).ToList(),
            doc.QuerySelectorAll("input[name=category]").Select(e => e.GetAttribute("value")!).ToList());
    }

    public object Body(string requestId, int[] values, string[] categories) => new
    {
        itemToken = ItemToken,
        clientRequestId = requestId,
        answers = values.Select((v, i) => new { question = Questions[i], value = v }).ToArray(),
        categories,
        clientDurationMs = 1500,
    };

    public async Task<HttpResponseMessage> PostAsync(ParticipantClient p, object body, bool withToken = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ratings")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        if (withToken)
        {
            request.Headers.Add("X-CSRF-TOKEN", Token);
        }

        return await p.Http.SendAsync(request);
    }
}
