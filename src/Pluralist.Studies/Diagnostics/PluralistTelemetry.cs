using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Pluralist.Studies.Diagnostics;

/// <summary>
/// The app's own metrics and spans, all under the name <see cref="Name"/> (docs/observability.md lists them). Nothing here
/// needs an SDK: with no listener (no exporter configured) an instrument or span costs a check of a flag. Tags carry only
/// the study id, a criterion code, a kind and an outcome: never a participant id, pseudonym, invitation code, request id,
/// prompt or answer (docs/security.md).
/// </summary>
public static class PluralistTelemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "Pluralist";

    /// <summary>Tag names (the only ones the app sets).</summary>
    public const string StudyTag = "pluralist.study.id";

    public const string OutcomeTag = "pluralist.outcome";

    public const string KindTag = "pluralist.job.kind";

    /// <summary>Answer outcomes: a new or changed answer stored, a retry of one already applied, a refusal, an error.</summary>
    public const string Stored = "stored";

    public const string Duplicate = "duplicate";

    public const string Refused = "refused";

    public const string Failed = "failed";

    private static readonly ConcurrentDictionary<QueueSource, string> Queues = new();

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>Answers to a comparison that reached the store, by study and outcome.</summary>
    public static readonly Counter<long> AnswerCommits = Meter.CreateCounter<long>("pluralist.answer.commits", "{answer}",
        "Answers to a comparison that reached the store, by study and outcome (stored, duplicate, refused, failed).");

    /// <summary>From the start of an answer's store to its commit (with group commit: the wait for the shared transaction included).</summary>
    public static readonly Histogram<double> AnswerCommitDuration = Meter.CreateHistogram("pluralist.answer.commit.duration", "s",
        "Time from an answer's arrival at the store to its commit, by study and outcome.", advice: SecondsAdvice);

    /// <summary>Writes in one group-commit transaction (SQLite).</summary>
    public static readonly Histogram<int> GroupCommitBatchSize = Meter.CreateHistogram("pluralist.group_commit.batch.size", "{write}",
        "Writes (answers, new assignments) that shared one group-commit transaction.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    /// <summary>One group-commit transaction, from its begin to its commit.</summary>
    public static readonly Histogram<double> GroupCommitDuration = Meter.CreateHistogram("pluralist.group_commit.duration", "s",
        "One group-commit transaction from begin to commit (its fsync included), by outcome.", advice: SecondsAdvice);

    /// <summary>Choosing the participant's next step (the assignment and its writes included).</summary>
    public static readonly Histogram<double> NextTaskDuration = Meter.CreateHistogram("pluralist.next_task.duration", "s",
        "Choosing a participant's next step (an assignment, a rating, a break, done), by study and outcome.", advice: SecondsAdvice);

    /// <summary>Background jobs, from start to end, by kind and outcome.</summary>
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram("pluralist.job.duration", "s",
        "Background jobs (pipeline, raters, report) from start to end, by kind and outcome (done, failed, stopped).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600] });

    /// <summary>Jobs queued and not started, per kind (<see cref="ObserveQueue"/>).</summary>
    public static readonly ObservableGauge<int> JobsWaiting = Meter.CreateObservableGauge("pluralist.jobs.waiting", ObserveQueues, "{job}",
        "Jobs queued and not yet started, by kind.");

    private static InstrumentAdvice<double> SecondsAdvice => new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    /// <summary>The tag value of a study id.</summary>
    public static string StudyId(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Reports the queue depth of a kind of job (<c>pipeline</c>, <c>raters</c>, <c>report</c>) to the
    /// <c>pluralist.jobs.waiting</c> gauge until the returned handle is disposed; several sources of one kind add up.
    /// </summary>
    public static IDisposable ObserveQueue(string kind, Func<int> waiting)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(waiting);
        var source = new QueueSource(waiting);
        Queues[source] = kind;
        return source;
    }

    /// <summary>
    /// Runs one job under a <c>pluralist.job</c> span and records its duration by kind and outcome: <c>done</c>, <c>stopped</c>
    /// (cancelled) or <c>failed</c>. The job's result, or its exception, goes on to the caller unchanged.
    /// </summary>
    public static async Task<T> RunJobAsync<T>(string kind, Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var activity = Source.StartActivity("pluralist.job " + kind, ActivityKind.Internal);
        activity?.SetTag(KindTag, kind);
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            var result = await run().ConfigureAwait(false);
            outcome = "done";
            return result;
        }
        catch (OperationCanceledException)
        {
            outcome = "stopped";
            throw;
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }
        finally
        {
            activity?.SetTag(OutcomeTag, outcome);
            JobDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(KindTag, kind), new KeyValuePair<string, object?>(OutcomeTag, outcome));
        }
    }

    private static IEnumerable<Measurement<int>> ObserveQueues()
    {
        var sums = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (source, kind) in Queues)
        {
            sums[kind] = sums.GetValueOrDefault(kind) + source.Waiting();
        }

        return sums.Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>(KindTag, s.Key)));
    }

    private sealed class QueueSource(Func<int> waiting) : IDisposable
    {
        public Func<int> Waiting { get; } = waiting;

        public void Dispose() => Queues.TryRemove(this, out _);
    }
}
