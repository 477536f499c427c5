using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace Pluralist.Data;

/// <summary>
/// Opens contexts and applies the hand-written, versioned SQL migrations embedded in this
/// assembly (<c>Migrations/&lt;Provider&gt;/NNNN_name.sql</c>). Each version runs in one transaction
/// and is recorded in <c>schema_version</c>.
/// </summary>
public static class PluralistDatabase
{
    /// <summary>The schema version this code expects.</summary>
    public const int LatestVersion = 14;

    internal const string SqliteConnectionPragmas =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;";

    // Versions that add a unique constraint over existing rows: they move duplicates to archived_rows and say how many.
    private static readonly int[] ArchivingVersions = [6];

    // Serialises migrators of one PostgreSQL database (several web nodes starting at once).
    private const long PostgresLockKey = 0x504C5552414C;

    /// <summary>A context on the database; it does not migrate.</summary>
    public static PluralistDbContext CreateContext(DatabaseOptions options) => new(ContextOptions(options));

    /// <summary>The EF options of a context on the database (provider, connection, SQLite pragmas).</summary>
    public static DbContextOptions<PluralistDbContext> ContextOptions(DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PluralistDbContext.Configure(new DbContextOptionsBuilder<PluralistDbContext>(), options);
    }

    /// <summary>
    /// A pool of contexts on the database (EF's <see cref="PooledDbContextFactory{TContext}"/>): disposing a context
    /// hands it back, reset (its change tracker cleared, its tracking, detect-changes, transaction and command-timeout
    /// settings back to their defaults, a transaction left open rolled back), and the next
    /// <see cref="IDbContextFactory{TContext}.CreateDbContext"/> hands it out again instead of building a new one and
    /// its services. For a server's many short-lived contexts; <paramref name="size"/> bounds the contexts kept.
    /// </summary>
    public static IDbContextFactory<PluralistDbContext> CreatePool(DatabaseOptions options, int size = 1024) =>
        new PooledDbContextFactory<PluralistDbContext>(ContextOptions(options), size);

    /// <summary>The migrations shipped for a provider, in version order.</summary>
    public static IReadOnlyList<Migration> Migrations(DatabaseProvider provider)
    {
        var assembly = typeof(PluralistDatabase).Assembly;
        var prefix = $"Migrations/{provider}/";
        var list = new List<Migration>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var normalized = name.Replace('\\', '/');
            if (!normalized.StartsWith(prefix, StringComparison.Ordinal) || !normalized.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var file = Path.GetFileNameWithoutExtension(normalized[prefix.Length..]);
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration resource '{name}' is not named NNNN_description.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"Migration resource '{name}' cannot be read.");
            using var reader = new StreamReader(stream);
            list.Add(new Migration(version, file[(underscore + 1)..].Replace('_', ' '), reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Version != i + 1)
            {
                throw new InvalidOperationException($"{provider} migrations are not numbered 1..{list.Count} without gaps (found {list[i].Version} at position {i + 1}).");
            }
        }

        return list;
    }

    /// <summary>The schema version in force; 0 for an empty database.</summary>
    public static async Task<int> GetSchemaVersionAsync(DatabaseOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var connection = await OpenAsync(options, ct);
        return await ReadVersionAsync(connection, options.Provider, null, ct);
    }

    /// <summary>
    /// Applies the pending migrations up to <paramref name="toVersion"/> (default: <see cref="LatestVersion"/>)
    /// and returns the version now in force. Running it again does nothing. A database already at or
    /// beyond <paramref name="toVersion"/> is left as it is; one newer than this code is refused.
    /// </summary>
    public static async Task<int> MigrateAsync(DatabaseOptions options, int? toVersion = null, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var target = toVersion ?? LatestVersion;
        if (target < 0 || target > LatestVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(toVersion), toVersion, $"Schema versions run from 0 to {LatestVersion}.");
        }

        var migrations = Migrations(options.Provider);
        if (migrations.Count != LatestVersion)
        {
            throw new InvalidOperationException($"{options.Provider} has {migrations.Count} migrations but the code expects {LatestVersion}.");
        }

        await using var connection = await OpenAsync(options, ct);
        if (options.Provider == DatabaseProvider.Postgres)
        {
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({PostgresLockKey})", ct);
        }

