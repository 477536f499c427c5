using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Testing;

namespace Pluralist.Data.Tests;

/// <summary>Overlap K's rater places (schema version 8) on a real database of either provider.</summary>
public static class OverlapStorageScenarios
{
    /// <summary>
    /// A version 7 database with two pairs: a regular pair given to three participants (one of them twice) and an
    /// attention check. The upgrade numbers the regular pair's places in the order they were made, leaves the repeat
    /// and the check without one, and from then on the database refuses a second holder of a place or of a pair.
    /// </summary>
    public static async Task UpgradeFromVersion7NumbersPlacesAndEnforcesThem(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 7);
        var t = Sample.T0;
        object T(DateTimeOffset v) => StorageScenarios.StoredTime(provider, v);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            Task Insert(string sql, params object?[] values) => StorageScenarios.InsertOneRowAsync(connection, sql, values);
            await Insert("INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at, likert_questions, likert_categories, group_quotas, identity_questions) " +
                "VALUES (7, 'v7', '{}', '{}', 0, 1, 0, @p0, @p0, 90, 10, 0, 0, 0, 5, '[]', @p1, '[]', '[]', NULL, '[]')", true, T(t));
            await Insert("INSERT INTO batches (id, study_id, name, opens_at, closes_at, quota_per_participant, session_cap, break_minutes, distribution, overlap) VALUES (5, 7, 'B', @p0, @p1, 100, NULL, NULL, 0, 1)", T(t), T(t.AddDays(1)));
            foreach (var id in new[] { 11, 12, 13 })
            {
                await Insert($"INSERT INTO participants (id, study_id, pseudonym, email, password_hash, preferred_language, role, created_at, withdrawn_at) VALUES ({id}, 7, 'P-{id}', NULL, NULL, 'en', 0, @p0, NULL)", T(t));
            }

            await Insert("INSERT INTO prompts (id, study_id, text, language, source, parent_prompt_id, scenario_id, external_id, created_at) VALUES (16, 7, 'A park', 'en', 0, NULL, NULL, NULL, @p0)", T(t));
            foreach (var (id, file) in new[] { (18, "a.png"), (19, "b.png") })
            {
                await Insert($"INSERT INTO images (id, study_id, prompt_id, generator, seed, guidance, steps, width, height, content_hash, storage_path, flags, external_id, created_at) VALUES ({id}, 7, 16, 'w', NULL, NULL, NULL, 8, 8, NULL, '{file}', 0, NULL, @p0)", T(t));
            }

            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, expected_preference, external_id, created_at) VALUES (20, 7, 5, 18, 19, 0, NULL, NULL, @p0)", T(t));
            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, expected_preference, external_id, created_at) VALUES (30, 7, 5, 19, 18, 2, -1, NULL, @p0)", T(t));
            foreach (var (id, participant, pair) in new[] { (21, 12, 20), (22, 11, 20), (23, 12, 20), (24, 13, 20), (25, 11, 30), (26, 12, 30) })
            {
                await Insert($"INSERT INTO assignments (id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at) VALUES ({id}, {participant}, {pair}, 5, '[\"safety\"]', @p0, 'en', @p1)", true, T(t));
            }
        }

        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        Assert.Equal(8, await PluralistDatabase.MigrateAsync(tdb.Options, 8));
        await using (var db = tdb.CreateContext())
        {
            var places = await db.Assignments.OrderBy(a => a.Id).Select(a => new { a.Id, a.OverlapSlot }).ToListAsync();
            Assert.Equal([(21L, (int?)1), (22L, 2), (23L, null), (24L, 3), (25L, null), (26L, null)], places.Select(p => (p.Id, p.OverlapSlot)));
            Assert.Equal(1, (await db.Batches.SingleAsync()).Overlap); // a stored batch keeps its overlap

            // A place already held, or a second place of the same pair for one participant, is refused by the database.
            db.Assignments.Add(new Assignment { ParticipantId = 13, PairId = 20, BatchId = 5, CriteriaShown = ["safety"], Language = "en", ServedAt = t, OverlapSlot = 2 });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
            db.Assignments.Add(new Assignment { ParticipantId = 11, PairId = 20, BatchId = 5, CriteriaShown = ["safety"], Language = "en", ServedAt = t, OverlapSlot = 4 });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();

            // Without a place (a check, a quota place) a participant may be given a pair as before.
            db.Assignments.Add(new Assignment { ParticipantId = 13, PairId = 30, BatchId = 5, CriteriaShown = ["safety"], Language = "en", ServedAt = t });
            db.Assignments.Add(new Assignment { ParticipantId = 13, PairId = 30, BatchId = 5, CriteriaShown = ["safety"], Language = "en", ServedAt = t });
            await db.SaveChangesAsync();
            Assert.Equal(4, await db.Assignments.CountAsync(a => a.PairId == 30));
        }
    }
}

public sealed class SqliteOverlapStorageTests
{
    [Fact] public Task Upgrade_from_version_7_numbers_rater_places_and_enforces_them() => OverlapStorageScenarios.UpgradeFromVersion7NumbersPlacesAndEnforcesThem(DatabaseProvider.Sqlite);
}

public sealed class PostgresOverlapStorageTests
{
    [PostgresFact] public Task Upgrade_from_version_7_numbers_rater_places_and_enforces_them() => OverlapStorageScenarios.UpgradeFromVersion7NumbersPlacesAndEnforcesThem(DatabaseProvider.Postgres);
}
