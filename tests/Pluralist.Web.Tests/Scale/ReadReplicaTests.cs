using System.Net;
using System.Text.Json;
using Npgsql;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Testing;
using Pluralist.Web.Tests.Console;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// <c>Pluralist:ReadConnection</c> (PostgreSQL): the console's progress and dataset pages read the replica it names.
/// The "replica" here is a copy of the tables in a schema of its own, reached through <c>Search Path</c>, taken
/// before a participant answers: the pages show the copy's state, the participant's answer is in the database.
/// </summary>
public sealed class ReadReplicaTests
{
    [PostgresFact]
    public async Task Progress_and_the_dataset_viewer_read_the_replica_and_answers_go_to_the_database()
    {
        await using var server = await AppServer.StartAsync(DatabaseProvider.Postgres, codes: 2,
            settingsFor: db => new Dictionary<string, string?> { ["Pluralist:ReadConnection"] = new NpgsqlConnectionStringBuilder(db.ConnectionString) { SearchPath = "replica" }.ToString() });
        await CopyToReplicaAsync(server.Database.Options);

        var participant = await server.JoinAsync();
        var task = (await participant.NextTaskAsync())!;
        Assert.Equal(HttpStatusCode.OK, (await participant.SubmitAsync(task, ParticipantClient.Answer(task, "primary-1", 0.5, -0.5, 0))).StatusCode);
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(1, db.Annotations.Count());
        }

        // The replica was copied before the answer: the pages do not show it.
        var researcher = await ConsoleTests.SignInAsync(server, "lead@example.org", Role.Researcher);
        Assert.Equal(0, await AnswersAsync(researcher));
        Assert.Contains("with 0 criterion answers", await researcher.GetStringAsync("/console/studies/livs-default/data"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await researcher.GetAsync("/console/studies/livs-default/progress")).StatusCode);

        // Copied again, and the answer then removed from the database: the pages show it all the same.
        await CopyToReplicaAsync(server.Database.Options);
        await ExecuteAsync(server.Database.Options, "DELETE FROM public.annotation_scores; DELETE FROM public.applied_requests; DELETE FROM public.annotations;");
        Assert.Equal(1, await AnswersAsync(researcher));
        Assert.DoesNotContain("with 0 criterion answers", await researcher.GetStringAsync("/console/studies/livs-default/data"), StringComparison.Ordinal);
    }

    private static async Task<int> AnswersAsync(HttpClient researcher) =>
        JsonDocument.Parse(await researcher.GetStringAsync("/api/console/studies/livs-default/progress")).RootElement.GetProperty("answers").GetInt32();

    private static Task CopyToReplicaAsync(DatabaseOptions options) => ExecuteAsync(options,
        "DROP SCHEMA IF EXISTS replica CASCADE; CREATE SCHEMA replica; DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP "
        + "EXECUTE format('CREATE TABLE replica.%I AS TABLE public.%I', t, t); END LOOP; END $$;");

    private static async Task ExecuteAsync(DatabaseOptions options, string sql)
    {
        await using var connection = await PluralistDatabase.OpenAsync(options);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_read_connection_on_sqlite_stops_the_app_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => AppServer.StartAsync(DatabaseProvider.Sqlite,
            settings: new Dictionary<string, string?> { ["Pluralist:ReadConnection"] = "Host=replica;Database=pluralist" }));
        Assert.Contains("Pluralist:ReadConnection", error.Message, StringComparison.Ordinal);
    }
}
