using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Pluralist.Data;
using Pluralist.Studies.Diagnostics;

namespace Pluralist.Studies.Participation;

/// <summary>
/// Group commit for SQLite: participants' writes (answers, new assignments) that arrive while a commit is in progress
/// wait for it and then share the next transaction and its one fsync. Each write runs inside the shared transaction
/// under its own savepoint, so a write that fails (a lost race on a unique index, a refusal thrown as an exception)
/// is rolled back alone and its caller gets the exception; the others commit. A caller's task completes only after
/// the commit that holds its write has returned, so an acknowledged write is as durable as with a transaction of its
/// own (<c>synchronous=FULL</c>). Each write starts with an empty change tracker: what an earlier write of the batch
/// saved is in the database (and the transaction), not among the context's tracked entities.
/// </summary>
/// <remarks>
/// The writer keeps one context and its connection open for its lifetime (a new one after a failed commit), with its
/// statements prepared once (<see cref="PreparedWrites"/>): the savepoints, and the rows of the common writes (a first answer,
/// a new assignment) without EF's <c>SaveChanges</c>; the rarer writes (a change of answer, a report of a broken image) go
/// through EF on the same context and transaction.
/// There is no waiting for company: a write that finds the writer idle is committed at once, so a quiet study pays
/// nothing; under load the writes that queued during one fsync form the next batch (at most <see cref="MaxBatch"/>).
/// PostgreSQL already shares WAL flushes between concurrent commits, so there the writes keep their own transactions
/// (<see cref="Enabled"/> is false).
/// </remarks>
public sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>The most writes one transaction holds.</summary>
    public const int MaxBatch = 256;

    private readonly DatabaseOptions _options;
    private readonly TimeProvider _clock;
    private readonly IDbContextFactory<PluralistDbContext>? _contexts;
    private readonly bool _prepare;
    private readonly Channel<Write> _queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _commits;
    private long _writes;

    // The writer's own context, connection and statements (the loop's alone); null until the first batch and after a failed commit.
    private PluralistDbContext? _db;
    private PreparedWrites? _prepared;
    private ParticipationStore? _store;

    /// <param name="options">The database (group commit applies to SQLite only).</param>
    /// <param name="clock">The clock the writes read through their <see cref="ParticipationStore"/>.</param>
    /// <param name="enabled">False turns group commit off (each write its own transaction, as on PostgreSQL); to compare.</param>
    /// <param name="contexts">Where the writer's context comes from (the app's pool, <see cref="PluralistDatabase.CreatePool"/>); a new one without.</param>
    /// <param name="prepare">False: every write goes through EF's <c>SaveChanges</c> (no <see cref="PreparedWrites"/>); to compare.</param>
    public GroupCommit(DatabaseOptions options, TimeProvider clock, bool enabled = true, IDbContextFactory<PluralistDbContext>? contexts = null, bool prepare = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _options = options;
        _clock = clock;
        _contexts = contexts;
        _prepare = prepare;
        Enabled = enabled && options.Provider == DatabaseProvider.Sqlite;
        _loop = Enabled ? Task.Run(RunAsync) : Task.CompletedTask;
    }

    /// <summary>Whether writes go through the shared writer (SQLite); when false, callers keep their own transactions.</summary>
    public bool Enabled { get; }

    /// <summary>Transactions committed so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes committed so far (failed ones not counted).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>
    /// Runs <paramref name="write"/> in the next shared transaction, on the writer's own context (through a
    /// <see cref="ParticipationStore"/> over it), and returns its result once that transaction is committed.
    /// The write must not begin or commit a transaction itself; it may read, add and call <c>SaveChangesAsync</c>.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<ParticipationStore, CancellationToken, Task<T>> write, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (!Enabled)
        {
            throw new InvalidOperationException("group commit is only used with SQLite");
        }

        var item = new Write<T>(write);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(item), this);

        // Not cancelled by ct once queued: the write may already be in a transaction; the caller's retry with the
        // same request id finds it. The wait itself can be abandoned.
        return await item.Result.WaitAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        // The loop starts inside the request that first needed the writer: it must not carry that request's span.
        Activity.Current = null;
        var batch = new List<Write>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<Write> batch)
    {
        var applied = new List<Write>(batch.Count);
        var started = Stopwatch.GetTimestamp();
        // The writer's loop has no parent span: the batch's span links to the spans of the writes it holds.
        using var activity = PluralistTelemetry.Source.HasListeners()
            ? PluralistTelemetry.Source.StartActivity("pluralist.group_commit", ActivityKind.Internal, default(ActivityContext),
                links: batch.Where(w => w.Caller != default).Select(w => new ActivityLink(w.Caller)))
            : null;
        activity?.SetTag("pluralist.batch.size", batch.Count);
        var outcome = PluralistTelemetry.Failed;
        try
        {
            var (db, prepared, store) = await OpenAsync().ConfigureAwait(false);
            await using var tx = await db.Database.BeginTransactionAsync().ConfigureAwait(false);
            prepared?.Enlist((SqliteTransaction)tx.GetDbTransaction());
            foreach (var item in batch)
            {
                await SavepointAsync(tx, prepared).ConfigureAwait(false);
                try
                {
                    await item.RunAsync(store).ConfigureAwait(false);
                    await ReleaseAsync(tx, prepared).ConfigureAwait(false);
                    // Its rows are saved: the next write starts with nothing tracked, so its SaveChanges does not scan the whole
                    // batch's entities again (quadratic in the batch) and its reads never hand it an object another caller got back.
                    db.ChangeTracker.Clear();
                    applied.Add(item);
                }
#pragma warning disable CA1031 // The write's own failure goes to its caller; the others go on.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    await RollbackToAsync(tx, prepared).ConfigureAwait(false);
                    await ReleaseAsync(tx, prepared).ConfigureAwait(false);
                    db.ChangeTracker.Clear();
                    item.Fail(e);
                }
            }

            await tx.CommitAsync().ConfigureAwait(false);
            outcome = "committed";
        }
