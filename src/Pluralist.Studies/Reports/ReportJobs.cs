using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;
using Pluralist.Studies.Jobs;

namespace Pluralist.Studies.Reports;

/// <summary>
/// Study reports for the console, run as jobs of the database queue (<see cref="JobQueue"/>, kind <c>report</c>) by
/// whichever app instance's <see cref="JobWorker"/> claims them, each exactly as <c>pluralist analyze study</c> builds it
/// (<see cref="StudyReportInputs"/>, <see cref="StudyReportBuilder"/>, the CLI's default permutations, bootstrap
/// replicates and seed). A study has at most one report queued or running (the queue's exclusive key): a second start
/// is refused. The files go to <c>DATA/reports/KEY/console-ID/</c>: <c>full/</c> (researchers) and <c>shared/</c> (what
/// liaisons may see, <see cref="ReportAudience"/>), each with <c>report.html</c>, <c>report.json</c> and every table as
/// CSV and JSON, and <c>report-model.json</c> beside them, from which any instance shows the report.
/// </summary>
public sealed partial class ReportJobs(JobQueue queue, DataDirectory data, ILogger<ReportJobs> logger, DatabaseOptions? readFrom = null) : IJobHandler
{
    /// <summary>The jobs' kind in the queue.</summary>
    public const string JobKind = "report";

    /// <summary>The audience folders of a job.</summary>
    public const string Full = "full";

    /// <summary>What liaisons may see.</summary>
    public const string Shared = "shared";

    /// <summary>The whole report model beside the audience folders (not served as a file).</summary>
    public const string ModelFile = "report-model.json";

    /// <summary>A report that failed is not retried by default: the same answers give the same failure.</summary>
    public const int MaxAttempts = 2;

    /// <summary>Permutations, bootstrap replicates and seed (the CLI's defaults unless configured).</summary>
    public StudyReportInputs.Request Settings { get; init; } = new() { Study = "" };

    public string Kind => JobKind;

    /// <summary>What a job's result holds.</summary>
    public sealed record Outcome(string Folder, string Message);

    /// <summary>Queues a report of the study; <c>Job</c> null (and the queued or running one in <c>Running</c>) when one is already queued or running for it.</summary>
    public async Task<(ReportJob? Job, ReportJob? Running)> StartAsync(long staffId, Study study, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        var key = "report:" + study.Id.ToString(CultureInfo.InvariantCulture);
        var request = Settings with { Study = StudyKeys.IdPrefix + study.Id.ToString(CultureInfo.InvariantCulture) };
        for (var attempt = 0; ; attempt++)
        {
            if (await queue.EnqueueAsync(JobKind, study.Id, staffId, JobContext.Serialize(request), MaxAttempts, key, ct) is { } job)
            {
                return (View(job, study.Key), null);
            }

            // The running one may have finished in between: then the next try queues.
            var running = await queue.FindActiveAsync(key, ct);
            if (running is not null || attempt == 2)
            {
                return (null, running is null ? null : View(running, study.Key));
            }
        }
    }

    /// <summary>The study's report jobs, newest first.</summary>
    public async Task<IReadOnlyList<ReportJob>> ListAsync(Study study, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        return (await queue.ListAsync(JobKind, study.Id, ct: ct)).Select(j => View(j, study.Key)).ToList();
    }

    /// <summary>A job of the study by id, or an earlier report of it (<see cref="ListEarlierAsync"/>); null when unknown or of another study.</summary>
    public async Task<ReportJob?> FindAsync(Study study, string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        var job = await queue.FindAsync(id, ct);
        if (job is null)
        {
            return Earlier(study, id);
        }

        return job.Kind == JobKind && job.StudyId == study.Id ? View(job, study.Key) : null;
    }

