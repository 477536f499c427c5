using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Pluralist.Data;

/// <summary>
/// A read in plain SQL, the same text on both providers, with integer parameters <c>@p0</c>, <c>@p1</c>, … (at most three):
/// for the few reads every participant request makes, where EF's query pipeline and per-row materialisation cost more
/// than the query (docs/performance.md, issue 24).
/// </summary>
public sealed class ReadQuery
{
    private static readonly string[] Names = ["@p0", "@p1", "@p2"];

    /// <param name="sql">The statement; its parameters are named <c>@p0</c> to <c>@p2</c>.</param>
    /// <param name="parameters">How many of them it uses (0 to 3).</param>
    public ReadQuery(string sql, int parameters)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ArgumentOutOfRangeException.ThrowIfNegative(parameters);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parameters, Names.Length);
        Sql = sql;
        Parameters = parameters;
    }

    public string Sql { get; }

    public int Parameters { get; }

    internal static string Name(int i) => Names[i];
}

/// <summary>Reads one row into <paramref name="state"/>; false stops the read (the rest of the rows are not read).</summary>
public delegate bool RowReader<TState>(DbDataReader reader, ref TState state);

/// <summary>
/// A small bounded pool of long-lived, read-only SQLite connections, each keeping its statements prepared across requests
/// (EF makes a new command for every query and Microsoft.Data.Sqlite prepares it again each time: a fifth of SQLite's own
/// CPU in the issue 24 profile). A read takes a connection only for itself (a few rows, no wait inside it), so a few
/// connections serve any number of concurrent requests; a busy moment opens one more, and the pool keeps at most
/// <c>size</c> of them idle (holding one connection per request was measured worse: some 200 handles, each refilling its
/// page cache after every commit, docs/performance.md 2026-12-07 22:00). PostgreSQL keeps none: its reads run on the
/// context's connection (<see cref="ReadAsync"/>).
/// </summary>
/// <remarks>
/// Reads on these connections see what is committed, never the context's own uncommitted writes: a context inside a
/// transaction reads on its own connection instead.
/// </remarks>
public sealed class PreparedReads : IDisposable
{
    private readonly string? _connectionString;
    private readonly string? _contextConnectionString;
    private readonly int _size;
    private readonly ConcurrentStack<Handle> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    /// <param name="options">The database; for PostgreSQL the pool keeps nothing.</param>
    /// <param name="size">How many idle connections it keeps (default: four times the processor count, at least 8: a connection
    /// beyond it is opened and closed for one read, and the ones used last are used first, so the spare ones stay cold).</param>
    public PreparedReads(DatabaseOptions options, int size = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _size = size > 0 ? size : Math.Max(8, 4 * Environment.ProcessorCount);
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            _contextConnectionString = options.ConnectionString;
            // Its own handles, never handed to EF through Microsoft.Data.Sqlite's pool (they are read-only).
            _connectionString = new SqliteConnectionStringBuilder(options.ConnectionString) { Pooling = false }.ToString();
        }
    }

    /// <summary>How many connections are idle in the pool now (for tests).</summary>
    public int IdleCount => Volatile.Read(ref _idleCount);

    /// <summary>
    /// Runs <paramref name="query"/> with parameters <paramref name="p0"/> to <paramref name="p2"/> (those it uses), reading
    /// its rows with <paramref name="onRow"/> into <paramref name="state"/>, which it returns. On SQLite, when
    /// <paramref name="prepared"/> is given and the context is not inside a transaction, on a pooled connection with the
    /// statement prepared; otherwise on the context's connection (in its transaction, if any), with a new command.
    /// </summary>
    public static ValueTask<TState> ReadAsync<TState>(
        PluralistDbContext db, PreparedReads? prepared, ReadQuery query, TState state, RowReader<TState> onRow, CancellationToken ct,
        long p0 = 0, long p1 = 0, long p2 = 0)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(onRow);
        ct.ThrowIfCancellationRequested();
        if (prepared is { _connectionString: not null } && db.Provider == DatabaseProvider.Sqlite && db.Database.CurrentTransaction is null
            && string.Equals(db.Database.GetConnectionString(), prepared._contextConnectionString, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(prepared.Read(query, state, onRow, p0, p1, p2));
        }

        return OnContextAsync(db, query, state, onRow, p0, p1, p2, ct);
    }

    /// <summary>A stored time as the model maps it: unix milliseconds on SQLite, <c>timestamptz</c> on PostgreSQL.</summary>
    public static DateTimeOffset Time(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader is SqliteDataReader
            ? DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal))
            : reader.GetFieldValue<DateTimeOffset>(ordinal);
    }

    /// <summary>A nullable stored time (<see cref="Time"/>).</summary>
    public static DateTimeOffset? NullableTime(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : Time(reader, ordinal);
    }

    public void Dispose()
    {
        _disposed = true;
        CloseIdle();
    }

    private TState Read<TState>(ReadQuery query, TState state, RowReader<TState> onRow, long p0, long p1, long p2)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var handle = Rent();
        var healthy = false;
        try
        {
            var command = handle.Command(query);
            Bind(command, query.Parameters, p0, p1, p2);
            // Disposing the reader resets the statement (it stays prepared) and ends its read transaction.
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read() && onRow(reader, ref state))
                {
                }
            }

            healthy = true;
            return state;
        }
        finally
        {
            Return(handle, healthy);
        }
    }

    private static async ValueTask<TState> OnContextAsync<TState>(
        PluralistDbContext db, ReadQuery query, TState state, RowReader<TState> onRow, long p0, long p1, long p2, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await db.Database.OpenConnectionAsync(ct);
        }

        try
        {
            await using var command = connection.CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = query.Sql;
            for (var i = 0; i < query.Parameters; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = ReadQuery.Name(i);
                command.Parameters.Add(parameter);
            }

            Bind(command, query.Parameters, p0, p1, p2);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct) && onRow(reader, ref state))
            {
            }

            return state;
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    private static void Bind(DbCommand command, int count, long p0, long p1, long p2)
    {
        if (count > 0)
        {
            command.Parameters[0].Value = p0;
        }

        if (count > 1)
        {
            command.Parameters[1].Value = p1;
        }

        if (count > 2)
        {
            command.Parameters[2].Value = p2;
        }
    }

    private Handle Rent()
    {
        if (_idle.TryPop(out var handle))
        {
            Interlocked.Decrement(ref _idleCount);
            return handle;
        }

        return new Handle(_connectionString!);
    }

    private void Return(Handle handle, bool healthy)
    {
        // A handle whose read failed is closed rather than trusted again; beyond the bound, a busy moment's extra one too.
        if (healthy && !_disposed)
        {
            if (Interlocked.Increment(ref _idleCount) <= _size)
            {
                _idle.Push(handle);
                if (_disposed)
                {
                    CloseIdle();
                }

                return;
            }

            Interlocked.Decrement(ref _idleCount);
        }

        handle.Dispose();
    }

    private void CloseIdle()
    {
        while (_idle.TryPop(out var handle))
        {
            Interlocked.Decrement(ref _idleCount);
            handle.Dispose();
        }
    }

    /// <summary>One open read-only connection and its prepared commands, used by one read at a time.</summary>
    private sealed class Handle : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly Dictionary<ReadQuery, SqliteCommand> _commands = new(ReferenceEqualityComparer.Instance);

        public Handle(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            using var pragmas = _connection.CreateCommand();
            pragmas.CommandText = PluralistDatabase.SqliteConnectionPragmas + " PRAGMA query_only=ON;";
            pragmas.ExecuteNonQuery();
        }

        public SqliteCommand Command(ReadQuery query)
        {
            if (!_commands.TryGetValue(query, out var command))
            {
                command = _connection.CreateCommand();
                command.CommandText = query.Sql;
                for (var i = 0; i < query.Parameters; i++)
                {
                    command.Parameters.Add(new SqliteParameter(ReadQuery.Name(i), 0L));
                }

                command.Prepare();
                _commands.Add(query, command);
            }

            return command;
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }

            _connection.Dispose();
        }
    }
}
