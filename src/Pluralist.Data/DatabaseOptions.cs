namespace Pluralist.Data;

/// <summary>Which database engine holds the data.</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>The database to use: a provider and its connection string.</summary>
public sealed record DatabaseOptions(DatabaseProvider Provider, string ConnectionString)
{
    /// <summary>Environment variable naming the provider (<c>sqlite</c> or <c>postgres</c>).</summary>
    public const string ProviderVariable = "PLURALIST_DB";

    /// <summary>Environment variable holding the connection string.</summary>
    public const string ConnectionVariable = "PLURALIST_CONNECTION";

    /// <summary>
    /// Resolves the provider (<paramref name="provider"/>, else env <c>PLURALIST_DB</c>, else sqlite)
    /// and the connection string (<paramref name="connection"/>, else env <c>PLURALIST_CONNECTION</c>,
    /// else for SQLite the database file of <paramref name="data"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The provider is unknown, or PostgreSQL has no connection string.</exception>
    public static DatabaseOptions Resolve(DataDirectory data, string? provider = null, string? connection = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var name = !string.IsNullOrWhiteSpace(provider) ? provider : Environment.GetEnvironmentVariable(ProviderVariable);
        var kind = ParseProvider(name);
        var conn = !string.IsNullOrWhiteSpace(connection) ? connection : Environment.GetEnvironmentVariable(ConnectionVariable);
        if (string.IsNullOrWhiteSpace(conn))
        {
            if (kind == DatabaseProvider.Postgres)
            {
                throw new ArgumentException(
                    $"PostgreSQL needs a connection string: pass --connection or set {ConnectionVariable} " +
                    "(for example \"Host=localhost;Database=pluralist;Username=pluralist;Password=...\").",
                    nameof(connection));
            }

            conn = $"Data Source={data.DatabasePath}";
        }

        return new DatabaseOptions(kind, conn);
    }

    /// <summary>Parses <c>sqlite</c>, <c>postgres</c> or <c>postgresql</c> (any case); null or empty means sqlite.</summary>
    public static DatabaseProvider ParseProvider(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" => DatabaseProvider.Postgres,
        _ => throw new ArgumentException(
            $"Unknown database provider '{name}': expected 'sqlite' or 'postgres' (from --db or {ProviderVariable}).",
            nameof(name)),
    };

    /// <summary>The connection string without its password, for messages and logs.</summary>
    public override string ToString() => $"{Provider}: {Redact(ConnectionString)}";

    private static string Redact(string connection) =>
        string.Join(';', connection.Split(';').Where(part =>
            !part.TrimStart().StartsWith("password", StringComparison.OrdinalIgnoreCase) &&
            !part.TrimStart().StartsWith("pwd", StringComparison.OrdinalIgnoreCase)));
}
