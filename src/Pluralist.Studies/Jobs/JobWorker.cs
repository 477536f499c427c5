using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pluralist.Core.Model;
using Pluralist.Data.Jobs;

namespace Pluralist.Studies.Jobs;

/// <summary>
/// The one background worker of an app instance: claims due jobs of every registered kind from the database queue
/// (<see cref="JobQueue"/>), one at a time, and runs each with its <see cref="IJobHandler"/>. While a job runs, a
/// heartbeat writes its progress (at most once per <see cref="JobWorkerOptions.ProgressWriteInterval"/>) and renews the lease; a worker that loses the lease (it stalled past it and another
/// instance took the job over) or finds it cancelled stops its attempt. Failures are retried with doubling backoff unless the handler says
/// no retry can help. Stopping the instance puts its running job back in the queue for any instance to resume.
/// </summary>
public sealed class JobWorker : BackgroundService
{
    private readonly JobQueue _queue;
    private readonly Dictionary<string, IJobHandler> _handlers;
    private readonly JobWorkerOptions _options;
    private readonly ILogger<JobWorker> _logger;

    public JobWorker(JobQueue queue, IEnumerable<IJobHandler> handlers, JobWorkerOptions options, ILogger<JobWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        _queue = queue ?? throw new ArgumentNullException(nameof(queue));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
        InstanceId = string.IsNullOrWhiteSpace(options.InstanceId)
            ? string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..4]}")
            : options.InstanceId;
    }

    /// <summary>This instance's name in <c>jobs.claimed_by</c>.</summary>
    public string InstanceId { get; }

    /// <summary>The kinds this worker runs.</summary>
    public IReadOnlyCollection<string> Kinds => _handlers.Keys;

    /// <summary>
    /// Called once for every attempt this worker ends: the job's kind, the state it ended in (queued again for a retry
    /// or a release, succeeded, failed, cancelled while it ran) and how long the attempt ran. The one place to count and time jobs.
    /// </summary>
    public event Action<Job, JobState, TimeSpan>? Finished;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled || _handlers.Count == 0)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var job = await _queue.ClaimAsync(InstanceId, Kinds, _options.Lease, stoppingToken).ConfigureAwait(false);
                if (job is null)
                {
                    await _queue.WaitAsync(_options.PollInterval, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                await RunAsync(job, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The database was unreachable or busy: look again after a pause.
                _logger.LogError(ex, "job worker {Instance} could not reach the queue", InstanceId);
                await Task.Delay(_options.PollInterval, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs one claimed job to the end of its attempt, and records how it ended.</summary>
    private async Task RunAsync(Job job, CancellationToken stoppingToken)
    {
        var clock = Stopwatch.StartNew();
        var handler = _handlers[job.Kind];
        var context = new JobContext(job);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var beating = new CancellationTokenSource();
        var lost = false;
        var heartbeat = Task.Run(async () =>
        {
            long written = context.Progress.Version;
            var renewed = Stopwatch.StartNew(); // since the last write (the claim is one)
            while (!beating.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_options.ProgressInterval, beating.Token).ConfigureAwait(false);
                    var p = context.Progress;
                    var renew = renewed.Elapsed >= _options.Lease / 3;
                    var progressed = p.Version != written && renewed.Elapsed >= _options.ProgressWriteInterval;
                    if (!renew && !progressed)
                    {
                        continue;
                    }

                    if (!await _queue.HeartbeatAsync(job.Id, InstanceId, _options.Lease, p.Fraction, p.Message, p.Detail, beating.Token).ConfigureAwait(false))
                    {
                        lost = true;
                        await attempt.CancelAsync().ConfigureAwait(false);
                        return;
                    }

                    written = p.Version;
                    renewed.Restart();
                }
                catch (OperationCanceledException) when (beating.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A missed beat is not fatal: the lease covers several.
                    _logger.LogWarning(ex, "heartbeat of job {Id} failed", job.Id);
                }
            }
        }, CancellationToken.None);

        JobOutcome? outcome = null;
        Exception? error = null;
        try
        {
            outcome = await Task.Run(() => Diagnostics.PluralistTelemetry.RunJobAsync(job.Kind, () => handler.RunAsync(context, attempt.Token)), attempt.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error = ex;
        }
        finally
        {
            await beating.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
        }

        // The rest runs even while the instance stops: the job must not be left claimed.
        JobState? ended;
        if (lost)
        {
            // The heartbeat found the job no longer ours: cancelled (from the console or the CLI), or taken over.
            var now = await _queue.FindAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
            if (now?.State == JobState.Cancelled)
            {
                _logger.LogInformation("job {Id} ({Kind}) was cancelled while it ran; its attempt stopped", job.Id, job.Kind);
                ended = JobState.Cancelled;
            }
            else
            {
                _logger.LogWarning("job {Id} ({Kind}) was taken over by another instance after its lease ran out; this attempt is dropped", job.Id, job.Kind);
                ended = null;
            }
        }
        else if (error is null)
        {
            var p = context.Progress;
            ended = await _queue.SucceedAsync(job.Id, InstanceId, outcome!.Result, outcome.Message, p.Detail, CancellationToken.None).ConfigureAwait(false)
                ? JobState.Succeeded
                : null;
        }
        else if (error is OperationCanceledException && stoppingToken.IsCancellationRequested)
        {
            ended = await _queue.ReleaseAsync(job.Id, InstanceId, CancellationToken.None).ConfigureAwait(false) ? JobState.Queued : null;
            _logger.LogInformation("job {Id} ({Kind}) put back in the queue: this instance is stopping", job.Id, job.Kind);
        }
        else
        {
            var retryable = error is not (JobArgumentsException or StudyInputException);
            if (retryable)
            {
                _logger.LogError(error, "job {Id} ({Kind}) failed on attempt {Attempt} of {Max}", job.Id, job.Kind, job.Attempts, job.MaxAttempts);
            }

            ended = await _queue.FailAsync(job.Id, InstanceId, handler.ErrorMessage(error), retryable, _queue.Now + _options.BackoffAfter(job.Attempts), CancellationToken.None).ConfigureAwait(false);
        }

        if (ended is { } state)
        {
            OnFinished(job, state, clock.Elapsed);
        }
    }

    // The single place where an attempt ends (metrics: kind, state, duration).
    private void OnFinished(Job job, JobState state, TimeSpan duration)
    {
        _logger.LogInformation("job {Id} ({Kind}) attempt {Attempt} ended {State} after {Seconds:0.0} s", job.Id, job.Kind, job.Attempts, state, duration.TotalSeconds);
        Finished?.Invoke(job, state, duration);
    }
}
