using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Data;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Tests.Infrastructure;

public sealed class HealthTests
{
    [Fact]
    public async Task Live_and_ready_answer_without_sign_in_and_ready_says_why_not()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        using var client = server.NewClient();
        var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("live", Json(await live.Content.ReadAsStringAsync()).GetProperty("status").GetString());

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = Json(await ready.Content.ReadAsStringAsync());
        Assert.Equal(("ready", PluralistDatabase.LatestVersion), (body.GetProperty("status").GetString(), body.GetProperty("schemaVersion").GetInt32()));

        // The database behind the app loses its latest version (restored from an older backup): not ready, and why.
        await ExecuteAsync(server.Database.Options, $"DELETE FROM schema_version WHERE version = {PluralistDatabase.LatestVersion}");
        var old = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, old.StatusCode);
        Assert.Equal("application/problem+json", old.Content.Headers.ContentType?.MediaType);
        var detail = Json(await old.Content.ReadAsStringAsync()).GetProperty("detail").GetString()!;
        Assert.Contains($"schema version {PluralistDatabase.LatestVersion - 1}, this app needs {PluralistDatabase.LatestVersion}: it is not migrated", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        await ExecuteAsync(server.Database.Options, $"INSERT INTO schema_version (version, description, applied_at) VALUES ({PluralistDatabase.LatestVersion + 1}, 'future', '2030-01-01')");
        var newer = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, newer.StatusCode);
        Assert.Contains("newer than this app's", await newer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_is_503_when_the_database_does_not_answer()
    {
        // Nothing listens on port 1: the connection is refused at once.
        var nowhere = new DatabaseOptions(DatabaseProvider.Postgres, "Host=127.0.0.1;Port=1;Username=nobody;Password=secret;Database=none;Timeout=3");
        var result = await Health.ReadyAsync(nowhere, CancellationToken.None);
        var problem = Assert.IsType<ProblemHttpResult>(result.Result);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        Assert.StartsWith("the database does not answer (", problem.ProblemDetails.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", problem.ProblemDetails.Detail, StringComparison.Ordinal);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static async Task ExecuteAsync(DatabaseOptions options, string sql)
    {
        await using var connection = await PluralistDatabase.OpenAsync(options);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
