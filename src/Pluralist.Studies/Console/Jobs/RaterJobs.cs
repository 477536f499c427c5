using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pluralist.Data;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Raters;
using Pluralist.Studies.Raters;

namespace Pluralist.Studies.Console.Jobs;

/// <summary>A console request to rate a study with the offline persona rater (what <c>raters run --endpoint offline</c> does).</summary>
public sealed record RaterJobRequest(string StudyKey, string Personas, int? Items);

/// <summary>An offline rater job and its progress (read by the console page; updated by the runner).</summary>
public sealed class RaterJob(string id, RaterJobRequest request, long startedBy, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    public RaterJobRequest Request { get; } = request;

    public long StartedBy { get; } = startedBy;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public PipelineJobState State { get; set; }

    public int Done { get; set; }

    public int Total { get; set; }

    public int Failures { get; set; }

    public string? Run { get; set; }

    public string? Message { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>
/// Runs offline rater jobs one at a time in the background, as <see cref="PipelineJobs"/> runs image jobs: an in-memory
/// list read by the console, a queue, progress after every rating. The run itself is <see cref="RaterRuns.RunAsync"/>
/// with <see cref="OfflinePersonaChatClient"/> and the command line's defaults, so the same run resumes from either.
/// </summary>
public sealed class RaterJobs(IServiceScopeFactory scopes, DataDirectory data, ILogger<RaterJobs> logger) : BackgroundService
{
    /// <summary>The shipped perception probe the offline rater sees images with.</summary>
    public static string ProbePath => Path.Combine(AppContext.BaseDirectory, "models", "probe32.safetensors");

    private readonly Channel<RaterJob> _queue = Channel.CreateUnbounded<RaterJob>();
    private readonly ConcurrentDictionary<string, RaterJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>Jobs queued and not started (the <c>pluralist.jobs.waiting</c> gauge).</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>Problems with a request, each naming its form field; empty when it can run.</summary>
    public static IReadOnlyList<string> Validate(RaterJobRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var errors = new List<string>();
        if (r.Personas is not (RaterRuns.FromStudy or RaterRuns.Grid))
        {
            errors.Add($"personas: {RaterRuns.FromStudy} or {RaterRuns.Grid}.");
        }

        if (r.Items is < 1 or > 10_000)
        {
            errors.Add("items: 1 to 10000 pairs or images, or empty for all.");
        }

        if (!File.Exists(ProbePath))
        {
            errors.Add($"The offline rater's perception probe is missing beside the program ({ProbePath}).");
        }

        return errors;
    }

    /// <summary>Queues a job; the request must have been validated (<see cref="Validate"/>).</summary>
    public RaterJob Start(long staffId, RaterJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var job = new RaterJob(DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6], request, staffId, DateTimeOffset.UtcNow);
        _jobs[job.Id] = job;
        _queue.Writer.TryWrite(job);
        return job;
    }

    /// <summary>The jobs of a study, newest first.</summary>
    public IReadOnlyList<RaterJob> List(string studyKey) =>
        _jobs.Values.Where(j => j.Request.StudyKey == studyKey).OrderByDescending(j => j.CreatedAt).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            job.State = PipelineJobState.Running;
            try
            {
                await Diagnostics.PluralistTelemetry.RunJobAsync("raters", () => RunAsync(job, stoppingToken)).ConfigureAwait(false);
                job.State = PipelineJobState.Done;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                job.Message = "stopped with the server; start it again to resume the run";
                job.State = PipelineJobState.Failed;
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogError(ex, "rater job {Id} failed", job.Id);
                job.Message = ex.Message;
                job.State = PipelineJobState.Failed;
            }

            job.FinishedAt = DateTimeOffset.UtcNow;
        }
    }

    private async Task RunAsync(RaterJob job, CancellationToken ct)
    {
        var probe = PerceptionProbe.Load(ProbePath);
        using var client = new OfflinePersonaChatClient(probe);
        var rater = new SyntheticRater(client, new RaterOptions { Model = OfflinePersonaChatClient.ModelName });
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PluralistDbContext>();
        var result = await RaterRuns.RunAsync(db, data, rater, new RaterRuns.Request
        {
            Study = job.Request.StudyKey,
            Model = OfflinePersonaChatClient.ModelName,
            Endpoint = "offline",
            Personas = job.Request.Personas,
            Items = job.Request.Items,
        }, DateTimeOffset.UtcNow, p =>
        {
            job.Done = p.Done;
            job.Total = p.Total;
            job.Failures = p.Failures;
        }, ct).ConfigureAwait(false);
        job.Run = result.Run.Name;
        job.Done = job.Total = result.Planned;
        job.Message = string.Create(CultureInfo.InvariantCulture, $"Run {result.Run.Name}: {result.Personas} personas, {result.Planned} ratings ({result.AlreadyDone} already done, {result.Cached} from the cache, {result.Failures} without a valid answer).");
    }
}
