using System.Text.Json;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Jobs;

/// <summary>Runs the jobs of one kind for <see cref="JobWorker"/>; registered as a singleton per kind.</summary>
public interface IJobHandler
{
    /// <summary>The <see cref="Job.Kind"/> it runs.</summary>
    string Kind { get; }

    /// <summary>
    /// Runs one attempt. Progress goes through <paramref name="context"/>; the returned outcome is stored on the job.
    /// Throw <see cref="JobArgumentsException"/> (or <see cref="StudyInputException"/>) for a failure that no retry can
    /// mend; any other exception is retried with backoff while attempts are left.
    /// </summary>
    Task<JobOutcome> RunAsync(JobContext context, CancellationToken ct);

    /// <summary>The error shown on the job for a failed attempt (by default the exception's message).</summary>
    string ErrorMessage(Exception error) => error?.Message ?? "";
}

/// <summary>What a job made: its result as JSON (for the page that shows it) and a one-line summary.</summary>
public sealed record JobOutcome(string? Result, string? Message);

/// <summary>A job that cannot succeed on retry (bad arguments, a study that no longer exists): it fails at once with this message.</summary>
public sealed class JobArgumentsException(string message) : Exception(message);

/// <summary>The job an attempt runs, and where it reports progress (written to the table by the worker's heartbeat).</summary>
public sealed class JobContext(Job job)
{
    private readonly Lock _lock = new();
    private (double Fraction, string? Message, string? Detail, long Version) _progress = (job?.Progress ?? 0, job?.ProgressMessage, job?.ProgressDetail, 0);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Job Job { get; } = job ?? throw new ArgumentNullException(nameof(job));

    /// <summary>The job's arguments.</summary>
    public T Arguments<T>() => Parse<T>(Job.Arguments);

    /// <summary>Records progress: a fraction in [0, 1], the step it is at, and the kind's own counters (serialised as JSON).</summary>
    public void Report(double fraction, string? message, object? detail = null)
    {
        var json = detail is null ? null : JsonSerializer.Serialize(detail, detail.GetType(), Json);
        lock (_lock)
        {
            _progress = (fraction, message, json, _progress.Version + 1);
        }
    }

    /// <summary>The latest progress and a number that changes with each report.</summary>
    public (double Fraction, string? Message, string? Detail, long Version) Progress
    {
        get
        {
            lock (_lock)
            {
                return _progress;
            }
        }
    }

    /// <summary>JSON of a job's arguments, progress or result (web defaults: camelCase).</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>Reads JSON written by <see cref="Serialize"/>; bad JSON is a <see cref="JobArgumentsException"/>.</summary>
    public static T Parse<T>(string? json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json ?? "null", Json) ?? throw new JobArgumentsException($"The job's JSON is empty where a {typeof(T).Name} is expected.");
        }
        catch (JsonException e)
        {
            throw new JobArgumentsException($"The job's JSON does not hold a {typeof(T).Name}: {e.Message}");
        }
    }
}
