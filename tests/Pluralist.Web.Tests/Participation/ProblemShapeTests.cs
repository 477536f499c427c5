using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pluralist.Web.Tests.Participation;

/// <summary>
/// The participant API's answers as task.js reads them, over real HTTP: a stored answer carries <c>next</c>, every
/// refusal is RFC 9457 problem details (<c>application/problem+json</c>) with its <c>status</c>, a <c>title</c> and,
/// where the page shows it, a <c>detail</c>; a refused field is named under <c>errors</c>.
/// </summary>
public sealed class ProblemShapeTests : IAsyncLifetime
{
    private AppServer _server = null!;

    public async Task InitializeAsync() => _server = await AppServer.StartAsync(codes: 4);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_stored_answer_names_the_next_page()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var response = await p.SubmitAsync(task, ParticipantClient.Answer(task, "shape-ok", 0.5));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var stored = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("/task", stored.GetProperty("next").GetString());
        Assert.Equal(task.AssignmentId, stored.GetProperty("assignmentId").GetInt64());
        Assert.False(stored.GetProperty("duplicate").GetBoolean());
    }

    [Fact]
    public async Task A_bad_answer_is_a_validation_problem_with_its_field_and_a_detail_the_page_shows()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var problem = await ProblemAsync(await p.SubmitAsync(task, ParticipantClient.Answer(task, "shape-bad", 2.5)), HttpStatusCode.BadRequest);
        Assert.Equal("The answer was not saved", problem.GetProperty("title").GetString());
        var message = Assert.Single(problem.GetProperty("errors").GetProperty("scores." + task.Criteria[0]).EnumerateArray()).GetString();
        Assert.Contains(message!, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_assignment_that_is_not_yours_is_a_404_problem_for_reading_and_for_answering()
    {
        var mine = await _server.JoinAsync();
        var other = await _server.JoinAsync();
        var theirs = (await other.NextTaskAsync())!;
        var task = (await mine.NextTaskAsync())!;

        var read = await ProblemAsync(await mine.Http.GetAsync($"/api/assignments/{theirs.AssignmentId}"), HttpStatusCode.NotFound);
        Assert.Equal("No such assignment", read.GetProperty("title").GetString());
        var answer = await ProblemAsync(await mine.SubmitAsync(theirs.AssignmentId, task.Token, ParticipantClient.Answer(theirs, "shape-theirs", 0.1)), HttpStatusCode.NotFound);
        Assert.Equal("No such assignment", answer.GetProperty("title").GetString());
        Assert.Equal("This assignment does not exist or is not yours.", answer.GetProperty("detail").GetString());

        var own = await mine.Http.GetFromJsonAsync<JsonElement>($"/api/assignments/{task.AssignmentId}");
        Assert.Equal(task.AssignmentId, own.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_missing_antiforgery_token_is_a_400_problem_naming_the_header()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        var problem = await ProblemAsync(await p.SubmitAsync(task, ParticipantClient.Answer(task, "shape-csrf", 0.5), withToken: false), HttpStatusCode.BadRequest);
        Assert.Equal("Missing or invalid antiforgery token", problem.GetProperty("title").GetString());
        Assert.Contains("X-CSRF-TOKEN", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rating_of_an_image_never_given_is_a_404_problem()
    {
        var p = await _server.JoinAsync();
        var task = (await p.NextTaskAsync())!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ratings")
        {
            Content = JsonContent.Create(new { itemToken = "not-a-token", clientRequestId = "shape-rate", answers = Array.Empty<object>(), categories = Array.Empty<string>() }),
        };
        request.Headers.Add("X-CSRF-TOKEN", task.Token);
        var problem = await ProblemAsync(await p.Http.SendAsync(request), HttpStatusCode.NotFound);
        Assert.Equal("No such item", problem.GetProperty("title").GetString());
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