#pragma warning disable CA1031 // A failed commit fails every write that was in it; the loop goes on with the next batch.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // Every write of the batch: those applied are lost with the transaction, the rest never ran.
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            // The next batch starts on a new context and connection: nothing of this one's state is trusted.
            await CloseAsync().ConfigureAwait(false);
            foreach (var item in batch)
            {
                item.Fail(e);
            }

            return;
        }
        finally
        {
            var tag = new KeyValuePair<string, object?>(PluralistTelemetry.OutcomeTag, outcome);
            PluralistTelemetry.GroupCommitBatchSize.Record(batch.Count, tag);
            PluralistTelemetry.GroupCommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
            activity?.SetTag(PluralistTelemetry.OutcomeTag, outcome);
        }

        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _writes, applied.Count);
        foreach (var item in applied)
        {
            item.Complete();
        }
    }

    private static Task SavepointAsync(IDbContextTransaction tx, PreparedWrites? prepared)
    {
        if (prepared is null)
        {
            return tx.CreateSavepointAsync("w");
        }

        prepared.Savepoint();
        return Task.CompletedTask;
    }

    private static Task ReleaseAsync(IDbContextTransaction tx, PreparedWrites? prepared)
    {
        if (prepared is null)
        {
            return tx.ReleaseSavepointAsync("w");
        }

        prepared.Release();
        return Task.CompletedTask;
    }

    private static Task RollbackToAsync(IDbContextTransaction tx, PreparedWrites? prepared)
    {
        if (prepared is null)
        {
            return tx.RollbackToSavepointAsync("w");
        }

        prepared.RollbackTo();
        return Task.CompletedTask;
    }

    /// <summary>The writer's context with its connection open, its statements and its store: made once, kept until a commit fails.</summary>
    private async Task<(PluralistDbContext Db, PreparedWrites? Prepared, ParticipationStore Store)> OpenAsync()
    {
        if (_db is null || _store is null)
        {
            var db = _contexts?.CreateDbContext() ?? PluralistDatabase.CreateContext(_options);
            try
            {
                await db.Database.OpenConnectionAsync().ConfigureAwait(false);
                _prepared = _prepare ? new PreparedWrites((SqliteConnection)db.Database.GetDbConnection()) : null;
            }
            catch
            {
                await db.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _db = db;
            _store = new ParticipationStore(db, _clock) { Prepared = _prepared };
        }

        return (_db, _prepared, _store);
    }

    private async Task CloseAsync()
    {
        _prepared?.Dispose();
        _prepared = null;
        _store = null;
        if (_db is { } db)
        {
            _db = null;
            await db.DisposeAsync().ConfigureAwait(false);
        }
    }

    private abstract class Write
    {
        /// <summary>The span the write was queued under (none when nobody listens).</summary>
        public ActivityContext Caller { get; } = Activity.Current?.Context ?? default;

        public abstract Task RunAsync(ParticipationStore store);

        public abstract void Complete();

        public abstract void Fail(Exception e);
    }

    private sealed class Write<T>(Func<ParticipationStore, CancellationToken, Task<T>> write) : Write
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _value;

        public Task<T> Result => _done.Task;

        public override async Task RunAsync(ParticipationStore store) => _value = await write(store, CancellationToken.None).ConfigureAwait(false);

        public override void Complete() => _done.TrySetResult(_value!);

        public override void Fail(Exception e) => _done.TrySetException(e);
    }
}
