using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Raters;
using Pluralist.Studies.Jobs;
using Pluralist.Studies.Raters;

namespace Pluralist.Studies.Console.Jobs;

/// <summary>A console request to rate a study with the offline persona rater (what <c>raters run --endpoint offline</c> does).</summary>
public sealed record RaterJobRequest(string StudyKey, string Personas, int? Items);

/// <summary>An offline rater job and its progress, as the console page shows it (read from the job queue).</summary>
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

    /// <summary>The summary of a finished job, or the attempts and error of one that failed or waits for a retry.</summary>
    public string? Message { get; set; }

    public int Attempts { get; set; }

    public int MaxAttempts { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>
/// Offline rater jobs, run from the database queue (<see cref="JobQueue"/>, kind <c>raters</c>) by whichever instance's
/// <see cref="JobWorker"/> claims them, progress after every rating. The run itself is <see cref="RaterRuns.RunAsync"/>
/// with <see cref="OfflinePersonaChatClient"/> and the command line's defaults, so the same run resumes from either, and
/// a retried attempt resumes where the failed one stopped.
/// </summary>
public sealed class RaterJobs(JobQueue queue, IServiceScopeFactory scopes, DataDirectory data) : IJobHandler
{
    /// <summary>The jobs' kind in the queue.</summary>
    public const string JobKind = "raters";

    /// <summary>A failed attempt is retried (it resumes the run) up to this many attempts in all.</summary>
    public const int MaxAttempts = 3;

    /// <summary>The shipped perception probe the offline rater sees images with.</summary>
    public static string ProbePath => Path.Combine(AppContext.BaseDirectory, "models", "probe32.safetensors");

    public string Kind => JobKind;

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
    public async Task<RaterJob> StartAsync(long staffId, Study study, RaterJobRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(request);
        var job = await queue.EnqueueAsync(JobKind, study.Id, staffId, JobContext.Serialize(request), MaxAttempts, ct: ct)
            ?? throw new InvalidOperationException("A rater job has no exclusive key: it is always queued.");
        return View(job);
    }

    /// <summary>The jobs of a study, newest first.</summary>
    public async Task<IReadOnlyList<RaterJob>> ListAsync(Study study, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        return (await queue.ListAsync(JobKind, study.Id, ct: ct)).Select(View).ToList();
    }

    private sealed record Counts(int Done, int Total, int Failures);

    private sealed record Outcome(string Run, int Planned, string Message);

    private static RaterJob View(Job job)
    {
        var counts = job.ProgressDetail is null ? null : JobContext.Parse<Counts>(job.ProgressDetail);
        var view = new RaterJob(job.Id, JobContext.Parse<RaterJobRequest>(job.Arguments), job.RequestedBy ?? 0, job.CreatedAt)
        {
            State = PipelineJobs.ViewState(job.State),
            Done = counts?.Done ?? 0,
            Total = counts?.Total ?? 0,
            Failures = counts?.Failures ?? 0,
            Attempts = job.Attempts,
            MaxAttempts = job.MaxAttempts,
            FinishedAt = job.FinishedAt,
            Message = JobMessages.Describe(job),
        };
        if (job.State == JobState.Succeeded && job.Result is not null)
        {
            var outcome = JobContext.Parse<Outcome>(job.Result);
            view.Run = outcome.Run;
            view.Done = view.Total = outcome.Planned;
            view.Message = outcome.Message;
        }

        return view;
    }

    public async Task<JobOutcome> RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Arguments<RaterJobRequest>();
        if (Validate(request) is { Count: > 0 } errors)
        {
            throw new JobArgumentsException(string.Join(" ", errors));
        }

        var probe = PerceptionProbe.Load(ProbePath);
        using var client = new OfflinePersonaChatClient(probe);
        var rater = new SyntheticRater(client, new RaterOptions { Model = OfflinePersonaChatClient.ModelName });
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PluralistDbContext>();
        var result = await RaterRuns.RunAsync(db, data, rater, new RaterRuns.Request
        {
            Study = request.StudyKey,
            Model = OfflinePersonaChatClient.ModelName,
            Endpoint = "offline",
            Personas = request.Personas,
            Items = request.Items,
        }, DateTimeOffset.UtcNow, p => context.Report(p.Total == 0 ? 0 : (double)p.Done / p.Total, "rate", new Counts(p.Done, p.Total, p.Failures)), ct).ConfigureAwait(false);
        var message = string.Create(CultureInfo.InvariantCulture, $"Run {result.Run.Name}: {result.Personas} personas, {result.Planned} ratings ({result.AlreadyDone} already done, {result.Cached} from the cache, {result.Failures} without a valid answer).");
        context.Report(1, "done", new Counts(result.Planned, result.Planned, result.Failures));
        return new JobOutcome(JobContext.Serialize(new Outcome(result.Run.Name, result.Planned, message)), message);
    }
}
