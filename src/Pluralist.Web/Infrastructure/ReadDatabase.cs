using Pluralist.Data;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// Where the console's read-heavy pages read (progress, the dataset viewer, study reports): a PostgreSQL read replica
/// when <see cref="PluralistWebOptions.ReadConnection"/> is set, else the database itself. What they show may lag the
/// replica's delay behind the database; nothing is written through it.
/// </summary>
public sealed class ReadDatabase(DatabaseOptions options)
{
    public DatabaseOptions Options { get; } = options;

    /// <summary>A context on the replica (or the database); the caller disposes it.</summary>
    public PluralistDbContext CreateContext() => PluralistDatabase.CreateContext(Options);

    /// <summary>The read database for the settings: the replica's connection on the main database's provider.</summary>
    public static ReadDatabase Resolve(DatabaseOptions database, string? readConnection)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (string.IsNullOrWhiteSpace(readConnection))
        {
            return new ReadDatabase(database);
        }

        return database.Provider == DatabaseProvider.Postgres
            ? new ReadDatabase(new DatabaseOptions(DatabaseProvider.Postgres, readConnection))
            : throw new InvalidOperationException("Pluralist:ReadConnection is for PostgreSQL (a read replica); this app runs on SQLite: remove the setting");
    }
}
