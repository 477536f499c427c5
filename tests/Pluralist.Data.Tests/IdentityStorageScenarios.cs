using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data.Datasets;
using Pluralist.Testing;

namespace Pluralist.Data.Tests;

/// <summary>Identity questions and the coding table on a real database of either provider.</summary>
public static class IdentityStorageScenarios
{
    private static readonly DateTimeOffset T0 = Sample.T0;

    /// <summary>A DIVE study with four participants: coded, uncoded, prefer-not-to-say and unconsented answers.</summary>
    private static async Task<(Study Study, long[] People)> SeedAsync(PluralistDbContext db)
    {
        var study = new Study { Key = "dive-like", Title = LocalizedText.Of("D", "D"), CreatedAt = T0 };
        study.UseIdentityQuestions([.. IdentityPresets.Dive(), IdentityQuestion.FreeText("pets")]);
        study.IdentityQuestions[3].Consent = LocalizedText.Of("Keep my pets", "Gardez mes animaux");
        db.Studies.Add(study);
        await db.SaveChangesAsync();
        var answers = new[]
        {
            (Gender: "woman", Age: "23", Ethnicity: "black", Pets: "Cat", Consent: true),
            (Gender: "man", Age: "52", Ethnicity: "white", Pets: "  cat ", Consent: true),
            (Gender: "woman", Age: (string?)null, Ethnicity: "asian", Pets: "dog", Consent: true),
            (Gender: "man", Age: "30", Ethnicity: "latine", Pets: "parrot", Consent: false),
        };
        var people = new List<long>();
        for (var i = 0; i < answers.Length; i++)
        {
            var a = answers[i];
            var p = new Participant { StudyId = study.Id, Pseudonym = $"P-ID{i}", CreatedAt = T0 };
            db.Participants.Add(p);
            await db.SaveChangesAsync();
            people.Add(p.Id);
            db.ConsentRecords.Add(new ConsentRecord
            {
                ParticipantId = p.Id,
                DocumentVersion = "1",
                ConsentedAt = T0,
                MarkerConsents = study.IdentityMarkers.ToDictionary(m => m, _ => a.Consent),
            });
            db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = p.Id, Marker = "gender", Value = a.Gender, AnsweredAt = T0 });
            db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = p.Id, Marker = "age", Value = a.Age, PreferNotToSay = a.Age is null, AnsweredAt = T0 });
            db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = p.Id, Marker = "ethnicity", Value = a.Ethnicity, AnsweredAt = T0 });
            db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = p.Id, Marker = "pets", Value = a.Pets, AnsweredAt = T0 });
        }

        await db.SaveChangesAsync();
        return (study, [.. people]);
    }

    public static async Task QuestionsAndCodingsAreStoredAndUsedForGroups(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        long[] people;
        long studyId;
        await using (var db = tdb.CreateContext())
        {
            var (study, ids) = await SeedAsync(db);
            people = ids;
            studyId = study.Id;
        }

        await using (var db = tdb.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Id == studyId);
            Assert.Equal(["gender", "age", "ethnicity", "pets"], study.IdentityQuestions.Select(q => q.Key));
            Assert.Equal(IdentityQuestionKind.Number, study.IdentityQuestions[1].Kind);
            Assert.Equal((18.0, 120.0), (study.IdentityQuestions[1].Min!.Value, study.IdentityQuestions[1].Max!.Value));
            Assert.Equal(["genz", "millennial", "genx-plus"], study.IdentityQuestions[1].Bands.Select(b => b.Code));
            Assert.Null(study.IdentityQuestions[1].Bands[2].Max);
            Assert.Equal("Gardez mes animaux", study.IdentityQuestions[3].Consent.Get("fr"));
            Assert.Equal("Noire", study.IdentityQuestions[2].Options[1].Label.Get("fr"));

            // The trisection, coded: the age in years falls in its band; no consent, or prefer not to say, no group.
            var groups = await StudyDatasetLoader.ConsentedGroupsAsync(db, people, ["gender", "age", "ethnicity"]);
            Assert.Equal(new Dictionary<long, string> { [people[0]] = "woman/genz/black", [people[1]] = "man/genx-plus/white" }, groups);

            // Free text before coding: each trimmed answer its own group.
            var pets = await StudyProvenance.ConsentedMarkersAsync(db, people, ["pets"]);
            Assert.Equal(["Cat", "cat", "dog"], people.Where(pets.ContainsKey).Select(p => pets[p]["pets"]));

            var toCode = await IdentityCodingStore.AnswersToCodeAsync(db, study);
            Assert.Equal([("pets", "cat", 2), ("pets", "dog", 1)], toCode.Select(a => (a.QuestionKey, a.Answer, a.Participants)));
            Assert.DoesNotContain(toCode, a => a.Answer == "parrot");

            Assert.Empty(await IdentityCodingStore.SetAsync(db, study, "pets", "CAT", "feline", "R-1", null, T0.AddDays(1)));
            Assert.Empty(await IdentityCodingStore.SetAsync(db, study, "pets", "dog", "canine", "R-1", null, T0.AddDays(1)));
            Assert.Empty(await IdentityCodingStore.SetAsync(db, study, "pets", "dog", "mammal", "R-2", null, T0.AddDays(2)));
            var problems = await IdentityCodingStore.SetAsync(db, study, "shoes", " ", "a/b", "R-1", null, T0);
            Assert.Equal(["question", "answer", "code"], problems.Select(p => p.Field));
        }

        await using (var db = tdb.CreateContext())
        {
            var rows = await IdentityCodingStore.ListAsync(db, studyId);
            Assert.Equal([("cat", "feline", "R-1"), ("dog", "mammal", "R-2")], rows.Select(r => (r.Answer, r.Code, r.CodedBy)));
            Assert.Equal(T0.AddDays(2), rows[1].CodedAt);
            var audit = await db.AuditEntries.Where(a => a.Action == "identity.code").OrderBy(a => a.Id).ToListAsync();
            Assert.Equal(3, audit.Count);
            Assert.Contains("\"before\":\"canine\",\"after\":\"mammal\"", audit[2].Details, StringComparison.Ordinal);

            var pets = await StudyProvenance.ConsentedMarkersAsync(db, people, ["pets"]);
            Assert.Equal(["feline", "feline", "mammal"], people.Where(pets.ContainsKey).Select(p => pets[p]["pets"]));
            var study = await db.Studies.SingleAsync(s => s.Id == studyId);
            Assert.All(await IdentityCodingStore.AnswersToCodeAsync(db, study), a => Assert.True(a.Coded));

            // Removing a coding gives the answer its own group back.
            Assert.Empty(await IdentityCodingStore.SetAsync(db, study, "pets", "dog", null, "R-2", null, T0.AddDays(3)));
            var again = await StudyProvenance.ConsentedMarkersAsync(db, people, ["pets"]);
            Assert.Equal("dog", again[people[2]]["pets"]);
            Assert.Equal(4, await db.AuditEntries.CountAsync(a => a.Action == "identity.code"));
        }
    }

    public static async Task UpgradeFromVersion6KeepsMarkersAndCodesOldAnswers(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider, version: 6);
        object T(DateTimeOffset v) => StorageScenarios.StoredTime(provider, v);
        await using (var connection = await PluralistDatabase.OpenAsync(tdb.Options))
        {
            Task Insert(string sql, params object?[] values) => StorageScenarios.InsertOneRowAsync(connection, sql, values);
            await Insert("INSERT INTO studies (id, key, title, description, task_type, criteria_per_pair, slider_steps, show_prompt, require_email, session_cap, break_minutes, attention_check_rate, gold_rate, withdrawal_policy, min_group_size, identity_markers, created_at, likert_questions, likert_categories, group_quotas) " +
                "VALUES (7, 'v6', '{\"en\":\"Six\"}', '{}', 0, 3, 0, @p0, @p1, 90, 10, 0, 0, 0, 5, '[\"age-band\",\"gender\",\"pets\"]', @p2, '[{\"key\":\"harm\",\"text\":{\"en\":\"Harm?\"}}]', '[]', '{\"dimensions\":[{\"marker\":\"gender\",\"values\":[\"woman\"]}],\"perGroup\":2,\"unstratified\":0}')",
                true, false, T(T0));
            await Insert("INSERT INTO participants (id, study_id, pseudonym, email, password_hash, preferred_language, role, created_at, withdrawn_at) VALUES (11, 7, 'P-SIX', NULL, NULL, 'fr', 0, @p0, NULL)", T(T0));
            await Insert("INSERT INTO consent_records (id, participant_id, document_version, language, consented_at, marker_consents, withdrawn_at) VALUES (13, 11, '1', 'fr', @p0, '{\"age-band\":true,\"gender\":true,\"pets\":true}', NULL)", T(T0));
            await Insert("INSERT INTO identity_answers (id, participant_id, marker, value, prefer_not_to_say, answered_at) VALUES (14, 11, 'age-band', '25–34', @p0, @p1)", false, T(T0));
            await Insert("INSERT INTO identity_answers (id, participant_id, marker, value, prefer_not_to_say, answered_at) VALUES (15, 11, 'gender', 'woman', @p0, @p1)", false, T(T0));
            await Insert("INSERT INTO identity_answers (id, participant_id, marker, value, prefer_not_to_say, answered_at) VALUES (16, 11, 'pets', 'Tortoise', @p0, @p1)", false, T(T0));
        }

        await PluralistDatabase.SyncIdentitiesAsync(tdb.Options);
        Assert.Equal(PluralistDatabase.LatestVersion, await PluralistDatabase.MigrateAsync(tdb.Options));
        await using (var db = tdb.CreateContext())
        {
            var study = await db.Studies.SingleAsync(s => s.Key == "v6");
            Assert.Equal(["age-band", "gender", "pets"], study.IdentityMarkers);
            Assert.Empty(study.IdentityQuestions);
            Assert.Equal("harm", study.LikertQuestions.Single().Key);
            Assert.Equal("woman", study.GroupQuotas!.Dimensions.Single().Values.Single());
            Assert.Equal(3, await db.IdentityAnswers.CountAsync());

            // Stored before questions existed: the markers resolve to the LIVS preset (the en-dash band is its option) or to free text.
            var groups = await StudyProvenance.ConsentedMarkersAsync(db, [11], study.IdentityMarkers);
            Assert.Equal(new Dictionary<string, string> { ["age-band"] = "25-34", ["gender"] = "woman", ["pets"] = "Tortoise" }, groups[11]);

            study.UseIdentityQuestions(IdentityPresets.Dive());
            await db.SaveChangesAsync();
            db.IdentityCodings.Add(new IdentityCoding { StudyId = study.Id, QuestionKey = "gender", Answer = "woman", Code = "w", CodedBy = "R", CodedAt = T0 });
            await db.SaveChangesAsync();
        }

        await using (var db = tdb.CreateContext())
        {
            Assert.Equal(["gender", "age", "ethnicity"], (await db.Studies.SingleAsync()).IdentityQuestions.Select(q => q.Key));
            Assert.Equal("w", (await StudyDatasetLoader.ConsentedGroupsAsync(db, [11], ["gender"]))[11]);
        }
    }
}

public sealed class SqliteIdentityStorageTests
{
    [Fact] public Task Questions_and_codings_are_stored_and_used_for_groups() => IdentityStorageScenarios.QuestionsAndCodingsAreStoredAndUsedForGroups(DatabaseProvider.Sqlite);
    [Fact] public Task Upgrade_from_version_6_keeps_markers_and_codes_old_answers() => IdentityStorageScenarios.UpgradeFromVersion6KeepsMarkersAndCodesOldAnswers(DatabaseProvider.Sqlite);
}

public sealed class PostgresIdentityStorageTests
{
    [PostgresFact] public Task Questions_and_codings_are_stored_and_used_for_groups() => IdentityStorageScenarios.QuestionsAndCodingsAreStoredAndUsedForGroups(DatabaseProvider.Postgres);
    [PostgresFact] public Task Upgrade_from_version_6_keeps_markers_and_codes_old_answers() => IdentityStorageScenarios.UpgradeFromVersion6KeepsMarkersAndCodesOldAnswers(DatabaseProvider.Postgres);
}
