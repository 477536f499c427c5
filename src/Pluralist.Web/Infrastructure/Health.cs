using System.Data.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Data;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// Probes for a process supervisor or load balancer: <c>GET /health/live</c> (the process answers) and
/// <c>GET /health/ready</c> (the database answers and holds the schema this code expects; 503 with the reason
/// otherwise). No sign-in, no rate limit; neither says more than the schema version.
/// </summary>
public static class Health
{
    private static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(5);

    public static void MapHealth(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthStatus("live", null))).AllowAnonymous().DisableRateLimiting();
        app.MapGet("/health/ready", ReadyAsync).AllowAnonymous().DisableRateLimiting();
    }

    public static async Task<Results<Ok<HealthStatus>, ProblemHttpResult>> ReadyAsync(DatabaseOptions database, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(DatabaseTimeout);
        int version;
        try
        {
            version = await PluralistDatabase.GetSchemaVersionAsync(database, timeout.Token);
        }
        catch (Exception error) when (error is DbException or InvalidOperationException or IOException or UnauthorizedAccessException
            || (error is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // The type only: a driver's message can name hosts and users.
            return NotReady($"the database does not answer ({error.GetType().Name})");
        }

        return version == PluralistDatabase.LatestVersion
            ? TypedResults.Ok(new HealthStatus("ready", version))
            : NotReady(version < PluralistDatabase.LatestVersion
                ? $"the database is at schema version {version}, this app needs {PluralistDatabase.LatestVersion}: it is not migrated"
                : $"the database is at schema version {version}, newer than this app's {PluralistDatabase.LatestVersion}");
    }

    private static ProblemHttpResult NotReady(string reason) =>
        TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: reason);

    /// <summary>The body of a healthy answer.</summary>
    public sealed record HealthStatus(string Status, int? SchemaVersion);
}
