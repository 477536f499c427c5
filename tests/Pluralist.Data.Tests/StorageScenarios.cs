using System.Collections;
using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Testing;

namespace Pluralist.Data.Tests;

/// <summary>The storage tests, written once and run on each provider by <see cref="SqliteStorageTests"/> and <see cref="PostgresStorageTests"/>.</summary>
internal static class StorageScenarios
{
    public static async Task SchemaMatchesModel(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        await using var db = tdb.CreateContext();
        await using var connection = await PluralistDatabase.OpenAsync(tdb.Options);
        var tables = await ReadColumnsAsync(connection, provider);

        var mapped = new HashSet<string>();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            mapped.Add(table);
            Assert.True(tables.ContainsKey(table), $"table {table} of {entity.ClrType.Name} is missing");
            var columns = tables[table];
            var propertyColumns = new HashSet<string>();
            foreach (var property in entity.GetProperties())
            {
                var column = property.GetColumnName();
                propertyColumns.Add(column);
                Assert.True(columns.TryGetValue(column, out var info), $"column {table}.{column} ({entity.ClrType.Name}.{property.Name}) is missing");
                var clr = property.GetTypeMapping().Converter?.ProviderClrType ?? property.ClrType;
                clr = Nullable.GetUnderlyingType(clr) ?? clr;
                var expected = ExpectedType(provider, clr);
                Assert.True(string.Equals(expected, info.Type, StringComparison.OrdinalIgnoreCase),
                    $"{table}.{column}: expected {expected} for {clr.Name}, found {info.Type}");
                if (!property.IsPrimaryKey())
                {
                    Assert.True(property.IsNullable == info.Nullable, $"{table}.{column}: nullable in model {property.IsNullable}, in database {info.Nullable}");
                }
            }

            Assert.True(propertyColumns.SetEquals(columns.Keys), $"{table} has columns the model does not map: {string.Join(", ", columns.Keys.Except(propertyColumns))}");
        }

        Assert.Equal(["schema_version"], tables.Keys.Except(mapped).ToArray());

