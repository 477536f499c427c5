using Pluralist.Testing;

namespace Pluralist.Data.Tests;

public sealed class SqliteStorageTests
{
    [Fact] public Task Migrated_schema_matches_the_model() => StorageScenarios.SchemaMatchesModel(DatabaseProvider.Sqlite);
    [Fact] public Task Every_entity_round_trips_through_ef() => StorageScenarios.CrudRoundTrip(DatabaseProvider.Sqlite);
    [Fact] public Task Constraints_reject_bad_rows() => StorageScenarios.ConstraintsHold(DatabaseProvider.Sqlite);
    [Fact] public Task Upgrade_from_version_1_keeps_every_row() => StorageScenarios.UpgradeKeepsEveryRow(DatabaseProvider.Sqlite);
    [Fact] public Task Upgrade_from_version_2_adds_likert_items() => StorageScenarios.UpgradeFromVersion2AddsLikertItems(DatabaseProvider.Sqlite);
    [Fact] public Task Upgrade_from_version_5_archives_duplicate_answers() => StorageScenarios.UpgradeFromVersion5ArchivesDuplicates(DatabaseProvider.Sqlite);
    [Fact] public Task Upgrade_from_version_13_counts_each_pairs_assignments() => StorageScenarios.UpgradeFromVersion13CountsEachPairsAssignments(DatabaseProvider.Sqlite);
    [Fact] public Task Migration_is_idempotent_and_refuses_a_newer_database() => StorageScenarios.MigrationIsIdempotentAndRefusesNewer(DatabaseProvider.Sqlite);
    [Fact] public Task Cleaning_runs_are_stored_beside_every_row() => StorageScenarios.CleaningRunsAreStoredBesideEveryRow(DatabaseProvider.Sqlite);
    [Fact] public Task Study_store_creates_lists_and_finds() => StorageScenarios.StudyStoreWorks(DatabaseProvider.Sqlite);
    [Fact] public Task Concurrent_migrators_apply_each_version_once() => StorageScenarios.ConcurrentMigratorsApplyEachVersionOnce(DatabaseProvider.Sqlite);
}

public sealed class PostgresStorageTests
{
    [PostgresFact] public Task Migrated_schema_matches_the_model() => StorageScenarios.SchemaMatchesModel(DatabaseProvider.Postgres);
    [PostgresFact] public Task Every_entity_round_trips_through_ef() => StorageScenarios.CrudRoundTrip(DatabaseProvider.Postgres);
    [PostgresFact] public Task Constraints_reject_bad_rows() => StorageScenarios.ConstraintsHold(DatabaseProvider.Postgres);
    [PostgresFact] public Task Upgrade_from_version_1_keeps_every_row() => StorageScenarios.UpgradeKeepsEveryRow(DatabaseProvider.Postgres);
    [PostgresFact] public Task Upgrade_from_version_2_adds_likert_items() => StorageScenarios.UpgradeFromVersion2AddsLikertItems(DatabaseProvider.Postgres);
    [PostgresFact] public Task Upgrade_from_version_5_archives_duplicate_answers() => StorageScenarios.UpgradeFromVersion5ArchivesDuplicates(DatabaseProvider.Postgres);
    [PostgresFact] public Task Upgrade_from_version_13_counts_each_pairs_assignments() => StorageScenarios.UpgradeFromVersion13CountsEachPairsAssignments(DatabaseProvider.Postgres);
    [PostgresFact] public Task Migration_is_idempotent_and_refuses_a_newer_database() => StorageScenarios.MigrationIsIdempotentAndRefusesNewer(DatabaseProvider.Postgres);
    [PostgresFact] public Task Cleaning_runs_are_stored_beside_every_row() => StorageScenarios.CleaningRunsAreStoredBesideEveryRow(DatabaseProvider.Postgres);
    [PostgresFact] public Task Study_store_creates_lists_and_finds() => StorageScenarios.StudyStoreWorks(DatabaseProvider.Postgres);
    [PostgresFact] public Task Concurrent_migrators_apply_each_version_once() => StorageScenarios.ConcurrentMigratorsApplyEachVersionOnce(DatabaseProvider.Postgres);
}