    /// <summary>
    /// The study's reports built before the job queue existed (the console kept its jobs in memory then): folders
    /// <c>DATA/reports/KEY/console-ID/</c> with <c>full/report.json</c> whose id the queue has no row of. Their files are
    /// served as before; the page cannot show them inline (they have no report model). Newest first.
    /// </summary>
    public async Task<IReadOnlyList<ReportJob>> ListEarlierAsync(Study study, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        var root = StudyFolder(study);
        if (!Directory.Exists(root))
        {
            return [];
        }

        var found = Directory.EnumerateDirectories(root, FolderPrefix + "*")
            .Select(d => Earlier(study, Path.GetFileName(d)[FolderPrefix.Length..]))
            .OfType<ReportJob>()
            .ToList();
        var queued = await queue.ExistingAsync(found.Select(j => j.Id).ToList(), ct);
        return found.Where(j => !queued.Contains(j.Id)).OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id, StringComparer.Ordinal).ToList();
    }

    private const string FolderPrefix = "console-";

    private string StudyFolder(Study study) => Path.Combine(data.Root, "reports", study.Key);

    [GeneratedRegex("^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")]
    private static partial Regex EarlierId();

    // An earlier report's folder as a finished run; null when the id is not a job id or the folder holds no report.
    private ReportJob? Earlier(Study study, string id)
    {
        if (!EarlierId().IsMatch(id)
            || !DateTimeOffset.TryParseExact(id[..15], "yyyyMMdd-HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            return null;
        }

        var folder = Path.Combine(StudyFolder(study), FolderPrefix + id);
        var json = Path.Combine(folder, Full, "report.json");
        if (!File.Exists(json) || File.Exists(Path.Combine(folder, ModelFile)))
        {
            return null;
        }

        return new ReportJob(id, study.Id, study.Key, 0, created)
        {
            State = ReportJobState.Done,
            Phase = "done",
            Folder = folder,
            FinishedAt = File.GetLastWriteTimeUtc(json),
            Message = "Built before the job queue: download it below.",
            Earlier = true,
        };
    }

    /// <summary>The whole report of a finished job, read from its folder (null when the folder is gone).</summary>
    public static StudyReport? LoadReport(ReportJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.State == ReportJobState.Done && job.Folder is not null ? ReportModelJson.Read(Path.Combine(job.Folder, ModelFile)) : null;
    }

    private static ReportJob View(Job job, string studyKey)
    {
        var progress = job.ProgressDetail is null ? null : JobContext.Parse<Steps>(job.ProgressDetail);
        var view = new ReportJob(job.Id, job.StudyId ?? 0, studyKey, job.RequestedBy ?? 0, job.CreatedAt)
        {
            State = job.State switch
            {
                JobState.Queued => ReportJobState.Queued,
                JobState.Running => ReportJobState.Running,
                JobState.Succeeded => ReportJobState.Done,
                JobState.Cancelled => ReportJobState.Cancelled,
                _ => ReportJobState.Failed,
            },
            Phase = job.State switch
            {
                JobState.Succeeded => "done",
                JobState.Queued => "queued",
                JobState.Cancelled => "cancelled",
                _ => job.ProgressMessage ?? "queued",
            },
            Done = progress?.Done ?? 0,
            Total = progress?.Total ?? 0,
            Attempts = job.Attempts,
            MaxAttempts = job.MaxAttempts,
            FinishedAt = job.FinishedAt,
        };
        if (job.State == JobState.Succeeded && job.Result is not null)
        {
            var outcome = JobContext.Parse<Outcome>(job.Result);
            view.Folder = outcome.Folder;
            view.Message = outcome.Message;
        }
        else
        {
            view.Message = JobMessages.Describe(job);
        }

        return view;
    }

    private sealed record Steps(int Done, int Total);

    public string ErrorMessage(Exception error) =>
        error is StudyInputException or JobArgumentsException ? error.Message : "the report failed on our side; the server log has the details";

    public async Task<JobOutcome> RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.Job;
        var request = context.Arguments<StudyReportInputs.Request>();
        StudyReportInputs.Check(request);
        var total = 2; // loading and writing; the sections are added once the builder says how many
        context.Report(0, "load", new Steps(0, total));
        var (input, _) = await StudyReportInputs.LoadAsync(readFrom ?? queue.Options, request, ct).ConfigureAwait(false);
        context.Report(1.0 / total, "load", new Steps(1, total));
        var report = StudyReportBuilder.Build(input, new Sync<(int Done, int Total, string Section)>(p =>
        {
            // The builder takes no token: a cancelled job stops between sections.
            ct.ThrowIfCancellationRequested();
            total = p.Total + 2;
            context.Report((1.0 + p.Done) / total, p.Section, new Steps(1 + p.Done, total));
        }));
        ct.ThrowIfCancellationRequested();
        context.Report((total - 1.0) / total, "write", new Steps(total - 1, total));
        var folder = Path.Combine(data.Root, "reports", report.StudyKey, "console-" + job.Id);
        Write(report, Path.Combine(folder, Full));
        Write(ReportAudience.For(report, Role.Liaison), Path.Combine(folder, Shared));
        ReportModelJson.Write(report, Path.Combine(folder, ModelFile));
        context.Report(1, "done", new Steps(total, total));
        var message = string.Create(CultureInfo.InvariantCulture,
            $"{report.Sections.Count} sections, {report.Tables.Count()} tables, {report.Sections.Sum(s => s.Charts.Count)} charts from {input.Rows.Count:N0} answers and {input.Ratings.Count:N0} ratings.");
        logger.LogInformation("report job {Id}: {Message}", job.Id, message);
        return new JobOutcome(JobContext.Serialize(new Outcome(folder, message)), message);
    }

    private static void Write(StudyReport report, string folder)
    {
        report.WriteTables(folder);
        File.WriteAllText(Path.Combine(folder, "report.html"), ReportHtml.Render(report), new UTF8Encoding(false));
    }

    private sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
