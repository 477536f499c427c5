using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Testing;

namespace Pluralist.Data.Tests;

/// <summary>Schema v10 (synthetic raters' runs and answers) on a real database of either provider.</summary>
public static class SyntheticStorageScenarios
{
    private static readonly DateTimeOffset T0 = Sample.T0;

    public static async Task UpgradeFromVersion9KeepsPeoplesAnswersAndStoresSyntheticOnesApart(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 9);
        object T(DateTimeOffset v) => StorageScenarios.StoredTime(provider, v);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            Task Insert(string sql, params object?[] values) => StorageScenarios.InsertOneRowAsync(connection, sql, values);
            await Insert("INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at, likert_questions, likert_categories, group_quotas, identity_questions, protocol, contact, panel) " +
                "VALUES (9, 'v9', '{\"en\":\"Nine\"}', '{}', 0, 3, 4, @p0, @p1, 90, 10, 0, 0, 0, 5, '[\"gender\"]', @p2, '[]', '[]', NULL, '[]', '{}', '', NULL)", true, false, T(T0));
            await Insert("INSERT INTO participants (id, study_id, pseudonym, email, password_hash, preferred_language, role, created_at, withdrawn_at) VALUES (11, 9, 'P-NINE', NULL, NULL, 'en', 0, @p0, NULL)", T(T0));
            await Insert("INSERT INTO prompts (id, study_id, text, language, source, parent_prompt_id, scenario_id, external_id, created_at) VALUES (16, 9, 'A park', 'en', 1, NULL, NULL, NULL, @p0)", T(T0));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, width, height, storage_path, flags, created_at) VALUES (18, 9, 16, 'g', 8, 8, 'a.png', 0, @p0)", T(T0));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, width, height, storage_path, flags, created_at) VALUES (19, 9, 16, 'g', 8, 8, 'b.png', 0, @p0)", T(T0));
            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, created_at) VALUES (20, 9, NULL, 18, 19, 0, @p0)", T(T0));
            await Insert("INSERT INTO assignments (id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at) VALUES (21, 11, 20, NULL, '[\"safety\"]', @p0, 'en', @p1)", true, T(T0));
            await Insert("INSERT INTO annotations (id, assignment_id, participant_id, pair_id, comment, client_duration_ms, server_duration_ms, client_request_id, language, submitted_at, slider_steps) VALUES (22, 21, 11, 20, NULL, NULL, NULL, 'r22', 'en', @p0, 4)", T(T0));
            await Insert("INSERT INTO annotation_scores (id, annotation_id, criterion_key, position, score) VALUES (23, 22, 'safety', 0, 0.5)");
        }

        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options)); // through v10 (this one) and later versions
        await using var db = tdb.CreateContext();
        var old = await db.Annotations.Include(a => a.Scores).SingleAsync();
        Assert.Equal((22L, (double?)0.5), (old.Id, old.Scores.Single().Score));
        Assert.Empty(await db.SyntheticRuns.ToListAsync());

        var run = new SyntheticRun { StudyId = 9, Name = "offline-persona-from-study-pairwise", Model = "offline-persona", Endpoint = "offline", Task = SyntheticTask.Pairwise, Personas = "from-study", CreatedAt = T0, InputTokens = 1234567890123 };
        db.SyntheticRuns.Add(run);
        await db.SaveChangesAsync();
        db.SyntheticAnswers.Add(new SyntheticAnswer
        {
            RunId = run.Id,
            PersonaKey = "gender=woman",
            Persona = new() { ["gender"] = "woman" },
            ItemKey = "pair:20:safety:0L",
            PairId = 20,
            CriteriaShown = ["safety"],
            Image0OnLeft = true,
            Scores = [-0.75],
            Status = SyntheticStatus.Ok,
            Attempts = 1,
            CacheKey = "abc",
            AnsweredAt = T0,
        });
        db.SyntheticAnswers.Add(new SyntheticAnswer
        {
            RunId = run.Id,
            PersonaKey = "",
            ItemKey = "pair:20:safety:0L",
            PairId = 20,
            CriteriaShown = ["safety"],
            Image0OnLeft = true,
            Status = SyntheticStatus.Refused,
            Error = "refused: no",
            Attempts = 1,
            CacheKey = "def",
            AnsweredAt = T0,
        });
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        var stored = await db.SyntheticAnswers.OrderBy(a => a.Id).ToListAsync();
        Assert.Equal([-0.75], stored[0].Scores);
        Assert.Equal("woman", stored[0].Persona["gender"]);
        Assert.Equal((SyntheticStatus.Refused, 0), (stored[1].Status, stored[1].Scores.Count));
        Assert.Equal(1234567890123, (await db.SyntheticRuns.SingleAsync()).InputTokens);

        // People's answers are untouched by the synthetic ones.
        Assert.Equal(1, await db.AnnotationScores.CountAsync());

        // One answer per run, persona and item; an answer is about a pair or an image, not both; run names unique per study.
        db.SyntheticAnswers.Add(new SyntheticAnswer { RunId = run.Id, PersonaKey = "gender=woman", ItemKey = "pair:20:safety:0L", PairId = 20, CacheKey = "x", AnsweredAt = T0 });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();
        db.SyntheticAnswers.Add(new SyntheticAnswer { RunId = run.Id, PersonaKey = "gender=man", ItemKey = "both", PairId = 20, ImageId = 18, CacheKey = "x", AnsweredAt = T0 });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();
        db.SyntheticRuns.Add(new SyntheticRun { StudyId = 9, Name = run.Name, Model = "m", Endpoint = "e", Personas = "grid", CreatedAt = T0 });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();

        // Deleting a run removes its answers, and nothing of the people's.
        await db.SyntheticRuns.Where(r => r.Id == run.Id).ExecuteDeleteAsync();
        Assert.Equal((0, 0, 1), (await db.SyntheticRuns.CountAsync(), await db.SyntheticAnswers.CountAsync(), await db.AnnotationScores.CountAsync()));
    }
}

public sealed class SqliteSyntheticStorageTests
{
    [Fact] public Task Upgrade_from_version_9_keeps_peoples_answers_and_stores_synthetic_ones_apart() => SyntheticStorageScenarios.UpgradeFromVersion9KeepsPeoplesAnswersAndStoresSyntheticOnesApart(DatabaseProvider.Sqlite);
}

public sealed class PostgresSyntheticStorageTests
{
    [PostgresFact] public Task Upgrade_from_version_9_keeps_peoples_answers_and_stores_synthetic_ones_apart() => SyntheticStorageScenarios.UpgradeFromVersion9KeepsPeoplesAnswersAndStoresSyntheticOnesApart(DatabaseProvider.Postgres);
}