        try
        {
            await ExecuteAsync(connection, null, options.Provider == DatabaseProvider.Sqlite
                ? "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
                : "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL)", ct);

            var current = await ReadVersionAsync(connection, options.Provider, null, ct);
            CheckNotNewer(current, options);
            foreach (var migration in migrations.Where(m => m.Version > current && m.Version <= target))
            {
                progress?.Report($"Applying schema version {migration.Version}: {migration.Description}");
                await using var tx = await connection.BeginTransactionAsync(ct);
                // Another process may have applied it since we looked (SQLite: the write lock is now ours).
                var now = await ReadVersionAsync(connection, options.Provider, tx, ct);
                CheckNotNewer(now, options);
                if (now >= migration.Version)
                {
                    await tx.RollbackAsync(ct);
                    continue;
                }

                await ExecuteAsync(connection, tx, migration.Sql, ct);
                var archived = ArchivingVersions.Contains(migration.Version)
                    ? await CountArchivedAsync(connection, tx, migration.Version, ct)
                    : null;
                await using (var record = connection.CreateCommand())
                {
                    record.Transaction = tx;
                    record.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES (@v, @d, @a)";
                    AddParameter(record, "@v", migration.Version);
                    AddParameter(record, "@d", migration.Description);
                    AddParameter(record, "@a", options.Provider == DatabaseProvider.Sqlite
                        ? DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)
                        : DateTimeOffset.UtcNow);
                    await record.ExecuteNonQueryAsync(ct);
                }

                await tx.CommitAsync(ct);
                if (archived is not null)
                {
                    progress?.Report(DescribeArchived(migration.Version, archived));
                }
            }

            return await ReadVersionAsync(connection, options.Provider, null, ct);
        }
        finally
        {
            if (options.Provider == DatabaseProvider.Postgres)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({PostgresLockKey})", CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// After rows were written with explicit ids (raw SQL, an import that keeps ids), moves each
    /// PostgreSQL identity past the largest id in its table so that the next insert does not
    /// collide. SQLite's AUTOINCREMENT already follows explicit ids, so there it does nothing.
    /// </summary>
    public static async Task SyncIdentitiesAsync(DatabaseOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider != DatabaseProvider.Postgres)
        {
            return;
        }

        await using var connection = await OpenAsync(options, ct);
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'";
            await using var reader = await list.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var table in tables)
        {
            await ExecuteAsync(connection, null,
                $"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)", ct);
        }
    }

    /// <summary>Opens a raw connection with the same settings EF uses (SQLite pragmas included).</summary>
    public static async Task<DbConnection> OpenAsync(DatabaseOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        DbConnection connection;
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
            if (!string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
            {
                var file = Path.GetFullPath(builder.DataSource);
                var folder = Path.GetDirectoryName(file);
                if (!string.IsNullOrEmpty(folder))
                {
                    OwnerOnly.CreateDirectory(folder);
                }

                // A new database is owner-only from its first byte (and so are its -wal and -shm files).
                if (builder.Mode is SqliteOpenMode.ReadWriteCreate)
                {
                    OwnerOnly.CreateEmptyFile(file);
                }
            }

            connection = new SqliteConnection(options.ConnectionString);
        }
        else
        {
            connection = new NpgsqlConnection(options.ConnectionString);
        }

        try
        {
            await connection.OpenAsync(ct);
            if (options.Provider == DatabaseProvider.Sqlite)
            {
                await ExecuteAsync(connection, null, SqliteConnectionPragmas, ct);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Rows a schema upgrade moved to <c>archived_rows</c>, by source table.</summary>
    private static async Task<SortedDictionary<string, long>> CountArchivedAsync(DbConnection connection, DbTransaction tx, int version, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT source_table, COUNT(*) FROM archived_rows WHERE schema_version = @v GROUP BY source_table";
        AddParameter(command, "@v", version);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        }

        return counts;
    }

    internal static string DescribeArchived(int version, IReadOnlyDictionary<string, long> counts) => counts.Count == 0
        ? string.Create(CultureInfo.InvariantCulture, $"Schema version {version} found no duplicate rows")
        : string.Create(CultureInfo.InvariantCulture,
            $"Schema version {version} found duplicate rows ({string.Join(", ", counts.Select(kv => $"{kv.Value} in {kv.Key}"))}): the earliest of each group was kept, the others moved to archived_rows");

    private static void CheckNotNewer(int version, DatabaseOptions options)
    {
        if (version > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The database ({options}) has schema version {version}, newer than this Pluralist understands (up to {LatestVersion}). " +
                "Upgrade Pluralist before using this database.");
        }
    }

    private static async Task<int> ReadVersionAsync(DbConnection connection, DatabaseProvider provider, DbTransaction? tx, CancellationToken ct)
    {
        await using var exists = connection.CreateCommand();
        exists.Transaction = tx;
        exists.CommandText = provider == DatabaseProvider.Sqlite
            ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            : "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_version'";
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }

        await using var max = connection.CreateCommand();
        max.Transaction = tx;
        max.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return Convert.ToInt32(await max.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}

/// <summary>One schema version: its number, a description and the SQL that makes it.</summary>
public sealed record Migration(int Version, string Description, string Sql);
