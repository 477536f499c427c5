using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Pluralist.Studies.Diagnostics;

namespace Pluralist.Web.Infrastructure;

/// <summary>
/// OpenTelemetry metrics and traces (docs/observability.md), off unless the operator turns an exporter on:
/// <c>Pluralist:Telemetry</c> (<c>pluralist serve --telemetry</c>) is <c>none</c>, <c>console</c> or <c>otlp</c>; unset, the
/// standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> turns OTLP on and <c>OTEL_SDK_DISABLED=true</c> keeps it off. With no
/// exporter no SDK is built: the instruments in <see cref="PluralistTelemetry"/> then have no listener.
/// </summary>
public static class Telemetry
{
    public const string Setting = PluralistWebOptions.Section + ":Telemetry";

    /// <summary>The exporters an operator can choose.</summary>
    public static readonly string[] Exporters = ["none", "console", "otlp"];

    /// <summary>The exporter the configuration asks for: <c>none</c>, <c>console</c> or <c>otlp</c>.</summary>
    public static string ExporterOf(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var chosen = configuration[Setting];
        if (chosen is { Length: > 0 })
        {
            var name = chosen.Trim().ToLowerInvariant();
            return Exporters.Contains(name) ? name
                : throw new InvalidOperationException($"{Setting}: '{chosen}' is not one of {string.Join(", ", Exporters)}");
        }

        if (string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase))
        {
            return "none";
        }

        return configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } ? "otlp" : "none";
    }

    /// <summary>
    /// Builds the pipeline when an exporter is configured or <paramref name="exporters"/> adds one (the tests' in-memory
    /// exporter); otherwise adds nothing.
    /// </summary>
    public static void AddPluralistTelemetry(this WebApplicationBuilder builder, Action<OpenTelemetryBuilder>? exporters = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var exporter = ExporterOf(builder.Configuration);
        if (exporter == "none" && exporters is null)
        {
            return;
        }

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named ? named : "pluralist";
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            .WithMetrics(m => m
                .AddMeter(PluralistTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddMeter("System.Runtime"))
            .WithTracing(t => t
                .AddSource(PluralistTelemetry.Name)
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.EnrichWithHttpResponse = (activity, response) => Redact(activity, response.HttpContext);
                    o.EnrichWithException = (activity, _) => Redact(activity, null);
                }));
        switch (exporter)
        {
            case "console":
                otel.WithMetrics(m => m.AddConsoleExporter()).WithTracing(t => t.AddConsoleExporter());
                break;
            case "otlp":
                // Endpoint, protocol, headers and interval from the standard OTEL_* variables.
                otel.UseOtlpExporter();
                break;
        }

        exporters?.Invoke(otel);
        builder.Services.AddHostedService<JobQueueGauge>();
    }

    /// <summary>
    /// A request span keeps the route template (<c>/api/assignments/{id:long}/annotation</c>), never the path or query
    /// that carry an invitation code, a pseudonym or an assignment id, nor the user agent.
    /// </summary>
    private static void Redact(System.Diagnostics.Activity activity, HttpContext? ctx)
    {
        var route = (ctx?.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        activity.SetTag("url.path", route is null ? null : "/" + route.TrimStart('/'));
        activity.SetTag("url.query", null);
        activity.SetTag("user_agent.original", null);
    }

    /// <summary>
    /// Reports the job queue's depth per kind to <c>pluralist.jobs.waiting</c> while the app runs. The gauge's callback
    /// cannot query the database, so a count of the queued rows per kind is read every few seconds and kept; every
    /// instance reports the same shared queue. Without an exporter nothing listens and nothing is read.
    /// </summary>
    private sealed class JobQueueGauge(IServiceProvider services, ILogger<JobQueueGauge> logger) : BackgroundService
    {
        private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
        private readonly List<IDisposable> _sources = [];
        private volatile IReadOnlyDictionary<string, int> _waiting = new Dictionary<string, int>();

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            if (services.GetService<Pluralist.Data.Jobs.JobQueue>() is not { } queue)
            {
                return;
            }

            foreach (var kind in services.GetServices<Pluralist.Studies.Jobs.IJobHandler>().Select(h => h.Kind).Distinct(StringComparer.Ordinal))
            {
                _sources.Add(PluralistTelemetry.ObserveQueue(kind, () => _waiting.GetValueOrDefault(kind)));
            }

            using var timer = new PeriodicTimer(Every);
            do
            {
                if (!PluralistTelemetry.JobsWaiting.Enabled)
                {
                    continue;
                }

                try
                {
                    _waiting = await queue.CountWaitingAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    logger.LogWarning(ex, "could not count the waiting jobs for pluralist.jobs.waiting");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }

        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
            _sources.ForEach(s => s.Dispose());
            _sources.Clear();
        }
    }
}
