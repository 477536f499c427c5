namespace Pluralist.Web.Infrastructure;

/// <summary>Settings bound from the <c>Pluralist</c> configuration section.</summary>
public sealed class PluralistWebOptions
{
    public const string Section = "Pluralist";

    /// <summary>Data directory; falls back to env <c>PLURALIST_DATA</c>, then <c>./pluralist-data</c>.</summary>
    public string? Data { get; set; }

    /// <summary><c>sqlite</c> or <c>postgres</c>; falls back to env <c>PLURALIST_DB</c>.</summary>
    public string? Db { get; set; }

    /// <summary>Connection string; falls back to env <c>PLURALIST_CONNECTION</c>.</summary>
    public string? Connection { get; set; }

    /// <summary>Invitation-code attempts allowed per client address per minute.</summary>
    public int CodeAttemptsPerMinute { get; set; } = 10;

    /// <summary>Sign-in and email-code attempts allowed per client address per minute.</summary>
    public int SignInAttemptsPerMinute { get; set; } = 10;
}
