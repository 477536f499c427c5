using Microsoft.Data.Sqlite;
using Npgsql;
using Pluralist.Data;

namespace Pluralist.Testing;

/// <summary>
/// A fresh database of either provider for one test: SQLite in a temporary folder, or a new
/// PostgreSQL database with a random name on the server named by PLURALIST_TEST_PG. Disposing
/// it deletes the folder or drops the database.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _folder;
    private readonly string? _pgName;

    private TestDatabase(DatabaseOptions options, string? folder, string? pgName)
    {
        Options = options;
        _folder = folder;
        _pgName = pgName;
    }

    public DatabaseOptions Options { get; }

    public DatabaseProvider Provider => Options.Provider;

    /// <summary>The temporary folder of a SQLite database (null for PostgreSQL).</summary>
    public string? Folder => _folder;

    /// <summary>Creates an empty database and migrates it to <paramref name="version"/> (default: latest; 0 leaves it empty).</summary>
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider, int? version = null)
    {
        TestDatabase db;
        if (provider == DatabaseProvider.Sqlite)
        {
            var folder = Path.Combine(Path.GetTempPath(), "pluralist-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            var cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "pluralist.db") }.ToString();
            db = new TestDatabase(new DatabaseOptions(DatabaseProvider.Sqlite, cs), folder, null);
        }
        else
        {
            var admin = PostgresTestServer.ConnectionString
                ?? throw new InvalidOperationException(PostgresTestServer.SkipReason);
            var name = "pluralist_test_" + Guid.NewGuid().ToString("N");
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                await command.ExecuteNonQueryAsync();
            }

            var cs = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
            db = new TestDatabase(new DatabaseOptions(DatabaseProvider.Postgres, cs), null, name);
        }

        if (version != 0)
        {
            await PluralistDatabase.MigrateAsync(db.Options, version);
        }

        return db;
    }

    public PluralistDbContext CreateContext() => PluralistDatabase.CreateContext(Options);

    public async ValueTask DisposeAsync()
    {
        if (_pgName is not null)
        {
            await using (var pooled = new NpgsqlConnection(Options.ConnectionString))
            {
                NpgsqlConnection.ClearPool(pooled);
            }

            await using var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_pgName}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }

        if (_folder is not null)
        {
            using (var pooled = new SqliteConnection(Options.ConnectionString))
            {
                SqliteConnection.ClearPool(pooled);
            }

            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere; the temp folder is cleaned by the system later.
            }
        }
    }
}
