namespace Pluralist.Web.Infrastructure;

/// <summary>
/// The one limit on password and email-code attempts, whatever page they come through (participant sign-in,
/// console sign-in, email code): a fixed number a minute per client address and, separately, per account
/// (the email address typed, trimmed and in lower case). An attempt needs a place in both. The attempts are counted
/// in the database (<see cref="AttemptCounter"/>), so every app instance on it spends the same budget.
/// </summary>
public sealed class SignInThrottle
{
    private readonly AttemptCounter _counter;
    private readonly int _attemptsPerMinute;

    public SignInThrottle(AttemptCounter counter, int attemptsPerMinute)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsPerMinute, 1);
        _counter = counter;
        _attemptsPerMinute = attemptsPerMinute;
    }

    /// <summary>The key of an account: what sign-in compares, trimmed and in lower case.</summary>
    public static string AccountKey(string? email) => (email ?? "").Trim().ToLowerInvariant();

    /// <summary>Whether one more attempt on <paramref name="account"/> from this client is allowed now; counts it if so.</summary>
    public async Task<bool> TryAttemptAsync(HttpContext ctx, string? account, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (!await _counter.TryAsync("signin-address:" + (ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown"), _attemptsPerMinute, ct))
        {
            return false;
        }

        var key = AccountKey(account);
        return key.Length == 0 || await _counter.TryAsync("signin-account:" + key, _attemptsPerMinute, ct);
    }
}
