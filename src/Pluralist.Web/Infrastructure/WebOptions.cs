namespace Pluralist.Web.Infrastructure;

/// <summary>Settings bound from the <c>Pluralist</c> configuration section (docs/security.md lists them).</summary>
public sealed class PluralistWebOptions
{
    public const string Section = "Pluralist";

    /// <summary>Data directory; falls back to env <c>PLURALIST_DATA</c>, then <c>./pluralist-data</c>.</summary>
    public string? Data { get; set; }

    /// <summary><c>sqlite</c> or <c>postgres</c>; falls back to env <c>PLURALIST_DB</c>.</summary>
    public string? Db { get; set; }

    /// <summary>Connection string; falls back to env <c>PLURALIST_CONNECTION</c>.</summary>
    public string? Connection { get; set; }

    /// <summary>
    /// PostgreSQL only: a connection string to a read replica of the database, read by the console's read-heavy
    /// pages (progress, the dataset viewer, study reports). Unset, they read the database itself.
    /// </summary>
    public string? ReadConnection { get; set; }

    /// <summary>Invitation-code attempts allowed per client address per minute.</summary>
    public int CodeAttemptsPerMinute { get; set; } = 10;

    /// <summary>
    /// Password and email-code attempts allowed per minute, counted per client address and, separately, per
    /// account (email address), across the participant and console sign-in pages and the email-code pages.
    /// </summary>
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>
    /// The address people reach the app at (<c>https://study.example.org/</c>): links in emails and the join
    /// address shown in the console. Unset, they are made from the request (scheme and host).
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Behind a reverse proxy that terminates TLS: take the client address and scheme from
    /// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>, from the proxies in <see cref="KnownProxies"/>
    /// and <see cref="KnownNetworks"/> only (loopback is always trusted). Off, those headers are ignored.
    /// </summary>
    public bool BehindProxy { get; set; }

    /// <summary>IP addresses of trusted proxies (with <see cref="BehindProxy"/>).</summary>
    public IList<string> KnownProxies { get; } = [];

    /// <summary>Networks of trusted proxies in CIDR form, such as <c>10.0.0.0/8</c> (with <see cref="BehindProxy"/>).</summary>
    public IList<string> KnownNetworks { get; } = [];

    /// <summary>
    /// The session and language cookies carry <c>Secure</c> whatever the request. Off, every cookie carries it
    /// when the request is HTTPS (directly, or by <c>X-Forwarded-Proto</c> with <see cref="BehindProxy"/>),
    /// which is the better setting behind a TLS proxy; the antiforgery cookie always follows the request.
    /// </summary>
    public bool SecureCookies { get; set; }

    /// <summary>The options as configured.</summary>
    public static PluralistWebOptions Of(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<PluralistWebOptions>() ?? new PluralistWebOptions();
}