        // Unique indexes carry behaviour (idempotent submits, unique keys): each must exist with the same columns.
        var unique = await ReadUniqueIndexesAsync(connection, provider);
        Assert.Equal(db.Model.GetEntityTypes().SelectMany(e => e.GetIndexes()).Count(i => i.IsUnique), unique.Count);
        foreach (var entity in db.Model.GetEntityTypes())
        {
            foreach (var index in entity.GetIndexes().Where(i => i.IsUnique))
            {
                var name = index.GetDatabaseName()!;
                Assert.True(unique.TryGetValue(name, out var found), $"unique index {name} is missing");
                Assert.Equal((entity.GetTableName()!, string.Join(",", index.Properties.Select(p => p.GetColumnName()))), found);
            }
        }
    }

    private static async Task<Dictionary<string, (string Table, string Columns)>> ReadUniqueIndexesAsync(DbConnection connection, DatabaseProvider provider)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = provider == DatabaseProvider.Sqlite
            ? "SELECT m.name, il.name, ii.name FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii " +
              "WHERE m.type = 'table' AND il.\"unique\" = 1 AND il.origin = 'c' ORDER BY il.name, ii.seqno"
            : "SELECT t.relname, i.relname, a.attname FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid " +
              "JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(ix.indkey::int2[]) " +
              "WHERE n.nspname = current_schema() AND ix.indisunique AND NOT ix.indisprimary ORDER BY i.relname, array_position(ix.indkey::int2[], a.attnum)";
        var result = new Dictionary<string, (string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var index = reader.GetString(1);
            result[index] = result.TryGetValue(index, out var seen)
                ? (seen.Item1, seen.Item2 + "," + reader.GetString(2))
                : (reader.GetString(0), reader.GetString(2));
        }

        return result;
    }

    public static async Task CrudRoundTrip(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        Sample s;
        await using (var db = tdb.CreateContext())
        {
            s = await Sample.WriteAsync(db);
        }

        await using (var db = tdb.CreateContext())
        {
            var study = await StudyStore.FindAsync(db, s.Study.Id.ToString(CultureInfo.InvariantCulture));
            Assert.NotNull(study);
            AssertSame(s.Study, study);
            Assert.Equal(6, study.Criteria.Count);
            for (var i = 0; i < 6; i++)
            {
                AssertSame(s.Study.Criteria.Single(c => c.Key == study.Criteria[i].Key), study.Criteria[i]);
            }

            AssertSame(s.Study.Batches[0], study.Batches.Single());
            Assert.Equal(2, study.ConsentDocuments.Count);
            AssertSame(s.Study.ConsentDocuments[1], study.ConsentDocuments[1]);
            AssertSame(s.Participant, await db.Participants.SingleAsync());
            AssertSame(s.Scenario, await db.Scenarios.SingleAsync());
            AssertSame(s.Prompt, await db.Prompts.SingleAsync(p => p.Id == s.Prompt.Id));
            AssertSame(s.Child, await db.Prompts.SingleAsync(p => p.ParentPromptId == s.Prompt.Id));
            AssertSame(s.Image0, await db.Images.SingleAsync(i => i.Id == s.Image0.Id));
            AssertSame(s.Image1, await db.Images.SingleAsync(i => i.Id == s.Image1.Id));
            AssertSame(s.Pair, await db.Pairs.SingleAsync());
            AssertSame(s.Assignment, await db.Assignments.SingleAsync());
            var annotation = await db.Annotations.Include(a => a.Scores).SingleAsync();
            AssertSame(s.Annotation, annotation);
            Assert.Equal([-1.0, 0.0, null], annotation.Scores.OrderBy(x => x.Position).Select(x => x.Score));
            AssertSame(s.Annotation.Scores[2], await db.AnnotationScores.SingleAsync(x => x.CriterionKey == "diversity"));
            AssertSame(s.Invitation, await db.Invitations.SingleAsync());
            AssertSame(s.Consent, await db.ConsentRecords.SingleAsync());
            AssertSame(s.Identity, await db.IdentityAnswers.SingleAsync());
            AssertSame(s.Report, await db.ImageReports.SingleAsync());
            AssertSame(s.Likert, await db.LikertRatings.SingleAsync());
            AssertSame(s.Audit, await db.AuditEntries.SingleAsync());
            AssertSame(s.Code, await db.OneTimeCodes.SingleAsync());
            AssertSame(s.Applied, await db.AppliedRequests.SingleAsync());
            AssertSame(s.Archived, await db.ArchivedRows.SingleAsync());
            AssertSame(s.Coding, await db.IdentityCodings.SingleAsync());
            var panel = await db.PanelEntries.SingleAsync();
            AssertSame(s.Panel, panel);
            Assert.Equal(s.Panel.Ids.OrderBy(kv => kv.Key), panel.Ids.OrderBy(kv => kv.Key));
            Assert.Equal(s.Study.Panel!.ToString(), study.Panel!.ToString());
            Assert.Equal(QuestionsJson.SerializeIdentityQuestions(s.Study.IdentityQuestions), QuestionsJson.SerializeIdentityQuestions(study.IdentityQuestions));
            Assert.Equal(["18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"], study.IdentityQuestions[0].Options.Select(o => o.Code));

            // Comparisons and ordering on times translate on both providers.
            var after = await db.Annotations.Where(a => a.SubmittedAt > Sample.T0.AddSeconds(9)).OrderByDescending(a => a.SubmittedAt).CountAsync();
            Assert.Equal(1, after);
            Assert.Equal(0, await db.Assignments.CountAsync(a => a.ServedAt > Sample.T0.AddSeconds(5)));

            // Update (JSON columns included) and delete.
            var consent = await db.ConsentRecords.SingleAsync();
            consent.MarkerConsents["disability"] = true;
            var assignment = await db.Assignments.SingleAsync();
            assignment.CriteriaShown.Add("safety2");
            study.Title["de"] = "Öffentliche Räume";
            db.OneTimeCodes.Remove(await db.OneTimeCodes.SingleAsync());
            await db.SaveChangesAsync();
        }

        await using (var db = tdb.CreateContext())
        {
            Assert.True((await db.ConsentRecords.SingleAsync()).MarkerConsents["disability"]);
            Assert.Equal(4, (await db.Assignments.SingleAsync()).CriteriaShown.Count);
            Assert.Equal("Öffentliche Räume", (await db.Studies.SingleAsync()).Title["de"]);
            Assert.Equal(0, await db.OneTimeCodes.CountAsync());
        }
    }

    public static async Task ConstraintsHold(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        Sample s;
        await using (var db = tdb.CreateContext())
        {
            s = await Sample.WriteAsync(db);
        }

        async Task Rejects(Action<PluralistDbContext> change, string what)
        {
            await using var db = tdb.CreateContext();
            change(db);
            var error = await Record.ExceptionAsync(() => db.SaveChangesAsync());
            Assert.True(error is DbUpdateException, $"{what}: expected DbUpdateException, got {error?.GetType().Name ?? "success"}");
        }

        await Rejects(db => db.Annotations.Add(new Annotation { AssignmentId = s.Assignment.Id, ParticipantId = s.Participant.Id, PairId = s.Pair.Id, ClientRequestId = "req-1", SubmittedAt = Sample.T0 }), "duplicate client request id");
        await Rejects(db => db.LikertRatings.Add(new LikertRating { ParticipantId = s.Participant.Id, ImageId = s.Image0.Id, QuestionKey = "harm", Value = 3, ClientRequestId = "lk-1", SubmittedAt = Sample.T0 }), "duplicate likert request id");
        await Rejects(db => db.LikertRatings.Add(new LikertRating { ParticipantId = s.Participant.Id, ImageId = s.Image0.Id, QuestionKey = "harm", Value = 6, ClientRequestId = "lk-2", SubmittedAt = Sample.T0 }), "likert value 6");
        await Rejects(db => db.AnnotationScores.Add(new AnnotationScore { AnnotationId = s.Annotation.Id, CriterionKey = "accessibility", Score = 1.5 }), "score above 1");
        await Rejects(db => db.AnnotationScores.Add(new AnnotationScore { AnnotationId = s.Annotation.Id, CriterionKey = "safety", Score = 0.5 }), "two scores for one criterion");
        await Rejects(db => db.Pairs.Add(new Pair { StudyId = s.Study.Id, Image0Id = s.Image0.Id, Image1Id = s.Image0.Id, CreatedAt = Sample.T0 }), "a pair of one image");
        await Rejects(db => db.Studies.Add(new Study { Key = Defaults.StudyKey, CreatedAt = Sample.T0 }), "duplicate study key");
        await Rejects(db => db.Annotations.Add(new Annotation { AssignmentId = s.Assignment.Id, ParticipantId = s.Participant.Id, PairId = s.Pair.Id, ClientRequestId = "req-2", SubmittedAt = Sample.T0 }), "a second answer to one assignment");
        await Rejects(db => db.LikertRatings.Add(new LikertRating { ParticipantId = s.Participant.Id, ImageId = s.Image0.Id, QuestionKey = "harm", Value = 2, ClientRequestId = "lk-9/harm", SubmittedAt = Sample.T0 }), "a second value for one image and question");
        await Rejects(db => db.AppliedRequests.Add(new AppliedRequest { ParticipantId = s.Participant.Id, Kind = AnswerKind.Comparison, ClientRequestId = "req-1", AssignmentId = s.Assignment.Id, AppliedAt = Sample.T0 }), "an applied request id twice");
        await Rejects(db => db.Criteria.Add(new Criterion { StudyId = s.Study.Id, Key = "safety" }), "duplicate criterion key");
        await Rejects(db => db.Participants.Add(new Participant { Pseudonym = s.Participant.Pseudonym, CreatedAt = Sample.T0 }), "duplicate pseudonym");
        await Rejects(db => db.Invitations.Add(new Invitation { CodeHash = s.Invitation.CodeHash, CreatedAt = Sample.T0, ExpiresAt = Sample.T0 }), "duplicate invitation code");
        await Rejects(db => db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = 999_999, Marker = "gender", AnsweredAt = Sample.T0 }), "unknown participant");
        await Rejects(db => db.IdentityCodings.Add(new IdentityCoding { StudyId = s.Study.Id, QuestionKey = "gender", Answer = "femme", Code = "other", CodedBy = "R-2", CodedAt = Sample.T0 }), "one answer coded twice");

        // The same request id from another participant is fine.
        await using (var db = tdb.CreateContext())
        {
            var other = new Participant { StudyId = s.Study.Id, Pseudonym = "P-OTHER", CreatedAt = Sample.T0 };
            db.Participants.Add(other);
            await db.SaveChangesAsync();
            var theirs = new Assignment { ParticipantId = other.Id, PairId = s.Pair.Id, CriteriaShown = ["safety"], ServedAt = Sample.T0 };
            db.Assignments.Add(theirs);
            await db.SaveChangesAsync();
            db.Annotations.Add(new Annotation { AssignmentId = theirs.Id, ParticipantId = other.Id, PairId = s.Pair.Id, ClientRequestId = "req-1", SubmittedAt = Sample.T0 });
            await db.SaveChangesAsync();
        }
    }

    /// <summary>Version 3 adds the studies' DIVE questions and categories: old studies get empty lists (the defaults); new ones round-trip.</summary>
    public static async Task UpgradeFromVersion2AddsLikertItems(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 2);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at) " +
                "VALUES (7, 'v2', '{}', '{}', 1, 3, 0, @b, @b, 90, 10, 0, 0, 0, 5, '[]', @t)";
            var b = command.CreateParameter();
            b.ParameterName = "@b";
            b.Value = true;
            command.Parameters.Add(b);
            var t = command.CreateParameter();
            t.ParameterName = "@t";
            t.Value = provider == DatabaseProvider.Sqlite ? Sample.T0.ToUnixTimeMilliseconds() : Sample.T0.ToUniversalTime();
            command.Parameters.Add(t);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        await PluralistDatabase.MigrateAsync(tdb.Options);
        await using (var db = tdb.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "v2");
            Assert.Equal(TaskType.Likert, study.TaskType);
            Assert.Empty(study.LikertQuestions);
            Assert.Empty(study.LikertCategories);
            study.LikertQuestions = [LikertItem.Of("harm", "Harm?", "Nuisible ?"), LikertItem.Of("fits", "Fits?", "Convient ?")];
            study.LikertCategories = [LikertItem.Of("violence", "Violence", "Violence")];
            await db.SaveChangesAsync();
        }

        await using (var db = tdb.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "v2");
            Assert.Equal(["harm", "fits"], study.LikertQuestions.Select(q => q.Key));
            Assert.Equal("Nuisible ?", study.LikertQuestions[0].Text["fr"]);
            Assert.Equal("Violence", study.LikertCategories.Single().Text["en"]);
        }
    }

    public static async Task UpgradeKeepsEveryRow(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 1);
        Assert.Equal(1, await PluralistDatabase.GetSchemaVersionAsync(tdb.Options));
        var t = Sample.T0;
        object T(DateTimeOffset v) => StoredTime(provider, v);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            Task Insert(string sql, params object?[] values) => InsertOneRowAsync(connection, sql, values);

            await Insert("INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at) VALUES (7, 'old', @p0, '{}', 2, 2, 5, @p1, @p2, 40, 5, 0.1, 0.05, 1, 3, '[\"gender\"]', @p3)",
                "{\"en\":\"Old\",\"fr\":\"Vieux\"}", false, true, T(t));
            await Insert("INSERT INTO criteria (id, study_id, key, name, definition, position, retired) VALUES (3, 7, 'safety', '{\"en\":\"Safety\"}', '{\"en\":\"Safe?\"}', 1, @p0)", true);
            await Insert("INSERT INTO consent_documents (id, study_id, version, language, text, published_at) VALUES (4, 7, '2', 'fr', 'Texte', @p0)", T(t));
            await Insert("INSERT INTO batches (id, study_id, name, opens_at, closes_at, quota_per_participant, session_cap, break_minutes, distribution, overlap) VALUES (5, 7, 'B', @p0, @p1, 100, 20, NULL, 1, 3)", T(t), T(t.AddDays(1)));
            await Insert("INSERT INTO participants (id, study_id, pseudonym, email, password_hash, preferred_language, role, created_at, withdrawn_at) VALUES (11, 7, 'P-OLD', NULL, 'h', 'fr', 2, @p0, @p1)", T(t), T(t.AddDays(2)));
            await Insert("INSERT INTO invitations (id, study_id, code_hash, email, language, role, created_at, expires_at, used_at, participant_id) VALUES (12, 7, 'ch', 'x@y.z', 'en', 1, @p0, @p1, NULL, 11)", T(t), T(t.AddDays(3)));
            await Insert("INSERT INTO consent_records (id, participant_id, document_version, language, consented_at, marker_consents, withdrawn_at) VALUES (13, 11, '2', 'fr', @p0, '{\"gender\":true}', NULL)", T(t));
            await Insert("INSERT INTO identity_answers (id, participant_id, marker, value, prefer_not_to_say, answered_at) VALUES (14, 11, 'age-band', '30-39', @p0, @p1)", false, T(t));
            await Insert("INSERT INTO scenarios (id, study_id, name, typology, amenities, location) VALUES (15, 7, 'Park', 'park', NULL, 'Lyon')");
            await Insert("INSERT INTO prompts (id, study_id, text, language, source, parent_prompt_id, scenario_id, external_id, created_at) VALUES (16, 7, 'A park', 'en', 1, NULL, 15, 'e16', @p0)", T(t));
            await Insert("INSERT INTO prompts (id, study_id, text, language, source, parent_prompt_id, scenario_id, external_id, created_at) VALUES (17, 7, 'A park at night', 'en', 3, 16, NULL, NULL, @p0)", T(t));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, seed, guidance, steps, width, height, content_hash, storage_path, flags, external_id, created_at) VALUES (18, 7, 16, 'world/1', 9000000000, 5.5, 20, 64, 48, 'hh', 'a.png', 1, NULL, @p0)", T(t));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, seed, guidance, steps, width, height, content_hash, storage_path, flags, external_id, created_at) VALUES (19, 7, 16, 'world/1', NULL, NULL, NULL, 64, 48, NULL, 'b.png', 0, 'x19', @p0)", T(t));
            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, expected_preference, external_id, created_at) VALUES (20, 7, 5, 18, 19, 2, 1.0, NULL, @p0)", T(t));
            await Insert("INSERT INTO assignments (id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at) VALUES (21, 11, 20, 5, '[\"safety\"]', @p0, 'fr', @p1)", true, T(t.AddSeconds(1)));
            await Insert("INSERT INTO annotations (id, assignment_id, participant_id, pair_id, comment, client_duration_ms, server_duration_ms, client_request_id, language, submitted_at) VALUES (22, 21, 11, 20, 'ok', 100, 120, 'r22', 'fr', @p0)", T(t.AddSeconds(2)));
            await Insert("INSERT INTO annotation_scores (id, annotation_id, criterion_key, position, score) VALUES (23, 22, 'safety', 0, -0.25)");
            await Insert("INSERT INTO image_reports (id, image_id, participant_id, assignment_id, reason, comment, reported_at) VALUES (24, 19, 11, 21, 2, 'odd', @p0)", T(t.AddSeconds(3)));
        }

        var progress = new List<string>();
        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options, progress: new SyncProgress(progress)));
        Assert.Equal(["Applying schema version 2: likert audit codes", "Applying schema version 3: cleaning runs", "Applying schema version 4: likert questions", "Applying schema version 5: group quotas",
            "Applying schema version 6: one answer per item", "Schema version 6 found no duplicate rows", "Applying schema version 7: identity questions",
            "Applying schema version 8: overlap places and image parameters", "Applying schema version 9: slider protocol panel", "Applying schema version 10: synthetic raters",
            "Applying schema version 11: study revision", .. PluralistDatabase.Migrations(provider).Where(m => m.Version > 11).Select(m => $"Applying schema version {m.Version}: {m.Description}")], progress);

        await using var db = tdb.CreateContext();
        var study = await StudyStore.FindAsync(db, "old");
        Assert.NotNull(study);
        Assert.Equal((7L, "Vieux", TaskType.Both, 2, 5, false, true, 40, 5, 0.1, 0.05, WithdrawalPolicy.DeleteAnnotations, 3, t),
            (study.Id, study.Title["fr"], study.TaskType, study.CriteriaPerPair, study.SliderSteps, study.ShowPrompt, study.RequireEmail, study.SessionCap, study.BreakMinutes, study.AttentionCheckRate, study.GoldRate, study.WithdrawalPolicy, study.MinGroupSize, study.CreatedAt));
        Assert.Equal(["gender"], study.IdentityMarkers);
        Assert.Empty(study.IdentityQuestions);
        var c = study.Criteria.Single();
        Assert.Equal((3L, "safety", "Safe?", 1, true), (c.Id, c.Key, c.Definition["en"], c.Position, c.Retired));
        Assert.Equal((4L, "2", "fr", "Texte", t), (study.ConsentDocuments[0].Id, study.ConsentDocuments[0].Version, study.ConsentDocuments[0].Language, study.ConsentDocuments[0].Text, study.ConsentDocuments[0].PublishedAt));
        var b = study.Batches.Single();
        Assert.Equal((5L, "B", t, t.AddDays(1), 100, (int?)20, (int?)null, PairDistribution.LeastAnswered, 3), (b.Id, b.Name, b.OpensAt, b.ClosesAt, b.QuotaPerParticipant, b.SessionCap, b.BreakMinutes, b.Distribution, b.Overlap));
        var p = await db.Participants.SingleAsync();
        Assert.Equal((11L, (long?)7, "P-OLD", (string?)null, "h", "fr", Role.Researcher, t, (DateTimeOffset?)t.AddDays(2)), (p.Id, p.StudyId, p.Pseudonym, p.Email, p.PasswordHash, p.PreferredLanguage, p.Role, p.CreatedAt, p.WithdrawnAt));
        var inv = await db.Invitations.SingleAsync();
        Assert.Equal((12L, "ch", "x@y.z", Role.Liaison, t.AddDays(3), (DateTimeOffset?)null, (long?)11), (inv.Id, inv.CodeHash, inv.Email, inv.Role, inv.ExpiresAt, inv.UsedAt, inv.ParticipantId));
        var cr = await db.ConsentRecords.SingleAsync();
        Assert.Equal((13L, "2", t, true), (cr.Id, cr.DocumentVersion, cr.ConsentedAt, cr.MarkerConsents["gender"]));
        var ia = await db.IdentityAnswers.SingleAsync();
        Assert.Equal((14L, "age-band", "30-39", false), (ia.Id, ia.Marker, ia.Value, ia.PreferNotToSay));
        var sc = await db.Scenarios.SingleAsync();
        Assert.Equal((15L, "Park", (string?)null, "Lyon"), (sc.Id, sc.Name, sc.Amenities, sc.Location));
        var prompts = await db.Prompts.OrderBy(x => x.Id).ToListAsync();
        Assert.Equal((16L, PromptSource.Scenario, (long?)15, "e16"), (prompts[0].Id, prompts[0].Source, prompts[0].ScenarioId, prompts[0].ExternalId));
        Assert.Equal((17L, PromptSource.Llm2, (long?)16, "A park at night"), (prompts[1].Id, prompts[1].Source, prompts[1].ParentPromptId, prompts[1].Text));
        var images = await db.Images.OrderBy(x => x.Id).ToListAsync();
        Assert.Equal((18L, (long?)9000000000, (double?)5.5, (int?)20, 64, 48, "hh", ImageFlags.Broken), (images[0].Id, images[0].Seed, images[0].Guidance, images[0].Steps, images[0].Width, images[0].Height, images[0].ContentHash, images[0].Flags));
        Assert.Equal((19L, (long?)null, (string?)null, "b.png", "x19"), (images[1].Id, images[1].Seed, images[1].ContentHash, images[1].StoragePath, images[1].ExternalId));
        var pair = await db.Pairs.SingleAsync();
        Assert.Equal((20L, (long?)5, 18L, 19L, PairKind.AttentionCheck, (double?)1.0), (pair.Id, pair.BatchId, pair.Image0Id, pair.Image1Id, pair.Kind, pair.ExpectedPreference));
        var a = await db.Assignments.SingleAsync();
        Assert.Equal((21L, true, "fr", t.AddSeconds(1)), (a.Id, a.Image0OnLeft, a.Language, a.ServedAt));

        // v14: the pair's count of assignments is filled in by the upgrade.
        Assert.Equal([(20L, 1, 1)], await PairCounts.ReadAsync(db));
        Assert.Equal(["safety"], a.CriteriaShown);
        var an = await db.Annotations.Include(x => x.Scores).SingleAsync();
        Assert.Equal((22L, "ok", (int?)100, (int?)120, "r22", t.AddSeconds(2)), (an.Id, an.Comment, an.ClientDurationMs, an.ServerDurationMs, an.ClientRequestId, an.SubmittedAt));
        Assert.Equal((23L, "safety", (double?)-0.25), (an.Scores[0].Id, an.Scores[0].CriterionKey, an.Scores[0].Score));

        // v8: answers given before it have no recorded slider resolution; studies have no protocol text, contact or panel.
        Assert.Null(an.SliderSteps);
        Assert.Equal(("", "", (PanelSettings?)null), (study.Protocol.Get("en"), study.Contact, study.Panel));
        var r = await db.ImageReports.SingleAsync();
        Assert.Equal((24L, ImageReportReason.Other, "odd", (long?)21, t.AddSeconds(3)), (r.Id, r.Reason, r.Comment, r.AssignmentId, r.ReportedAt));

        // v6: the stored answer's request id counts as applied.
        var applied = await db.AppliedRequests.SingleAsync();
        Assert.Equal((11L, AnswerKind.Comparison, "r22", (long?)21, (long?)null, t.AddSeconds(2)), (applied.ParticipantId, applied.Kind, applied.ClientRequestId, applied.AssignmentId, applied.ImageId, applied.AppliedAt));
        Assert.Empty(await db.ArchivedRows.ToListAsync());

        // New rows continue the old identity sequences and the v2 tables work.
        db.Prompts.Add(new Prompt { StudyId = 7, Text = "new", CreatedAt = t });
        db.LikertRatings.Add(new LikertRating { ParticipantId = 11, ImageId = 18, QuestionKey = "harm", Value = 1, ClientRequestId = "l1", SubmittedAt = t });
        db.AuditEntries.Add(new AuditEntry { StudyId = 7, Action = "schema.upgrade", At = t });
        await db.SaveChangesAsync();
        Assert.True(await db.Prompts.MaxAsync(x => x.Id) > 17);

        // v5: an upgraded study has no quotas until set; quota places are unique per item, group and slot.
        Assert.Null(study.GroupQuotas);
        study.GroupQuotas = new GroupQuotas { Dimensions = [new QuotaDimension { Marker = "gender", Values = ["woman"] }], PerGroup = 1 };
        db.QuotaSlots.Add(new QuotaSlot { StudyId = 7, ItemKind = QuotaItemKind.Pair, ItemId = 20, GroupKey = "woman", Slot = 1, ParticipantId = 11, ReservedAt = t });
        await db.SaveChangesAsync();
        await using (var other = tdb.CreateContext())
        {
            Assert.Equal(1, (await StudyStore.FindAsync(other, "old"))!.GroupQuotas!.PerGroup);
            other.QuotaSlots.Add(new QuotaSlot { StudyId = 7, ItemKind = QuotaItemKind.Pair, ItemId = 20, GroupKey = "woman", Slot = 1, ParticipantId = 11, ReservedAt = t });
            await Assert.ThrowsAsync<DbUpdateException>(() => other.SaveChangesAsync());
        }
    }

    /// <summary>
    /// Version 14 adds each pair's count of assignments, kept by triggers: the upgrade counts the assignments already
    /// stored (in every batch, regular and check pairs alike), and inserts, deletes and a changed pair move it afterwards.
    /// </summary>
    public static async Task UpgradeFromVersion13CountsEachPairsAssignments(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 13);
        var t = Sample.T0;
        object T(DateTimeOffset v) => StoredTime(provider, v);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            Task Insert(string sql, params object?[] values) => InsertOneRowAsync(connection, sql, values);

            await Insert("INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at) VALUES (7, 'counted', '{}', '{}', 2, 1, 0, @p0, @p0, 90, 10, 0, 0, 0, 5, '[]', @p1)", true, T(t));
            await Insert("INSERT INTO batches (id, study_id, name, opens_at, closes_at, quota_per_participant, session_cap, break_minutes, distribution, overlap) VALUES (5, 7, 'B', @p0, @p1, 100, NULL, NULL, 1, 3)", T(t), T(t.AddDays(1)));
            await Insert("INSERT INTO batches (id, study_id, name, opens_at, closes_at, quota_per_participant, session_cap, break_minutes, distribution, overlap) VALUES (6, 7, 'C', @p0, @p1, 100, NULL, NULL, 1, 3)", T(t), T(t.AddDays(1)));
            foreach (var id in new[] { 11, 12, 13 })
            {
                await Insert($"INSERT INTO participants (id, study_id, pseudonym, email, password_hash, preferred_language, role, created_at, withdrawn_at) VALUES ({id}, 7, 'P-{id}', NULL, NULL, 'en', 0, @p0, NULL)", T(t));
            }

            await Insert("INSERT INTO prompts (id, study_id, text, language, source, parent_prompt_id, scenario_id, external_id, created_at) VALUES (16, 7, 'A park', 'en', 0, NULL, NULL, NULL, @p0)", T(t));
            foreach (var id in new[] { 18, 19, 20, 21 })
            {
                await Insert($"INSERT INTO images (id, study_id, prompt_id, generator, seed, guidance, steps, width, height, content_hash, storage_path, flags, external_id, created_at) VALUES ({id}, 7, 16, 'w', NULL, NULL, NULL, 8, 8, NULL, '{id}.png', 0, NULL, @p0)", T(t));
            }

            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, expected_preference, external_id, created_at) VALUES (30, 7, 5, 18, 19, 0, NULL, NULL, @p0)", T(t));
            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, expected_preference, external_id, created_at) VALUES (31, 7, NULL, 19, 20, 2, -1.0, NULL, @p0)", T(t));
            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, expected_preference, external_id, created_at) VALUES (32, 7, 5, 20, 21, 0, NULL, NULL, @p0)", T(t));
            var assignments = new (int Id, int Participant, int Pair, int Batch, string Slot)[] { (40, 11, 30, 5, "1"), (41, 12, 30, 5, "2"), (42, 13, 30, 6, "NULL"), (43, 11, 31, 5, "NULL"), (44, 12, 31, 6, "NULL") };
            foreach (var (id, participant, pair, batch, slot) in assignments)
            {
                await Insert($"INSERT INTO assignments (id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at, overlap_slot) VALUES ({id}, {participant}, {pair}, {batch}, '[\"safety\"]', @p0, 'en', @p1, {slot})", true, T(t));
            }
        }

        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options));
        await using var db = tdb.CreateContext();
        Assert.Equal([(30L, 3, 3), (31L, 2, 2), (32L, 0, 0)], await PairCounts.ReadAsync(db));

        // Afterwards the triggers keep it: an insert through EF, a delete and a moved assignment in plain SQL.
        db.Assignments.Add(new Assignment { ParticipantId = 13, PairId = 32, BatchId = 5, CriteriaShown = ["safety"], ServedAt = t, OverlapSlot = 1 });
        await db.SaveChangesAsync();
        Assert.Equal([(30L, 3, 3), (31L, 2, 2), (32L, 1, 1)], await PairCounts.ReadAsync(db));
        await db.Database.ExecuteSqlRawAsync("DELETE FROM assignments WHERE id IN (40, 43)");
        Assert.Equal([(30L, 2, 2), (31L, 1, 1), (32L, 1, 1)], await PairCounts.ReadAsync(db));
        await db.Database.ExecuteSqlRawAsync("UPDATE assignments SET pair_id = 32 WHERE id = 42");
        Assert.Equal([(30L, 1, 1), (31L, 1, 1), (32L, 2, 2)], await PairCounts.ReadAsync(db));
        await db.Database.ExecuteSqlRawAsync("UPDATE assignments SET language = 'fr' WHERE id = 42");
        Assert.Equal([(30L, 1, 1), (31L, 1, 1), (32L, 2, 2)], await PairCounts.ReadAsync(db));
    }

    /// <summary>
    /// Version 6 adds one answer per assignment and one Likert value per participant, image and question.
    /// Duplicates already stored are moved, whole, to archived_rows (the earliest of each group stays),
    /// counted in the migration's progress and in an audit entry per study; nothing is silently deleted.
    /// </summary>
    public static async Task UpgradeFromVersion5ArchivesDuplicates(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 5);
        var t = Sample.T0;
        object T(DateTimeOffset v) => StoredTime(provider, v);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            Task Insert(string sql, params object?[] values) => InsertOneRowAsync(connection, sql, values);

            await Insert("INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at) VALUES (7, 'dup', '{}', '{}', 2, 1, 0, @p0, @p0, 90, 10, 0, 0, 0, 5, '[]', @p1)", true, T(t));
            await Insert("INSERT INTO batches (id, study_id, name, opens_at, closes_at, quota_per_participant, session_cap, break_minutes, distribution, overlap) VALUES (5, 7, 'B', @p0, @p1, 100, NULL, NULL, 1, 3)", T(t), T(t.AddDays(1)));
            foreach (var (id, pseudonym) in new[] { (11, "P-A"), (12, "P-B") })
            {
                await Insert($"INSERT INTO participants (id, study_id, pseudonym, email, password_hash, preferred_language, role, created_at, withdrawn_at) VALUES ({id}, 7, '{pseudonym}', NULL, NULL, 'en', 0, @p0, NULL)", T(t));
            }

            await Insert("INSERT INTO prompts (id, study_id, text, language, source, parent_prompt_id, scenario_id, external_id, created_at) VALUES (16, 7, 'A park', 'en', 0, NULL, NULL, NULL, @p0)", T(t));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, seed, guidance, steps, width, height, content_hash, storage_path, flags, external_id, created_at) VALUES (18, 7, 16, 'w', NULL, NULL, NULL, 8, 8, NULL, 'a.png', 0, NULL, @p0)", T(t));
            await Insert("INSERT INTO images (id, study_id, prompt_id, generator, seed, guidance, steps, width, height, content_hash, storage_path, flags, external_id, created_at) VALUES (19, 7, 16, 'w', NULL, NULL, NULL, 8, 8, NULL, 'b.png', 0, NULL, @p0)", T(t));
            await Insert("INSERT INTO pairs (id, study_id, batch_id, image_0_id, image_1_id, kind, expected_preference, external_id, created_at) VALUES (20, 7, 5, 18, 19, 0, NULL, NULL, @p0)", T(t));
            await Insert("INSERT INTO assignments (id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at) VALUES (21, 11, 20, 5, '[\"safety\"]', @p0, 'en', @p1)", true, T(t));
            await Insert("INSERT INTO assignments (id, participant_id, pair_id, batch_id, criteria_shown, image_0_on_left, language, served_at) VALUES (22, 12, 20, 5, '[\"safety\"]', @p0, 'en', @p1)", false, T(t));
            foreach (var (id, assignment, participant, request, score, second) in new[] { (31, 21, 11, "r-a", 0.5, 1), (32, 21, 11, "r-b", -0.5, 2), (33, 21, 11, "r-c", 1.0, 3), (34, 22, 12, "r-d", 0.0, 4) })
            {
                await Insert($"INSERT INTO annotations (id, assignment_id, participant_id, pair_id, comment, client_duration_ms, server_duration_ms, client_request_id, language, submitted_at) VALUES ({id}, {assignment}, {participant}, 20, NULL, NULL, NULL, '{request}', 'en', @p0)", T(t.AddSeconds(second)));
                await Insert(string.Create(CultureInfo.InvariantCulture, $"INSERT INTO annotation_scores (id, annotation_id, criterion_key, position, score) VALUES ({id + 10}, {id}, 'safety', 0, {score})"));
            }

            await Insert("INSERT INTO cleaning_runs (id, study_id, rules_version, rules, report, rows_in, rows_out, last_answer_id, created_at) VALUES (51, 7, 't/1', '{}', '{}', 4, 3, 44, @p0)", T(t));
            await Insert("INSERT INTO cleaning_drops (id, run_id, answer_id, rule, reason_code) VALUES (52, 51, 42, 'duplicate', 'DUP')");
            foreach (var (id, participant, question, value, request) in new[] { (61, 11, "harm", 2, "x/harm"), (62, 11, "harm", 5, "y/harm"), (63, 11, "fits", 3, "x/fits"), (64, 12, "harm", 1, "z/harm") })
            {
                await Insert($"INSERT INTO likert_ratings (id, participant_id, image_id, served_at, question_key, value, selected_categories, client_request_id, client_duration_ms, server_duration_ms, language, submitted_at) VALUES ({id}, {participant}, 18, @p0, '{question}', {value}, '[]', '{request}', NULL, NULL, 'en', @p1)", T(t), T(t.AddSeconds(id)));
            }
        }

        var progress = new List<string>();
        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        Assert.Equal(6, await PluralistDatabase.MigrateAsync(tdb.Options, 6, new SyncProgress(progress)));
        Assert.Equal(["Applying schema version 6: one answer per item",
            "Schema version 6 found duplicate rows (2 in annotations, 1 in likert_ratings): the earliest of each group was kept, the others moved to archived_rows"], progress);

        await using var db = tdb.CreateContext();
        Assert.Equal([31L, 34L], await db.Annotations.OrderBy(a => a.Id).Select(a => a.Id).ToListAsync());
        Assert.Equal([41L, 44L], await db.AnnotationScores.OrderBy(x => x.Id).Select(x => x.Id).ToListAsync());
        Assert.Equal(0, await db.CleaningDrops.CountAsync());
        Assert.Equal([61L, 63L, 64L], await db.LikertRatings.OrderBy(r => r.Id).Select(r => r.Id).ToListAsync());

        var archived = await db.ArchivedRows.OrderBy(r => r.SourceTable).ThenBy(r => r.SourceId).ToListAsync();
        Assert.Equal([("annotations", 32L, (long?)31), ("annotations", 33L, (long?)31), ("likert_ratings", 62L, (long?)61)],
            archived.Select(r => (r.SourceTable, r.SourceId, r.KeptId)));
        Assert.All(archived, r => Assert.Equal((6, (long?)11), (r.SchemaVersion, r.ParticipantId)));
        Assert.Contains("assignment 21", archived[0].Reason, StringComparison.Ordinal);
        using (var json = System.Text.Json.JsonDocument.Parse(archived[0].Data))
        {
            var root = json.RootElement;
            Assert.Equal("r-b", root.GetProperty("row").GetProperty("client_request_id").GetString());
            Assert.Equal(-0.5, root.GetProperty("scores")[0].GetProperty("score").GetDouble());
            Assert.Equal("DUP", root.GetProperty("cleaning_drops")[0].GetProperty("reason_code").GetString());
        }

        using (var json = System.Text.Json.JsonDocument.Parse(archived[1].Data))
        {
            Assert.Equal(1.0, json.RootElement.GetProperty("scores")[0].GetProperty("score").GetDouble());
            Assert.Equal(0, json.RootElement.GetProperty("cleaning_drops").GetArrayLength());
        }

        using (var json = System.Text.Json.JsonDocument.Parse(archived[2].Data))
        {
            Assert.Equal(5, json.RootElement.GetProperty("row").GetProperty("value").GetInt32());
        }

        var audit = await db.AuditEntries.SingleAsync();
        Assert.Equal(("schema.archive-duplicates", (long?)7, (long?)null), (audit.Action, audit.StudyId, audit.ActorParticipantId));
        using (var details = System.Text.Json.JsonDocument.Parse(audit.Details))
        {
            Assert.Equal((2, 1), (details.RootElement.GetProperty("annotations").GetInt32(), details.RootElement.GetProperty("likertRatings").GetInt32()));
        }

        // The kept answers' request ids count as applied (a rating's rows share theirs before the '/').
        var applied = await db.AppliedRequests.OrderBy(r => r.Kind).ThenBy(r => r.ClientRequestId).ToListAsync();
        Assert.Equal([(11L, AnswerKind.Comparison, "r-a", (long?)21, (long?)null), (12L, AnswerKind.Comparison, "r-d", (long?)22, (long?)null),
            (11L, AnswerKind.Rating, "x", (long?)null, (long?)18), (12L, AnswerKind.Rating, "z", (long?)null, (long?)18)],
            applied.Select(r => (r.ParticipantId, r.Kind, r.ClientRequestId, r.AssignmentId, r.ImageId)));

        // From now on the database refuses new duplicates.
        db.Annotations.Add(new Annotation { AssignmentId = 21, ParticipantId = 11, PairId = 20, ClientRequestId = "r-e", SubmittedAt = t });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();
        db.LikertRatings.Add(new LikertRating { ParticipantId = 12, ImageId = 18, QuestionKey = "harm", Value = 3, ClientRequestId = "w/harm", SubmittedAt = t });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();

        // Archived rows go with their participant.
        db.Participants.Remove(await db.Participants.SingleAsync(p => p.Id == 11));
        await db.SaveChangesAsync();
        Assert.Equal(0, await db.ArchivedRows.CountAsync());
    }

    // Rows surviving each upgrade (v1 -> latest, through the cleaning-run tables of v3) is UpgradeKeepsEveryRow's job.
    public static async Task CleaningRunsAreStoredBesideEveryRow(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        Sample s;
        await using (var db = tdb.CreateContext())
        {
            s = await Sample.WriteAsync(db);
        }

        await using (var db = tdb.CreateContext())
        {
            AssertSame(s.Annotation, await db.Annotations.SingleAsync());
            AssertSame(s.Likert, await db.LikertRatings.SingleAsync());
            AssertSame(s.Audit, await db.AuditEntries.SingleAsync());
            Assert.Equal(3, await db.AnnotationScores.CountAsync());

            // The v3 tables: a run that drops the sample's first answer, read back as the latest run.
            var dataset = await Pluralist.Data.Datasets.StudyDatasetLoader.LoadAsync(db, s.Study.Key);
            var rules = Core.Cleaning.CleaningRuleSet.Parse("""{ "version": "t/1", "rules": [ { "rule": "duplicate" }, { "rule": "flagged-image" } ] }""", "t.json");
            var run = Core.Cleaning.CleaningEngine.Run(dataset.Rows, rules);
            var record = await Pluralist.Data.Datasets.CleaningStore.SaveAsync(db, s.Study.Id, run, "{}", Sample.T0);
            var latest = await Pluralist.Data.Datasets.CleaningStore.LatestAsync(db, s.Study.Id);
            Assert.NotNull(latest);
            Assert.Equal((record.Id, 3, 0, "t/1"), (latest.Run.Id, latest.Run.RowsIn, latest.Run.RowsOut, latest.Report.RulesVersion));
            Assert.Equal(s.Annotation.Scores.Select(x => x.Id).Order(), latest.Drops.Keys.Order());
            Assert.All(latest.Drops.Values, d => Assert.Equal(("flagged-image", "FLAGGED_IMAGE"), d));
            Assert.Equal(run.Report.Stages.Select(x => x.Dropped), latest.Report.Stages.Select(x => x.Dropped));
        }

        // Deleting an annotation removes its drops; deleting the study removes its runs.
        await using (var db = tdb.CreateContext())
        {
            db.Annotations.Remove(await db.Annotations.SingleAsync());
            await db.SaveChangesAsync();
            Assert.Equal(0, await db.CleaningDrops.CountAsync());
            Assert.Equal(1, await db.CleaningRuns.CountAsync());
        }
    }

    public static async Task MigrationIsIdempotentAndRefusesNewer(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 0);
        Assert.Equal(0, await PluralistDatabase.GetSchemaVersionAsync(tdb.Options));
        Assert.Equal(1, await PluralistDatabase.MigrateAsync(tdb.Options, 1));
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options));
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options));
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options, 1));
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COUNT(*) FROM schema_version";
            Assert.Equal((long)PluralistDatabase.LatestVersion, Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
            command.CommandText = provider == DatabaseProvider.Sqlite
                ? "INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'future', '2099-01-01')"
                : "INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'future', now())";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PluralistDatabase.MigrateAsync(tdb.Options));
        Assert.Contains("schema version 99, newer than this Pluralist", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=pluralist", error.Message, StringComparison.Ordinal);
    }

    public static async Task ConcurrentMigratorsApplyEachVersionOnce(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 0);
        var versions = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PluralistDatabase.MigrateAsync(tdb.Options))));
        Assert.All(versions, v => Assert.Equal(PluralistDatabase.LatestVersion, v));
        await using var connection = await PluralistDatabase.OpenAsync(tdb.Options);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM schema_version";
        Assert.Equal((long)PluralistDatabase.LatestVersion, Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
    }

    public static async Task StudyStoreWorks(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        await using (var db = tdb.CreateContext())
        {
            var created = await StudyStore.EnsureDefaultStudyAsync(db, Sample.T0);
            Assert.Equal(Defaults.StudyKey, created.Key);
        }

        await using (var db = tdb.CreateContext())
        {
            var again = await StudyStore.EnsureDefaultStudyAsync(db, Sample.T0.AddDays(1));
            Assert.Equal(Sample.T0, again.CreatedAt);
            Assert.Equal(["accessibility", "safety", "comfort", "invitingness", "inclusivity", "diversity"], again.Criteria.Select(c => c.Key));
            Assert.Equal(1, await db.Studies.CountAsync());
            Assert.Same(again, await StudyStore.FindAsync(db, Defaults.StudyKey));
            Assert.Null(await StudyStore.FindAsync(db, "nope"));
            Assert.Null(await StudyStore.FindAsync(db, "12345"));
            Assert.Same(again, await StudyStore.FindByIdAsync(db, again.Id));
            Assert.Same(again, await StudyStore.FindByKeyAsync(db, Defaults.StudyKey));
            Assert.Same(again, await StudyStore.FindAsync(db, again.Id.ToString(CultureInfo.InvariantCulture)));
            Assert.Same(again, await StudyStore.FindAsync(db, "id:" + again.Id.ToString(CultureInfo.InvariantCulture)));
            Assert.Same(again, await StudyStore.FindAsync(db, "key:" + Defaults.StudyKey));
            Assert.Null(await StudyStore.FindByKeyAsync(db, again.Id.ToString(CultureInfo.InvariantCulture)));

            // An all-digit key from before the key rule (here equal to the default study's id): look-ups
            // by id never see it, a bare number naming both is refused, key:/id: name each.
            var legacy = new Study { Key = again.Id.ToString(CultureInfo.InvariantCulture), Title = LocalizedText.Of("Legacy", "Ancienne"), CreatedAt = Sample.T0 };
            db.Studies.Add(legacy);
            await db.SaveChangesAsync();
            Assert.Same(again, await StudyStore.FindByIdAsync(db, again.Id));
            Assert.Same(legacy, await StudyStore.FindByKeyAsync(db, legacy.Key));
            var ambiguous = await Assert.ThrowsAsync<ArgumentException>(() => StudyStore.FindAsync(db, legacy.Key));
            Assert.Contains("ambiguous", ambiguous.Message, StringComparison.Ordinal);
            Assert.Contains("key:" + legacy.Key, ambiguous.Message, StringComparison.Ordinal);
            Assert.Same(legacy, await StudyStore.FindAsync(db, "key:" + legacy.Key));
            Assert.Same(again, await StudyStore.FindAsync(db, "id:" + legacy.Key));
            Assert.Same(legacy, await StudyStore.FindAsync(db, legacy.Id.ToString(CultureInfo.InvariantCulture)));
            await Assert.ThrowsAsync<ArgumentException>(() => StudyStore.FindAsync(db, "id:x"));
            db.Studies.Remove(legacy);
            await db.SaveChangesAsync();
            var list = await StudyStore.ListAsync(db);
            Assert.Equal(new StudySummary(again.Id, Defaults.StudyKey, "Public spaces for everyone", 6, 1, 0, 0, 0, 0, 0), Assert.Single(list));
        }

        await using var tdb2 = await TestDatabase.CreateAsync(provider);
        await using (var db = tdb2.CreateContext())
        {
            var s = await Sample.WriteAsync(db);
            db.Studies.Add(new Study { Key = "second", Title = LocalizedText.Of("Second", "Deuxième"), CreatedAt = Sample.T0 });
            await db.SaveChangesAsync();
            var list = await StudyStore.ListAsync(db);
            Assert.Equal(2, list.Count);
            Assert.Equal(new StudySummary(s.Study.Id, Defaults.StudyKey, "Public spaces for everyone", 6, 1, 2, 2, 1, 1, 1), list[0]);
            Assert.Equal(("second", 0, 0), (list[1].Key, list[1].Criteria, list[1].Annotations));
        }
    }

    private static string ExpectedType(DatabaseProvider provider, Type clr) => provider == DatabaseProvider.Sqlite
        ? clr == typeof(string) ? "TEXT" : clr == typeof(double) ? "REAL" : clr == typeof(long) || clr == typeof(int) || clr == typeof(bool) ? "INTEGER" : "unmapped " + clr.Name
        : clr == typeof(string) ? "text" : clr == typeof(double) ? "double precision" : clr == typeof(long) ? "bigint" : clr == typeof(int) ? "integer"
        : clr == typeof(bool) ? "boolean" : clr == typeof(DateTimeOffset) ? "timestamp with time zone" : "unmapped " + clr.Name;

    private static async Task<Dictionary<string, Dictionary<string, (string Type, bool Nullable)>>> ReadColumnsAsync(DbConnection connection, DatabaseProvider provider)
    {
        var result = new Dictionary<string, Dictionary<string, (string, bool)>>();
        await using var command = connection.CreateCommand();
        command.CommandText = provider == DatabaseProvider.Sqlite
            ? "SELECT m.name, c.name, c.type, c.\"notnull\" FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            : "SELECT table_name, column_name, data_type, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END FROM information_schema.columns WHERE table_schema = current_schema()";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var table = reader.GetString(0);
            if (!result.TryGetValue(table, out var columns))
            {
                result[table] = columns = [];
            }

            columns[reader.GetString(1)] = (reader.GetString(2), Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture) == 0);
        }

        return result;
    }

    /// <summary>Every scalar property (times by instant, JSON-mapped values by content) is equal.</summary>
    public static void AssertSame<T>(T expected, T actual)
    {
        Assert.NotNull(actual);
        foreach (var property in typeof(T).GetProperties())
        {
            var type = property.PropertyType;
            var e = property.GetValue(expected);
            var a = property.GetValue(actual);
            if (type == typeof(List<string>))
            {
                Assert.Equal((List<string>)e!, (List<string>)a!);
            }
            else if (type == typeof(PanelSettings))
            {
                Assert.Equal(e?.ToString(), a?.ToString());
            }
            else if (type == typeof(Dictionary<string, bool>))
            {
                Assert.Equal(((Dictionary<string, bool>)e!).OrderBy(kv => kv.Key), ((Dictionary<string, bool>)a!).OrderBy(kv => kv.Key));
            }
            else if (typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(string) && type != typeof(LocalizedText))
            {
                continue;
            }
            else
            {
                Assert.True(Equals(e, a), $"{typeof(T).Name}.{property.Name}: expected {e}, found {a}");
            }
        }
    }

    private sealed class SyncProgress(List<string> sink) : IProgress<string>
    {
        public void Report(string value) => sink.Add(value);
    }

    /// <summary>A timestamp as each provider's schema stores it: Unix milliseconds on SQLite, UTC on PostgreSQL.</summary>
    internal static object StoredTime(DatabaseProvider provider, DateTimeOffset v) =>
        provider == DatabaseProvider.Sqlite ? v.ToUnixTimeMilliseconds() : v.ToUniversalTime();

    /// <summary>Runs one INSERT with positional parameters @p0, @p1, ... and checks that it wrote one row.</summary>
    internal static async Task InsertOneRowAsync(DbConnection connection, string sql, object?[] values)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
            p.Value = values[i] ?? DBNull.Value;
            command.Parameters.Add(p);
        }

        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
