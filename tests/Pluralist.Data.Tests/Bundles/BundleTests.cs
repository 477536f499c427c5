using Pluralist.Core.Model;
using Pluralist.Data.Bundles;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Bundles;

public sealed class SqliteBundleTests
{
    [Fact] public Task Export_import_export_gives_the_same_files() => BundleScenarios.ExportImportExportIsIdentical(DatabaseProvider.Sqlite);
    [Fact] public Task Export_carries_only_consented_markers() => BundleScenarios.ExportCarriesOnlyConsentedMarkers(DatabaseProvider.Sqlite);
    [Fact] public Task Bad_bundle_is_rejected_with_locations_and_nothing_written() => BundleScenarios.BadBundleIsRejectedWithLocationsAndNothingWritten(DatabaseProvider.Sqlite);
    [Fact] public Task Fault_halfway_leaves_database_and_store_as_they_were() => BundleScenarios.FaultHalfwayLeavesDatabaseAndStoreAsTheyWere(DatabaseProvider.Sqlite);
    [Fact] public Task Key_and_pseudonym_conflicts_are_reported() => BundleScenarios.ConflictsAreReported(DatabaseProvider.Sqlite);
    [Fact] public Task Aipithet_export_imports() => BundleScenarios.AipithetExportImports(DatabaseProvider.Sqlite);
    [Fact] public Task Bad_aipithet_export_is_rejected() => BundleScenarios.BadAipithetExportIsRejected(DatabaseProvider.Sqlite);
}

public sealed class PostgresBundleTests
{
    [PostgresFact] public Task Export_import_export_gives_the_same_files() => BundleScenarios.ExportImportExportIsIdentical(DatabaseProvider.Postgres);
    [PostgresFact] public Task Export_carries_only_consented_markers() => BundleScenarios.ExportCarriesOnlyConsentedMarkers(DatabaseProvider.Postgres);
    [PostgresFact] public Task Bad_bundle_is_rejected_with_locations_and_nothing_written() => BundleScenarios.BadBundleIsRejectedWithLocationsAndNothingWritten(DatabaseProvider.Postgres);
    [PostgresFact] public Task Fault_halfway_leaves_database_and_store_as_they_were() => BundleScenarios.FaultHalfwayLeavesDatabaseAndStoreAsTheyWere(DatabaseProvider.Postgres);
    [PostgresFact] public Task Key_and_pseudonym_conflicts_are_reported() => BundleScenarios.ConflictsAreReported(DatabaseProvider.Postgres);
    [PostgresFact] public Task Aipithet_export_imports() => BundleScenarios.AipithetExportImports(DatabaseProvider.Postgres);
    [PostgresFact] public Task Bad_aipithet_export_is_rejected() => BundleScenarios.BadAipithetExportIsRejected(DatabaseProvider.Postgres);
}

