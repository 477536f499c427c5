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
    public void Missing_study_json_says_what_to_do()
    {
        var dir = Directory.CreateTempSubdirectory("pluralist-empty-").FullName;
        var error = Assert.Throws<BundleException>(() => BundleReader.Read(dir));
        Assert.Contains("--format aipithet", error.Message, StringComparison.Ordinal);
        Assert.Throws<BundleException>(() => BundleReader.Read(Path.Combine(dir, "absent")));
    }
}
