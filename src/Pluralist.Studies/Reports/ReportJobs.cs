using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pluralist.Analysis.Reports;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Reports;

/// <summary>
/// Runs study reports for the console in the background, one at a time, each exactly as <c>pluralist analyze study</c>
/// builds it (<see cref="StudyReportInputs"/>, <see cref="StudyReportBuilder"/>, the CLI's default permutations, bootstrap
/// replicates and seed). A study has at most one report queued or running: a second start is refused. The files go to
/// <c>DATA/reports/KEY/console-ID/</c>: <c>full/</c> (researchers) and <c>shared/</c> (what liaisons may see,
/// <see cref="ReportAudience"/>), each with <c>report.html</c>, <c>report.json</c> and every table as CSV and JSON. Jobs
/// live in memory: a restarted server forgets the list, and the folders remain.
/// </summary>
public sealed class ReportJobs(DatabaseOptions database, DataDirectory data, ILogger<ReportJobs> logger) : BackgroundService
{
    /// <summary>The audience folders of a job.</summary>
    public const string Full = "full";

    /// <summary>What liaisons may see.</summary>
    public const string Shared = "shared";

    private readonly Channel<ReportJob> _queue = Channel.CreateUnbounded<ReportJob>();
    private readonly ConcurrentDictionary<string, ReportJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>Jobs queued and not started (the <c>pluralist.jobs.waiting</c> gauge).</summary>
    public int Waiting => _queue.Reader.Count;
    private readonly Lock _start = new();

    /// <summary>Permutations, bootstrap replicates and seed (the CLI's defaults unless configured).</summary>
    public StudyReportInputs.Request Settings { get; init; } = new() { Study = "" };

    /// <summary>Queues a report of the study; null (and the running job in <paramref name="running"/>) when one is already queued or running for it.</summary>
    public ReportJob? Start(long staffId, Study study, out ReportJob? running)
    {
        ArgumentNullException.ThrowIfNull(study);
        lock (_start)
        {
            running = _jobs.Values.Where(j => j.StudyId == study.Id && j.Active).OrderBy(j => j.CreatedAt).FirstOrDefault();
            if (running is not null)
            {
                return null;
            }

            var now = DateTimeOffset.UtcNow;
            var job = new ReportJob(now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6], study.Id, study.Key, staffId, now);
            _jobs[job.Id] = job;
            _queue.Writer.TryWrite(job);
            return job;
        }
    }

    /// <summary>The study's report jobs, newest first.</summary>
    public IReadOnlyList<ReportJob> List(long studyId) =>
        _jobs.Values.Where(j => j.StudyId == studyId).OrderByDescending(j => j.CreatedAt).ToList();

    /// <summary>A job of the study by id; null when unknown or of another study.</summary>
    public ReportJob? Find(long studyId, string id) =>
        _jobs.TryGetValue(id, out var job) && job.StudyId == studyId ? job : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            job.State = ReportJobState.Running;
            try
            {
                await Diagnostics.PluralistTelemetry.RunJobAsync("report", () => Task.Run(() => RunAsync(job, stoppingToken), stoppingToken)).ConfigureAwait(false);
                job.State = ReportJobState.Done;
                job.Phase = "done";
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                job.Message = "stopped with the server; start it again";
                job.State = ReportJobState.Failed;
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogError(ex, "report job {Id} failed", job.Id);
                job.Message = ex is StudyInputException ? ex.Message : "the report failed on our side; the server log has the details";
                job.State = ReportJobState.Failed;
            }

            job.FinishedAt = DateTimeOffset.UtcNow;
        }
    }

    private async Task RunAsync(ReportJob job, CancellationToken ct)
    {
        job.Phase = "load";
        job.Total = 2; // loading and writing; the sections are added once the builder says how many
        var request = Settings with { Study = StudyKeys.IdPrefix + job.StudyId.ToString(CultureInfo.InvariantCulture) };
        var (input, _) = await StudyReportInputs.LoadAsync(database, request, ct).ConfigureAwait(false);
        job.Done = 1;
        var report = StudyReportBuilder.Build(input, new Sync<(int Done, int Total, string Section)>(p =>
        {
            job.Total = p.Total + 2;
            job.Done = 1 + p.Done;
            job.Phase = p.Section;
        }));
        ct.ThrowIfCancellationRequested();
        job.Phase = "write";
        var folder = Path.Combine(data.Root, "reports", job.StudyKey, "console-" + job.Id);
        Write(report, Path.Combine(folder, Full));
        Write(ReportAudience.For(report, Role.Liaison), Path.Combine(folder, Shared));
        job.Folder = folder;
        job.Report = report;
        job.Done = job.Total;
        job.Message = string.Create(CultureInfo.InvariantCulture,
            $"{report.Sections.Count} sections, {report.Tables.Count()} tables, {report.Sections.Sum(s => s.Charts.Count)} charts from {input.Rows.Count:N0} answers and {input.Ratings.Count:N0} ratings.");
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
