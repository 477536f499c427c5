using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// The bound on task pages built at once (<c>Pluralist:TaskPageConcurrency</c>): a page beyond it waits its turn, an answer
/// never does, and a page beyond the queue gets a plain 503 that says the answers are saved.
/// </summary>
public sealed class TaskPageLimitTests
{
    [Fact]
    public async Task A_task_page_waits_for_the_bound_while_an_answer_goes_through()
    {
        var (held, release) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await using var server = await AppServer.StartAsync(
            settings: new Dictionary<string, string?> { ["Pluralist:TaskPageConcurrency"] = "1", ["Pluralist:TaskPageQueue"] = "1" },
            // Under the task pages' policy, so it takes the one permit until the test lets it go.
            routes: app => app.MapGet("/test/hold", async () =>
            {
                held.SetResult();
                await release.Task;
                return Results.Ok();
            }).RequireRateLimiting(WebSetup.TaskPagePolicy));
        var alice = await server.JoinAsync();
        var bob = await server.JoinAsync();
        var carol = await server.JoinAsync();
        var task = await alice.NextTaskAsync();
        Assert.NotNull(task);

        var holder = server.NewClient().GetAsync("/test/hold");
        await held.Task;

        // Bob's and Carol's pages: one takes the one place in the queue and waits for the permit, the other finds the queue full.
        var pages = new[] { bob.Http.GetAsync("/task"), carol.Http.GetAsync("/task") };
        var refused = await await Task.WhenAny(pages);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("5", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("Your answers are saved", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var waiting = pages.Single(p => !p.IsCompleted);

        // Alice's answer is not held back by the pages.
        var answer = await alice.SubmitAsync(task, ParticipantClient.Answer(task, "limit-1", 0.5));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.False(waiting.IsCompleted, "the page waited for the permit");

        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await holder).StatusCode);
        var page = await waiting;
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("id=\"answer\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(await bob.NextTaskAsync());
        Assert.NotNull(await carol.NextTaskAsync());
    }

    [Fact]
    public async Task Without_the_bound_pages_are_built_whatever_else_is_running()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await AppServer.StartAsync(
            settings: new Dictionary<string, string?> { ["Pluralist:TaskPageConcurrency"] = "0", ["Pluralist:TaskPageQueue"] = "0" },
            routes: app => app.MapGet("/test/hold", async () =>
            {
                held.SetResult();
                await release.Task;
                return Results.Ok();
            }).RequireRateLimiting(WebSetup.TaskPagePolicy));
        var alice = await server.JoinAsync();
        var holder = server.NewClient().GetAsync("/test/hold");
        await held.Task;
        Assert.NotNull(await alice.NextTaskAsync());
        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await holder).StatusCode);
    }
}
