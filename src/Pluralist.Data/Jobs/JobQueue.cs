using System.Data.Common;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Data.Jobs;

/// <summary>
/// The background job queue in the database (table <c>jobs</c>), shared by every app instance on it. A worker claims
/// one due job in one statement: on PostgreSQL <c>FOR UPDATE SKIP LOCKED</c> lets concurrent workers pass over each
/// other's rows; on SQLite the claim runs in an immediate transaction, so one writer at a time gives the same
/// guarantee. The claim holds a lease that the worker's heartbeat renews; a job whose lease ran out (its instance was
/// killed) is due again. Every write after the claim names the worker, so a worker that lost its job changes nothing.
/// </summary>
public sealed class JobQueue(DatabaseOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    // Holds at most one wake-up: several enqueues in a row need one look at the queue.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public DatabaseOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>A new job id: readable, sortable by creation, usable as a folder name.</summary>
    public static string NewId(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>
    /// Queues a job (state, attempts, times and claim are set here) and wakes this instance's worker. Null when
    /// <see cref="Job.ExclusiveKey"/> is held by a queued or running job (the database's unique index decides).
    /// </summary>
    public async Task<Job?> EnqueueAsync(string kind, long? studyId, long? requestedBy, string arguments, int maxAttempts, string? exclusiveKey = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        var now = Now;
        var job = new Job
        {
            Id = NewId(now),
            Kind = kind,
            StudyId = studyId,
            RequestedBy = requestedBy,
            Arguments = arguments,
            ExclusiveKey = exclusiveKey,
            State = JobState.Queued,
            MaxAttempts = maxAttempts,
            RunAfter = now,
            CreatedAt = now,
        };
        await using var db = PluralistDatabase.CreateContext(Options);
        db.Jobs.Add(job);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (exclusiveKey is not null)
        {
            db.ChangeTracker.Clear();
            if (await ActiveAsync(db, exclusiveKey, ct) is not null)
            {
                return null;
            }

            throw;
        }

        Wake();
        return job;
    }

    /// <summary>The queued or running job holding <paramref name="exclusiveKey"/>, if any.</summary>
    public async Task<Job?> FindActiveAsync(string exclusiveKey, CancellationToken ct = default)
    {
        await using var db = PluralistDatabase.CreateContext(Options);
        return await ActiveAsync(db, exclusiveKey, ct);
    }

    private static Task<Job?> ActiveAsync(PluralistDbContext db, string key, CancellationToken ct) =>
        db.Jobs.AsNoTracking().Where(j => j.ExclusiveKey == key && (j.State == JobState.Queued || j.State == JobState.Running)).FirstOrDefaultAsync(ct);

    /// <summary>A job by id; null when unknown.</summary>
    public async Task<Job?> FindAsync(string id, CancellationToken ct = default)
    {
        await using var db = PluralistDatabase.CreateContext(Options);
        return await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, ct);
    }

    /// <summary>Those of <paramref name="ids"/> that the queue holds a row of (any kind, study or state).</summary>
    public async Task<IReadOnlySet<string>> ExistingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        await using var db = PluralistDatabase.CreateContext(Options);
        var found = await db.Jobs.AsNoTracking().Where(j => ids.Contains(j.Id)).Select(j => j.Id).ToListAsync(ct);
        return found.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Jobs of a kind (all kinds when null) of a study (all when null), in a state (any when null), newest first.</summary>
    public async Task<IReadOnlyList<Job>> ListAsync(string? kind, long? studyId, int limit = 100, JobState? state = null, CancellationToken ct = default)
    {
        await using var db = PluralistDatabase.CreateContext(Options);
        var query = db.Jobs.AsNoTracking();
        if (state is not null)
        {
            query = query.Where(j => j.State == state);
        }

        if (kind is not null)
        {
            query = query.Where(j => j.Kind == kind);
        }

        if (studyId is not null)
        {
            query = query.Where(j => j.StudyId == studyId);
        }

        return await query.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(limit).ToListAsync(ct);
    }

    /// <summary>Jobs waiting to run (queued, whatever their backoff), per kind: the <c>pluralist.jobs.waiting</c> gauge.</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountWaitingAsync(CancellationToken ct = default)
    {
        await using var db = PluralistDatabase.CreateContext(Options);
        var counts = await db.Jobs.AsNoTracking().Where(j => j.State == JobState.Queued)
            .GroupBy(j => j.Kind).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return counts.ToDictionary(c => c.Key, c => c.Count, StringComparer.Ordinal);
    }

    /// <summary>Wakes a worker waiting in <see cref="WaitAsync"/> (this instance enqueued something).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Waits until <see cref="Wake"/> or <paramref name="max"/> has passed.</summary>
    public async Task WaitAsync(TimeSpan max, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(max);
        try
        {
            await _wake.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The poll interval passed.
        }
    }

    /// <summary>
    /// Claims the oldest due job of one of <paramref name="kinds"/> for <paramref name="worker"/>: a queued job whose
    /// backoff has passed, or a running one whose lease ran out with attempts left. Its attempts go up by one.
    /// Before that, running jobs whose lease ran out with no attempt left are failed. Null when nothing is due.
    /// </summary>
    public async Task<Job?> ClaimAsync(string worker, IReadOnlyCollection<string> kinds, TimeSpan lease, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(worker);
        ArgumentNullException.ThrowIfNull(kinds);
        if (kinds.Count == 0)
        {
            return null;
        }

        var now = Now;
        string? id;
        await using (var connection = await PluralistDatabase.OpenAsync(Options, ct))
        {
            // SQLite: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default), the write lock taken before anything is read.
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using (var expire = Command(connection, tx,
                "UPDATE jobs SET state = 3, finished_at = @now, lease_until = NULL, " +
                "error = 'Its worker (' || COALESCE(claimed_by, '?') || ') stopped renewing its lease, and all ' || max_attempts || ' attempts are used.' " +
                "WHERE state = 1 AND lease_until < @now AND attempts >= max_attempts"))
            {
                Add(expire, "@now", At(now));
                await expire.ExecuteNonQueryAsync(ct);
            }

            var names = kinds.Select((_, i) => "@k" + i.ToString(CultureInfo.InvariantCulture)).ToList();
            var skipLocked = Options.Provider == DatabaseProvider.Postgres ? " FOR UPDATE SKIP LOCKED" : "";
            await using var claim = Command(connection, tx,
                "UPDATE jobs SET state = 1, attempts = attempts + 1, claimed_by = @worker, lease_until = @lease, heartbeat_at = @now, " +
                "started_at = COALESCE(started_at, @now) " +
                "WHERE id = (SELECT id FROM jobs WHERE kind IN (" + string.Join(", ", names) + ") " +
                "AND ((state = 0 AND run_after <= @now) OR (state = 1 AND lease_until < @now AND attempts < max_attempts)) " +
                "ORDER BY run_after, created_at, id LIMIT 1" + skipLocked + ") RETURNING id");
            Add(claim, "@worker", worker);
            Add(claim, "@lease", At(now + lease));
            Add(claim, "@now", At(now));
            foreach (var (kind, i) in kinds.Select((k, i) => (k, i)))
            {
                Add(claim, names[i], kind);
            }

            id = await claim.ExecuteScalarAsync(ct) as string;
            await tx.CommitAsync(ct);
        }

        return id is null ? null : await FindAsync(id, ct);
    }

    /// <summary>Renews the lease and records progress; false when the worker no longer holds the job (it must stop).</summary>
    public async Task<bool> HeartbeatAsync(string id, string worker, TimeSpan lease, double progress, string? message, string? detail, CancellationToken ct = default)
    {
        var now = Now;
        return await UpdateAsync(
            "UPDATE jobs SET lease_until = @lease, heartbeat_at = @now, progress = @progress, progress_message = @message, progress_detail = @detail " +
            "WHERE id = @id AND claimed_by = @worker AND state = 1", ct,
            ("@id", id), ("@worker", worker), ("@lease", At(now + lease)), ("@now", At(now)),
            ("@progress", Math.Clamp(double.IsFinite(progress) ? progress : 0, 0, 1)), ("@message", message), ("@detail", detail)) == 1;
    }

    /// <summary>Marks the job succeeded with its result; false when the worker no longer holds it.</summary>
    public async Task<bool> SucceedAsync(string id, string worker, string? result, string? message, string? detail, CancellationToken ct = default) =>
        await UpdateAsync(
            "UPDATE jobs SET state = 2, progress = 1, progress_message = @message, progress_detail = COALESCE(@detail, progress_detail), result = @result, " +
            "error = NULL, lease_until = NULL, finished_at = @now WHERE id = @id AND claimed_by = @worker AND state = 1", ct,
            ("@id", id), ("@worker", worker), ("@message", message), ("@detail", detail), ("@result", result), ("@now", At(Now))) == 1;

    /// <summary>
    /// Records a failed attempt. A <paramref name="retryable"/> failure with attempts left goes back to the queue, due at
    /// <paramref name="retryAt"/>, its error kept visible; otherwise the job fails. The state it is now in; null when
    /// the worker no longer held it.
    /// </summary>
    public async Task<JobState?> FailAsync(string id, string worker, string error, bool retryable, DateTimeOffset retryAt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        var changed = await UpdateAsync(
            "UPDATE jobs SET state = CASE WHEN @retryable = 1 AND attempts < max_attempts THEN 0 ELSE 3 END, " +
            "run_after = @retry, error = @error, lease_until = NULL, " +
            "finished_at = CASE WHEN @retryable = 1 AND attempts < max_attempts THEN NULL ELSE @now END " +
            "WHERE id = @id AND claimed_by = @worker AND state = 1", ct,
            ("@id", id), ("@worker", worker), ("@retryable", retryable ? 1 : 0), ("@retry", At(retryAt)), ("@error", error), ("@now", At(Now)));
        return changed == 1 ? (await FindAsync(id, ct))?.State : null;
    }

    /// <summary>Puts a running job back in the queue at once without counting the attempt (its instance is stopping).</summary>
    public async Task<bool> ReleaseAsync(string id, string worker, CancellationToken ct = default) =>
        await UpdateAsync(
            "UPDATE jobs SET state = 0, attempts = attempts - 1, run_after = @now, lease_until = NULL " +
            "WHERE id = @id AND claimed_by = @worker AND state = 1", ct,
            ("@id", id), ("@worker", worker), ("@now", At(Now))) == 1;

    /// <summary>
    /// Cancels a queued or running job; false when it has already ended (or is unknown). A running job's worker learns of it
    /// at its next heartbeat, which then finds the job no longer running and stops the attempt; nothing it writes after
    /// that changes the row.
    /// </summary>
    public async Task<bool> CancelAsync(string id, string reason, CancellationToken ct = default) =>
        await UpdateAsync("UPDATE jobs SET state = 4, error = @reason, finished_at = @now, lease_until = NULL WHERE id = @id AND state IN (0, 1)", ct,
            ("@id", id), ("@reason", reason), ("@now", At(Now))) == 1;

    private async Task<int> UpdateAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await PluralistDatabase.OpenAsync(Options, ct);
        await using var command = Command(connection, null, sql);
        foreach (var (name, value) in parameters)
        {
            Add(command, name, value);
        }

        return await command.ExecuteNonQueryAsync(ct);
    }

    // A time as the provider's column holds it (schema version 12): unix milliseconds on SQLite, UTC timestamptz on PostgreSQL.
    private object At(DateTimeOffset t) => Options.Provider == DatabaseProvider.Sqlite ? t.ToUnixTimeMilliseconds() : t.ToUniversalTime();

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        command.Parameters.Add(p);
    }
}
