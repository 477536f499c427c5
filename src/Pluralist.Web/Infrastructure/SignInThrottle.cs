using System.Threading.RateLimiting;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// The one limit on password and email-code attempts, whatever page they come through (participant sign-in,
/// console sign-in, email code): a fixed number a minute per client address and, separately, per account
/// (the email address typed, trimmed and in lower case). An attempt needs a place in both.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _byAddress;
    private readonly PartitionedRateLimiter<string> _byAccount;

    public SignInThrottle(int attemptsPerMinute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsPerMinute, 1);
        _byAddress = Create(attemptsPerMinute);
        _byAccount = Create(attemptsPerMinute);
    }

    /// <summary>The key of an account: what sign-in compares, trimmed and in lower case.</summary>
    public static string AccountKey(string? email) => (email ?? "").Trim().ToLowerInvariant();

    /// <summary>Whether one more attempt on <paramref name="account"/> from this client is allowed now; counts it if so.</summary>
    public bool TryAttempt(HttpContext ctx, string? account)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        using var address = _byAddress.AttemptAcquire(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (!address.IsAcquired)
        {
            return false;
        }

        var key = AccountKey(account);
        if (key.Length == 0)
        {
            return true;
        }

        using var lease = _byAccount.AttemptAcquire(key);
        return lease.IsAcquired;
    }

    public void Dispose()
    {
        _byAddress.Dispose();
        _byAccount.Dispose();
    }

    private static PartitionedRateLimiter<string> Create(int permits) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(
            key, _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
}
