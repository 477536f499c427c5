using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Data.Jobs;

namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist jobs cancel</c>: a queued or running job is cancelled and audited; an unknown or ended one exits 1 and changes nothing.</summary>
public sealed class JobsCommandTests
{
    [Fact]
    public async Task Cancel_stops_queued_and_running_jobs_and_refuses_unknown_or_ended_ones()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "jobs", "list", "--data", "d").Code);
        var options = DatabaseOptions.Resolve(new DataDirectory(Path.Combine(dir, "d")), null, null);
        var queue = new JobQueue(options);
        var queued = (await queue.EnqueueAsync("report", null, null, "{}", 1))!;
        var running = (await queue.EnqueueAsync("images", null, null, "{}", 1))!;
        var done = (await queue.EnqueueAsync("raters", null, null, "{}", 1))!;
        // One claimed and running, one claimed and finished.
        Assert.Equal(running.Id, (await queue.ClaimAsync("instance-1", ["images"], TimeSpan.FromMinutes(5)))!.Id);
        Assert.Equal(done.Id, (await queue.ClaimAsync("instance-1", ["raters"], TimeSpan.FromMinutes(5)))!.Id);
        Assert.True(await queue.SucceedAsync(done.Id, "instance-1", "{}", "ok", null));

        var (code, output, err) = CliRunner.Run(dir, "jobs", "cancel", queued.Id, "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains($"cancelled {queued.Id} (report): it will not start", output, StringComparison.Ordinal);
        (code, output, err) = CliRunner.Run(dir, "jobs", "cancel", running.Id, "--data", "d");
        Assert.True(code == 0, err);
        Assert.Contains("it was running on instance-1 and stops at its next heartbeat", output, StringComparison.Ordinal);
        // The running job's worker can write nothing more: its heartbeat says it lost the job.
        Assert.False(await queue.HeartbeatAsync(running.Id, "instance-1", TimeSpan.FromMinutes(5), 0.5, "late", null));
        Assert.False(await queue.SucceedAsync(running.Id, "instance-1", "{}", "late", null));

        (code, _, err) = CliRunner.Run(dir, "jobs", "cancel", done.Id, "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains($"job {done.Id} had already ended (succeeded): nothing was cancelled", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "jobs", "cancel", "20250101-000000-abcdef", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("the queue has no job '20250101-000000-abcdef'", err, StringComparison.Ordinal);

        var rows = (await queue.ListAsync(null, null)).ToDictionary(j => j.Id);
        Assert.Equal(JobState.Cancelled, rows[queued.Id].State);
        Assert.Equal(JobState.Cancelled, rows[running.Id].State);
        Assert.Equal("from the command line.", rows[running.Id].Error);
        Assert.Null(rows[running.Id].LeaseUntil);
        Assert.Equal(JobState.Succeeded, rows[done.Id].State);
        Assert.Contains("\tcancelled\t", CliRunner.Run(dir, "jobs", "list", "--state", "cancelled", "--data", "d").Out, StringComparison.Ordinal);
        await using var db = PluralistDatabase.CreateContext(options);
        Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == "job.cancel"));
    }
}
