namespace Pluralist.Testing;

/// <summary>Where the PostgreSQL storage tests find their server.</summary>
public static class PostgresTestServer
{
    public const string Variable = "PLURALIST_TEST_PG";

    public const string SkipReason = "PLURALIST_TEST_PG is not set: ./scripts/test.sh starts a local PostgreSQL";

    /// <summary>The admin connection string, or null when no server is configured.</summary>
    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;
}

/// <summary>A fact that needs PostgreSQL; skipped with a reason when PLURALIST_TEST_PG is not set.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresTestServer.ConnectionString is null)
        {
            Skip = PostgresTestServer.SkipReason;
        }
    }
}

/// <summary>A theory that needs PostgreSQL; skipped with a reason when PLURALIST_TEST_PG is not set.</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PostgresTestServer.ConnectionString is null)
        {
            Skip = PostgresTestServer.SkipReason;
        }
    }
}
