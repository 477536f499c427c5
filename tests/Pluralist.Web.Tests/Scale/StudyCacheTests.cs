using System.Data.Common;
using System.Net;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Testing;
using Pluralist.Web.Tests.Console;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// The participant app keeps studies in memory (<see cref="StudyCache"/>) and checks their revision on each request:
/// a change made anywhere (the console, another app instance, the CLI, plain SQL) shows on the next request.
/// </summary>
public sealed class StudyCacheTests
{
    [Fact]
    public async Task A_criterion_renamed_in_the_console_and_a_batch_closed_elsewhere_show_on_the_participants_next_request()
    {
        await using var server = await AppServer.StartAsync(codes: 1);
        var participant = await server.JoinAsync();
        var task = (await participant.NextTaskAsync())!;
        var shown = task.Criteria[0];
        Assert.DoesNotContain("Renamed in the console", await CriterionLegendAsync(participant, shown), StringComparison.Ordinal);

        var researcher = await ConsoleTests.SignInAsync(server, "lead@example.org", Role.Researcher);
        var edit = await ParticipantClient.PostFormAsync(researcher, "/console/studies/livs-default", "/console/studies/livs-default?handler=Criterion",
            new() { ["criterion"] = shown, ["nameEn"] = "Renamed in the console", ["nameFr"] = "Renommé dans la console" });
        Assert.Equal(HttpStatusCode.Redirect, edit.StatusCode);
        Assert.Contains("Renamed in the console", await CriterionLegendAsync(participant, shown), StringComparison.Ordinal);
        Assert.Equal(task.AssignmentId, (await participant.NextTaskAsync())!.AssignmentId);

        // Closed by another process on the same database (the CLI, another instance), past EF's change tracking.
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(1, await db.Batches.ExecuteUpdateAsync(b => b.SetProperty(x => x.ClosesAt, DateTimeOffset.UtcNow.AddMinutes(-1))));
        }

