using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;

namespace Pluralist.Cli;

/// <summary><c>pluralist jobs list</c> and <c>jobs cancel</c>: the background job queue that every app instance works off.</summary>
public static class JobsCommands
{
    private static readonly JsonSerializerOptions JsonOut = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var jobs = new Command("jobs", "The background job queue in the database (reports, rater runs, image jobs).");
        var state = new Option<string?>("--state") { Description = "Only jobs in this state: queued, running, succeeded, failed or cancelled." };
        var limit = new Option<int>("--limit") { Description = "At most this many jobs, newest first (default 50).", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "One JSON array instead of the table." };
        var list = new Command("list", "List the jobs, newest first: kind, study, state, attempts, the instance that claimed it, progress and the last error.") { state, limit, json };
        list.SetAction(CliContext.Run(async (parse, ct) =>
        {
            JobState? only = null;
            if (parse.GetValue(state) is { } s)
            {
                only = Enum.TryParse<JobState>(s, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(s, out _)
                    ? parsed
                    : throw new CliInputException($"--state '{s}' is not queued, running, succeeded, failed or cancelled");
            }

            if (parse.GetValue(limit) is < 1 or > 10_000)
            {
                throw new CliInputException($"--limit {parse.GetValue(limit)} must be 1 to 10000");
            }

            var (data, options) = CliContext.Resolve(parse);
            data.EnsureCreated();
            await PluralistDatabase.MigrateAsync(options, ct: ct).ConfigureAwait(false);
            var queue = new JobQueue(options);
            var rows = await queue.ListAsync(null, null, parse.GetValue(limit), only, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(j => new
                {
                    j.Id,
                    j.Kind,
                    j.StudyId,
                    j.RequestedBy,
                    State = j.State.ToString().ToLowerInvariant(),
                    j.Attempts,
                    j.MaxAttempts,
                    j.RunAfter,
                    j.ClaimedBy,
                    j.LeaseUntil,
                    j.Progress,
                    j.ProgressMessage,
                    j.Error,
                    j.CreatedAt,
                    j.StartedAt,
                    j.FinishedAt,
                }), JsonOut));
                return 0;
            }

            if (rows.Count == 0)
            {
                Console.WriteLine("no jobs");
                return 0;
            }

            Console.WriteLine("id\tkind\tstudy\tstate\tattempts\tinstance\tprogress\terror");
            foreach (var j in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{j.Id}\t{j.Kind}\t{j.StudyId}\t{j.State.ToString().ToLowerInvariant()}\t{j.Attempts}/{j.MaxAttempts}\t{j.ClaimedBy}\t{j.Progress:P0} {j.ProgressMessage}\t{j.Error}"));
            }

            return 0;
        }));
        jobs.Subcommands.Add(list);
        jobs.Subcommands.Add(Cancel());
        return jobs;
    }

    private static Command Cancel()
    {
        var id = new Argument<string>("id") { Description = "The job's id (first column of jobs list)." };
        var cancel = new Command("cancel", "Cancel a queued or running job: a queued one never starts, a running one stops at its next heartbeat.") { id };
        cancel.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var jobId = parse.GetValue(id)!;
            var (data, options) = CliContext.Resolve(parse);
            data.EnsureCreated();
            await PluralistDatabase.MigrateAsync(options, ct: ct).ConfigureAwait(false);
            var queue = new JobQueue(options);
            var job = await queue.FindAsync(jobId, ct).ConfigureAwait(false)
                ?? throw new CliInputException($"id: the queue has no job '{jobId}' (pluralist jobs list shows them)");
            var was = job.State;
            if (!await queue.CancelAsync(job.Id, "from the command line.", ct).ConfigureAwait(false))
            {
                var now = await queue.FindAsync(job.Id, ct).ConfigureAwait(false);
                throw new CliInputException($"id: job {job.Id} had already ended ({(now ?? job).State.ToString().ToLowerInvariant()}): nothing was cancelled");
            }

            await using (var db = PluralistDatabase.CreateContext(options))
            {
                db.AuditEntries.Add(new AuditEntry
                {
                    StudyId = job.StudyId,
                    Action = "job.cancel",
                    Details = JsonSerializer.Serialize(new { job = job.Id, kind = job.Kind, from = "cli" }),
                    At = DateTimeOffset.UtcNow,
                });
                await db.SaveChangesAsync(ct).ConfigureAwait(false);
            }

            Console.WriteLine(was == JobState.Running
                ? $"cancelled {job.Id} ({job.Kind}): it was running on {job.ClaimedBy} and stops at its next heartbeat"
                : $"cancelled {job.Id} ({job.Kind}): it will not start");
            return 0;
        }));
        return cancel;
    }
}