public sealed class BundleFormatTests
{
    [Theory]
    [InlineData("00:00:12.345", 12345)]
    [InlineData("00:00:09", 9000)]
    [InlineData("01:02:03.5", 3723500)]
    [InlineData("1 day 02:00:00", 93600000)]
    [InlineData("2 days", 172800000)]
    [InlineData("@ 3 mins 2.5 secs", 182500)]
    [InlineData("PT30S", 30000)]
    [InlineData("PT1M0.25S", 60250)]
    [InlineData("P1DT1H", 90000000)]
    [InlineData("\"00:00:01\"", 1000)]
    public void Intervals_are_read_in_milliseconds(string text, long expected)
    {
        Assert.True(AipithetReader.TryParseInterval(text, out var ms), text);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 seconds ago")]
    [InlineData("1 mon 2 days")]
    [InlineData("-00:00:01")]
    [InlineData("00:61")]
    public void Bad_intervals_are_refused(string text) => Assert.False(AipithetReader.TryParseInterval(text, out _), text);

    [Theory]
    [InlineData("Accessibility", "accessibility")]
    [InlineData("Invitingness / Convivialité", "invitingness-convivialite")]
    [InlineData("  Sécurité!! ", "securite")]
    public void Slugs_are_ascii_keys(string text, string slug) => Assert.Equal(slug, AipithetReader.Slug(text));

    [Fact]
    public void Json_locations_name_the_line_of_each_value()
    {
        var where = JsonLocations.Index("{\n  \"a\": 1,\n  \"list\": [\n    {\"k\": 2},\n    {\"k\":\n      3}\n  ]\n}"u8);
        Assert.Equal(2, where.LineOf("$.a"));
        Assert.Equal(4, where.LineOf("$.list[0].k"));
        Assert.Equal(6, where.LineOf("$.list[1].k"));
        Assert.Equal(5, where.LineOf("$.list[1].missing"));
    }

    [Fact]
    public void Bad_group_quotas_in_study_json_are_located()
    {
        var json = """
            {
              "key": "dive",
              "title": {"en": "DIVE"},
              "identityMarkers": ["gender"],
              "groupQuotas": {
                "dimensions": [
                  {"marker": "shoe-size", "values": []}
                ],
                "perGroup": 0
              },
              "criteriaPerPair": 1,
              "criteria": [{"key": "safety", "name": {"en": "Safety"}}]
            }
            """;
        var errors = new List<Pluralist.Core.Text.CsvError>();
        StudyJsonFormat.Read(System.Text.Encoding.UTF8.GetBytes(json), errors);
        Assert.Equal(["study.json:7 ($.groupQuotas.dimensions[0].marker)", "study.json:9 ($.groupQuotas.perGroup)"],
            errors.Select(e => $"{e.File}:{e.Line} ({e.Field})"));
    }

    [Fact]
    public void Bad_questions_in_study_json_are_located()
    {
        var json = """
            {
              "key": "dive",
              "title": {"en": "DIVE"},
              "identityQuestions": [
                {"key": "gender", "text": {"en": "Gender"}, "kind": "single-choice", "consent": {"en": "Keep it"},
                 "options": [{"code": "woman", "label": {"en": "Woman"}}, {"code": "wo/man", "label": {"en": "?"}}]},
                {"key": "age", "text": {"en": "Age"}, "kind": "decade", "consent": {"en": "Keep it"}},
                {"key": "gender", "text": {"en": "Again"}, "kind": "number", "consent": {},
                 "bands": [{"code": "young", "min": 18, "max": 40}, {"code": "old", "min": 30}]}
              ],
              "identityCodings": [{"question": "shoes", "answer": "big", "code": "large"}],
              "likertQuestions": [{"key": "Harm Self", "text": {"en": "Harm?"}}, {"key": "harm", "text": {}}],
              "likertCategories": [{"key": "bias", "text": {"en": "Bias"}}, {"key": "bias", "text": {"en": "Bias again"}}],
              "groupQuotas": {"dimensions": [{"marker": "gender", "values": ["woman", "man"]}], "perGroup": 5},
              "criteriaPerPair": 1,
              "criteria": [{"key": "safety", "name": {"en": "Safety"}}]
            }
            """;
        var errors = new List<Pluralist.Core.Text.CsvError>();
        StudyJsonFormat.Read(System.Text.Encoding.UTF8.GetBytes(json), errors);
        Assert.Equal(
            ["study.json:6 ($.identityQuestions[0].options[1].code)", "study.json:7 ($.identityQuestions[1].kind)",
             "study.json:8 ($.identityQuestions[2].consent)", "study.json:8 ($.identityQuestions[2].key)", "study.json:9 ($.identityQuestions[2].bands[1])",
             "study.json:11 ($.identityCodings[0].question)", "study.json:12 ($.likertQuestions[0].key)", "study.json:12 ($.likertQuestions[1].text)",
             "study.json:13 ($.likertCategories[1].key)", "study.json:14 ($.groupQuotas.dimensions[0].values)"],
            errors.OrderBy(e => e.Line).ThenBy(e => e.Field, StringComparer.Ordinal).Select(e => $"{e.File}:{e.Line} ({e.Field})"));
        Assert.Contains("'man' is not a group of 'gender' (woman, wo/man)", errors[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_study_json_without_the_new_lists_reads_as_before()
    {
        var json = """
            {"key": "old", "title": {"en": "Old"}, "identityMarkers": ["gender"], "criteriaPerPair": 1,
             "criteria": [{"key": "safety", "name": {"en": "Safety"}}]}
            """;
        var errors = new List<Pluralist.Core.Text.CsvError>();
        var (study, _, codings) = StudyJsonFormat.Read(System.Text.Encoding.UTF8.GetBytes(json), errors);
        Assert.Empty(errors);
        Assert.Equal(["gender"], study!.IdentityMarkers);
        Assert.Empty(study.IdentityQuestions);
        Assert.Empty(study.LikertQuestions);
        Assert.Empty(codings);
        Assert.Equal(IdentityQuestionKind.FreeText, study.QuestionFor("gender").Kind);
    }

    [Fact]
    public void Missing_study_json_says_what_to_do()
    {
        var dir = Directory.CreateTempSubdirectory("pluralist-empty-").FullName;
        var error = Assert.Throws<BundleException>(() => BundleReader.Read(dir));
        Assert.Contains("--format aipithet", error.Message, StringComparison.Ordinal);
        Assert.Throws<BundleException>(() => BundleReader.Read(Path.Combine(dir, "absent")));
    }
}