        using var refused = await participant.SubmitAsync(task, ParticipantClient.Answer(task, "after-close", 0.5));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("batch is closed", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await participant.NextTaskAsync());
        await using (var db = server.Database.CreateContext())
        {
            Assert.Equal(0, await db.Annotations.CountAsync());
        }
    }

    [Fact]
    public Task Two_instances_on_one_sqlite_database_see_each_others_study_changes() => TwoInstancesAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Two_instances_on_one_postgres_database_see_each_others_study_changes() => TwoInstancesAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task Upgrading_sqlite_to_version_11_keeps_studies_and_starts_their_revision() => UpgradeAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Upgrading_postgres_to_version_11_keeps_studies_and_starts_their_revision() => UpgradeAsync(DatabaseProvider.Postgres);

    private static async Task TwoInstancesAsync(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        long id;
        await using (var setup = database.CreateContext())
        {
            id = (await StudyStore.EnsureDefaultStudyAsync(setup, DateTimeOffset.UtcNow)).Id;
        }

        // Instance A reads through its cache; instance B writes, each on its own context.
        var cache = new StudyCache();
        await using var a = database.CreateContext();
        await using var b = database.CreateContext();
        var first = (await cache.FindByIdAsync(a, id))!;
        Assert.Same(first, await cache.FindByIdAsync(a, id));
        Assert.Equal(1, cache.Loads);
        var revision = (await StudyCache.RevisionAsync(b, id))!.Value;

        // A criterion renamed through EF.
        var safety = await b.Criteria.SingleAsync(c => c.StudyId == id && c.Key == "safety");
        safety.Name = LocalizedText.Of("Danger", "Danger");
        await b.SaveChangesAsync();
        var renamed = (await cache.FindByIdAsync(a, id))!;
        Assert.NotSame(first, renamed);
        Assert.Equal("Danger", renamed.Criteria.Single(c => c.Key == "safety").Name["en"]);
        Assert.Equal("Safety", first.Criteria.Single(c => c.Key == "safety").Name["en"]); // a copy handed out earlier is not changed under its reader
        Assert.Same(renamed, await cache.FindByIdAsync(a, id));

        // A batch closed with plain SQL.
        await b.Database.ExecuteSqlRawAsync("UPDATE batches SET quota_per_participant = 7 WHERE study_id = {0}", id);
        Assert.Equal(7, (await cache.FindByIdAsync(a, id))!.Batches.Single().QuotaPerParticipant);

        // A batch added, a consent document added, a criterion deleted, a setting of the study itself changed.
        b.Batches.Add(new Batch { StudyId = id, Name = "second", OpensAt = DateTimeOffset.UtcNow, ClosesAt = DateTimeOffset.UtcNow.AddDays(1) });
        b.ConsentDocuments.Add(new ConsentDocument { StudyId = id, Version = "9", Language = "en", Text = "Nine", PublishedAt = DateTimeOffset.UtcNow });
        await b.SaveChangesAsync();
        var grown = (await cache.FindByIdAsync(a, id))!;
        Assert.Equal(2, grown.Batches.Count);
        Assert.Contains(grown.ConsentDocuments, d => d.Version == "9");
        await b.Criteria.Where(c => c.StudyId == id && c.Key == "safety").ExecuteDeleteAsync();
        Assert.DoesNotContain((await cache.FindByIdAsync(a, id))!.Criteria, c => c.Key == "safety");
        await b.Studies.Where(s => s.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.SessionCap, 3));
        Assert.Equal(3, (await cache.FindByIdAsync(a, id))!.SessionCap);

        // Every change raised the revision; writing the column itself cannot take it back to a revision already cached.
        var now = (await StudyCache.RevisionAsync(b, id))!.Value;
        Assert.True(now >= revision + 6, $"revision {revision} -> {now}");
        await b.Database.ExecuteSqlRawAsync("UPDATE studies SET revision = 0 WHERE id = {0}", id);
        Assert.Equal(now + 1, await StudyCache.RevisionAsync(b, id));
        Assert.Null(await cache.FindByIdAsync(a, id + 1000));
        Assert.Null(await StudyCache.RevisionAsync(a, id + 1000));
    }

    private static async Task UpgradeAsync(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, version: 10);
        await using (var connection = await PluralistDatabase.OpenAsync(database.Options))
        {
            var created = provider == DatabaseProvider.Sqlite ? "0" : "now()";
            await ExecuteAsync(connection, "INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at) "
                + $"VALUES (5, 'old-study', '{{\"en\":\"Old\"}}', '{{}}', 0, 1, 0, {True(provider)}, {False(provider)}, 90, 10, 0, 0, 0, 5, '[]', {created})");
            await ExecuteAsync(connection, $"INSERT INTO criteria (study_id, key, name, definition, position, retired) VALUES (5, 'shade', '{{\"en\":\"Shade\"}}', '{{}}', 0, {False(provider)})");
        }

        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(database.Options));
        await using var db = database.CreateContext();
        Assert.Equal(0, await StudyCache.RevisionAsync(db, 5));
        var study = (await new StudyCache().FindByIdAsync(db, 5))!;
        Assert.Equal(("old-study", "Shade"), (study.Key, study.Criteria.Single().Name["en"]));
        await db.Criteria.Where(c => c.StudyId == 5).ExecuteUpdateAsync(c => c.SetProperty(x => x.Position, 1));
        Assert.Equal(1, await StudyCache.RevisionAsync(db, 5));
    }

    private static string True(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite ? "1" : "true";

    private static string False(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite ? "0" : "false";

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    // The question the task page asks over a criterion's slider (it names the criterion).
    private static async Task<string> CriterionLegendAsync(ParticipantClient participant, string key)
    {
        var doc = new HtmlParser().ParseDocument(await participant.Http.GetStringAsync("/task"));
        return doc.QuerySelector($"#legend-{key}")?.TextContent ?? throw new InvalidOperationException($"/task shows no criterion {key}");
    }
}
