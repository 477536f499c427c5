using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Testing;

namespace Pluralist.Data.Tests;

public sealed class SqliteDurabilityTests
{
    [Fact]
    public async Task Every_ef_connection_uses_wal_full_sync_foreign_keys_and_a_busy_timeout()
    {
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var db = tdb.CreateContext();
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        async Task<string> Pragma(string name)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA " + name;
            return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture)!;
        }

        Assert.Equal("wal", await Pragma("journal_mode"));
        Assert.Equal("2", await Pragma("synchronous"));
        Assert.Equal("1", await Pragma("foreign_keys"));
        Assert.Equal("10000", await Pragma("busy_timeout"));
    }

    [Fact]
    public async Task A_pooled_connection_opened_again_keeps_the_settings()
    {
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        object? firstHandle = null;
        // EF opens and closes its connection around each query; the pool hands the same SQLite handle out again, and the
        // settings, applied once per handle, are still in force each time (on new contexts too).
        for (var round = 0; round < 3; round++)
        {
            await using var db = tdb.CreateContext();
            Assert.Equal(0, await db.Participants.CountAsync());
            await db.Database.OpenConnectionAsync();
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            firstHandle ??= connection.Handle;
            Assert.Same(firstHandle, connection.Handle);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT synchronous FROM pragma_synchronous) || ',' || (SELECT foreign_keys FROM pragma_foreign_keys) || ',' || (SELECT timeout FROM pragma_busy_timeout)";
            Assert.Equal("2,1,10000", Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
            await db.Database.CloseConnectionAsync();
        }

        // A cleared pool closes the handle: the next open gets a new one and sets it up again.
        SqliteConnection.ClearAllPools();
        await using (var db = tdb.CreateContext())
        {
            await db.Database.OpenConnectionAsync();
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            Assert.NotSame(firstHandle, connection.Handle);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA foreign_keys";
            Assert.Equal(1L, await command.ExecuteScalarAsync());
            var insert = connection.CreateCommand();
            await using (insert)
            {
                // Foreign keys enforced on the new handle: a consent of a participant that does not exist is refused.
                insert.CommandText = "INSERT INTO consent_records (participant_id, document_version, language, marker_consents, consented_at) VALUES (999999, 1, 'en', '{}', 0)";
                await Assert.ThrowsAsync<SqliteException>(() => insert.ExecuteNonQueryAsync());
            }
        }
    }

    [Fact]
    public async Task An_acknowledged_write_survives_a_crash()
    {
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var file = Path.Combine(tdb.Folder!, "pluralist.db");
        var crashed = Path.Combine(tdb.Folder!, "crashed");
        Directory.CreateDirectory(crashed);

        await using (var db = tdb.CreateContext())
        {
            // The writer keeps its connection open: nothing is checkpointed or closed, as after SIGKILL.
            await db.Database.OpenConnectionAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)");
            db.Participants.Add(new Participant { Pseudonym = "P-DURABLE", CreatedAt = DateTimeOffset.UnixEpoch });
            await db.SaveChangesAsync();

            File.Copy(file, Path.Combine(crashed, "pluralist.db"));
            File.Copy(file + "-wal", Path.Combine(crashed, "pluralist.db-wal"));
            Directory.CreateDirectory(Path.Combine(crashed, "main-only"));
            File.Copy(file, Path.Combine(crashed, "main-only", "pluralist.db"));
        }

        Assert.Equal(1L, await CountAsync(Path.Combine(crashed, "pluralist.db")));
        // Without its WAL the main file does not hold the row yet: the WAL is what made it durable.
        Assert.Equal(0L, await CountAsync(Path.Combine(crashed, "main-only", "pluralist.db")));
    }

    private static async Task<long> CountAsync(string path)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(cs);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM participants WHERE pseudonym = 'P-DURABLE'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
