using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Testing;

namespace Pluralist.Data.Tests;

/// <summary>Schema v8 (slider resolution, protocol, panel entries) on a real database of either provider.</summary>
public static class PanelStorageScenarios
{
    private static readonly DateTimeOffset T0 = Sample.T0;

    private static readonly Dictionary<string, string> Ids = new() { ["PROLIFIC_PID"] = "5f7a9c0e1b2d3e4f5a6b7c8d", ["SESSION_ID"] = "s1" };

    private static async Task<Study> PanelStudyAsync(PluralistDbContext db)
    {
        var study = Defaults.LivsStudy(T0);
        study.Key = "panel-study";
        study.Panel = new PanelSettings { ParticipantParameter = "PROLIFIC_PID", OtherParameters = ["SESSION_ID"] };
        db.Studies.Add(study);
        await db.SaveChangesAsync();
        return study;
    }

    public static async Task ConcurrentEntriesWithOnePanelIdMakeOneParticipant(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        Study study;
        await using (var db = tdb.CreateContext())
        {
            study = await PanelStudyAsync(db);
        }

        // Eight entries with the same id at once (a double click, a reloaded tab), each on its own context.
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            start.Wait();
            await using var db = tdb.CreateContext();
            var ids = new Dictionary<string, string>(Ids) { ["SESSION_ID"] = $"s{i}" };
            return await PanelEntryStore.EnterAsync(db, study, Ids["PROLIFIC_PID"], ids, "fr", T0.AddSeconds(i));
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Single(results.Select(r => r.Participant.Id).Distinct());
        Assert.Single(results, r => !r.Resumed);
        await using (var db = tdb.CreateContext())
        {
            var participant = await db.Participants.SingleAsync(p => p.StudyId == study.Id);
            var entry = await db.PanelEntries.SingleAsync();
            Assert.Equal((participant.Id, "5f7a9c0e1b2d3e4f5a6b7c8d", 8), (entry.ParticipantId, entry.PanelParticipantId, entry.Entries));
            Assert.Equal(entry, await PanelEntryStore.FindAsync(db, participant.Id), new EntryIds());

            // Another panel id is another participant; the same id in another study too.
            var other = await PanelEntryStore.EnterAsync(db, study, "OTHER1", new Dictionary<string, string> { ["PROLIFIC_PID"] = "OTHER1" }, "en", T0);
            Assert.False(other.Resumed);
            Assert.NotEqual(participant.Id, other.Participant.Id);
            var second = Defaults.LivsStudy(T0);
            second.Key = "second";
            db.Studies.Add(second);
            await db.SaveChangesAsync();
            var elsewhere = await PanelEntryStore.EnterAsync(db, second, Ids["PROLIFIC_PID"], Ids, "en", T0);
            Assert.False(elsewhere.Resumed);
            Assert.Equal(3, await db.Participants.CountAsync());
        }

        // The database itself refuses a second row for one panel id.
        await using (var db = tdb.CreateContext())
        {
            var p = new Participant { StudyId = study.Id, Pseudonym = "P-DUP", CreatedAt = T0 };
            db.Participants.Add(p);
            await db.SaveChangesAsync();
            db.PanelEntries.Add(new PanelEntry { StudyId = study.Id, ParticipantId = p.Id, PanelParticipantId = Ids["PROLIFIC_PID"], FirstEnteredAt = T0, LastEnteredAt = T0 });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }

    public static async Task UpgradeFromVersion7KeepsAnswersWithoutAResolution(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 7);
        object T(DateTimeOffset v) => StorageScenarios.StoredTime(provider, v);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            Task Insert(string sql, params object?[] values) => StorageScenarios.InsertOneRowAsync(connection, sql, values);
            await Insert("INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at, likert_questions, likert_categories, group_quotas, identity_questions) " +
                "VALUES (7, 'v7', '{\"en\":\"Seven\"}', '{}', 0, 3, 4, @p0, @p1, 90, 10, 0, 0, 0, 5, '[]', @p2, '[]', '[]', NULL, '[]')", true, false, T(T0));
            await Insert("INSERT INTO participants (id, study_id, pseudonym, email, password_hash, preferred_language, role, created_at, withdrawn_at) VALUES (11, 7, 'P-SEVEN', NULL, NULL, 'en', 0, @p0, NULL)", T(T0));
            await Insert("INSERT INTO prompts (id, study_id, text, language, source, parent_prompt_id, scenario_id, external_id, created_at) VALUES (16, 7, 'A park', 'en', 1, NULL, NULL, NULL, @p0)", T(T0));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, width, height, storage_path, flags, created_at) VALUES (18, 7, 16, 'g', 8, 8, 'a.png', 0, @p0)", T(T0));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, width, height, storage_path, flags, created_at) VALUES (19, 7, 16, 'g', 8, 8, 'b.png', 0, @p0)", T(T0));
            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, created_at) VALUES (20, 7, NULL, 18, 19, 0, @p0)", T(T0));
            await Insert("INSERT INTO assignments (id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at) VALUES (21, 11, 20, NULL, '[\"safety\"]', @p0, 'en', @p1)", true, T(T0));
            await Insert("INSERT INTO annotations (id, assignment_id, participant_id, pair_id, comment, client_duration_ms, server_duration_ms, client_request_id, language, submitted_at) VALUES (22, 21, 11, 20, NULL, NULL, NULL, 'r22', 'en', @p0)", T(T0));
            await Insert("INSERT INTO annotation_scores (id, annotation_id, criterion_key, position, score) VALUES (23, 22, 'safety', 0, 0.5)");
        }

        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options)); // through v8 (overlap places), v9 (this one) and later versions
        await using var db = tdb.CreateContext();
        var study = await db.Studies.SingleAsync();
        Assert.Equal((4, "", "", (PanelSettings?)null), (study.SliderSteps, study.Protocol.Get("en"), study.Contact, study.Panel));
        var old = await db.Annotations.Include(a => a.Scores).SingleAsync();
        Assert.Equal((22L, (int?)null, (double?)0.5), (old.Id, old.SliderSteps, old.Scores.Single().Score));

        // The new columns take values, and a negative resolution is refused by the database.
        study.Contact = "livs@example.org";
        study.Panel = new PanelSettings { ParticipantParameter = "workerId", Exits = { [PanelOutcome.NoWorkLeft] = new PanelExit { Code = "NW-1" } } };
        old.SliderSteps = 0;
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        var again = await db.Studies.SingleAsync();
        Assert.Equal("NW-1", again.Panel!.ExitFor(PanelOutcome.NoWorkLeft)!.Code);
        Assert.Equal(0, (await db.Annotations.SingleAsync()).SliderSteps);
        await Assert.ThrowsAnyAsync<Exception>(() => db.Annotations.Where(a => a.Id == 22).ExecuteUpdateAsync(s => s.SetProperty(a => a.SliderSteps, -1)));
    }

    private sealed class EntryIds : IEqualityComparer<PanelEntry?>
    {
        public bool Equals(PanelEntry? x, PanelEntry? y) => x?.Id == y?.Id && x?.ParticipantId == y?.ParticipantId;

        public int GetHashCode(PanelEntry? obj) => obj?.Id.GetHashCode() ?? 0;
    }
}

public sealed class SqlitePanelStorageTests
{
    [Fact] public Task Concurrent_entries_with_one_panel_id_make_one_participant() => PanelStorageScenarios.ConcurrentEntriesWithOnePanelIdMakeOneParticipant(DatabaseProvider.Sqlite);
    [Fact] public Task Upgrade_from_version_7_keeps_answers_without_a_resolution() => PanelStorageScenarios.UpgradeFromVersion7KeepsAnswersWithoutAResolution(DatabaseProvider.Sqlite);
}

public sealed class PostgresPanelStorageTests
{
    [PostgresFact] public Task Concurrent_entries_with_one_panel_id_make_one_participant() => PanelStorageScenarios.ConcurrentEntriesWithOnePanelIdMakeOneParticipant(DatabaseProvider.Postgres);
    [PostgresFact] public Task Upgrade_from_version_7_keeps_answers_without_a_resolution() => PanelStorageScenarios.UpgradeFromVersion7KeepsAnswersWithoutAResolution(DatabaseProvider.Postgres);
}
