using System.Threading.RateLimiting;
using Pluralist.Data;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// Fixed one-minute windows of attempts per key, counted in the database (<c>rate_limit_windows</c>) so that every
/// app instance on it shares one budget; a key's window starts at its first attempt, as with ASP.NET Core's
/// fixed-window limiter. A refused attempt is counted too, which changes nothing within the window. Each instance
/// deletes the ended windows about once a minute.
/// </summary>
public sealed class AttemptCounter(DatabaseOptions database, TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private long _prunedAt = long.MinValue;

    /// <summary>Counts one attempt on <paramref name="key"/>; whether it is within <paramref name="limit"/> for the key's current window.</summary>
    public async Task<bool> TryAsync(string key, int limit, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        var prune = Interlocked.Exchange(ref _prunedAt, minute) != minute;
        return await SharedState.CountAttemptAsync(database, key, Window, now, prune, ct) <= limit;
    }

    /// <summary>A limiter for the rate-limiting middleware over the counter: one permit per request, no queue.</summary>
    public RateLimiter Limiter(string key, int limit) => new SharedWindowLimiter(this, key, limit, clock);

    /// <summary>
    /// The middleware first tries <see cref="RateLimiter.AttemptAcquire"/>, which must not block: it declines, and
    /// the middleware then awaits <see cref="RateLimiter.AcquireAsync"/>, which asks the database.
    /// </summary>
    private sealed class SharedWindowLimiter(AttemptCounter counter, string key, int limit, TimeProvider clock) : RateLimiter
    {
        private long _lastUsed = clock.GetTimestamp();

        public override TimeSpan? IdleDuration => clock.GetElapsedTime(Interlocked.Read(ref _lastUsed));

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Refused;

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _lastUsed, clock.GetTimestamp());
            if (permitCount == 0)
            {
                return Lease.Granted;
            }

            return await counter.TryAsync(key, limit, cancellationToken) ? Lease.Granted : Lease.Refused;
        }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Refused = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
