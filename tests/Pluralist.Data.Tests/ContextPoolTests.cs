using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Testing;

namespace Pluralist.Data.Tests;

/// <summary>
/// The web app's contexts come from <see cref="PluralistDatabase.CreatePool"/>: a context handed back and out again is
/// the same object, and must carry nothing of the request that had it before.
/// </summary>
public sealed class ContextPoolTests
{
    [Fact]
    public Task A_pooled_context_starts_each_lease_without_the_previous_requests_state_on_sqlite() => NoLeakAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task A_pooled_context_starts_each_lease_without_the_previous_requests_state_on_postgres() => NoLeakAsync(DatabaseProvider.Postgres);

    [Fact]
    public async Task Pooled_and_new_contexts_share_one_model_and_provider()
    {
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var pool = PluralistDatabase.CreatePool(tdb.Options);
        await using var pooled = await pool.CreateDbContextAsync();
        await using var fresh = tdb.CreateContext();
        Assert.Equal(DatabaseProvider.Sqlite, pooled.Provider);
        // The same model: the compiled queries (PerModel) serve both.
        Assert.Same(fresh.Model, pooled.Model);
    }

    [Fact]
    public void Options_not_made_for_a_pluralist_database_are_refused_with_a_reason()
    {
        var options = new DbContextOptionsBuilder<PluralistDbContext>().UseSqlite("Data Source=:memory:").Options;
        var e = Assert.Throws<ArgumentException>(() => new PluralistDbContext(options));
        Assert.Contains("PluralistDatabase.ContextOptions", e.Message, StringComparison.Ordinal);
    }

    private static async Task NoLeakAsync(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        await using (var seed = tdb.CreateContext())
        {
            await StudyStore.EnsureDefaultStudyAsync(seed, DateTimeOffset.UtcNow);
        }

        var pool = PluralistDatabase.CreatePool(tdb.Options);
        PluralistDbContext first;
        string title;
        int defaultTimeout;
        await using (var db = await pool.CreateDbContextAsync())
        {
            first = db;
            defaultTimeout = db.Database.GetCommandTimeout() ?? -1;
            // A request that tracks a change it never saves, adds an entity, changes the context's settings and leaves a
            // transaction open with a write in it.
            var study = await db.Studies.OrderBy(s => s.Id).FirstAsync();
            title = study.Key;
            study.Key = "changed-in-memory";
            db.AuditEntries.Add(new AuditEntry { Action = "test.unsaved", Details = "{}", At = DateTimeOffset.UtcNow });
            db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
            db.Database.SetCommandTimeout(defaultTimeout + 77);
            await db.Database.BeginTransactionAsync();
            db.AuditEntries.Add(new AuditEntry { Action = "test.uncommitted", Details = "{}", At = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
            Assert.NotEmpty(db.ChangeTracker.Entries());
        }

        await using (var db = await pool.CreateDbContextAsync())
        {
            // The same object (so the pool is in use), with nothing of the lease before.
            Assert.Same(first, db);
            Assert.Empty(db.ChangeTracker.Entries());
            Assert.Equal(QueryTrackingBehavior.TrackAll, db.ChangeTracker.QueryTrackingBehavior);
            Assert.True(db.ChangeTracker.AutoDetectChangesEnabled);
            Assert.Equal(AutoTransactionBehavior.WhenNeeded, db.Database.AutoTransactionBehavior);
            Assert.Equal(defaultTimeout, db.Database.GetCommandTimeout() ?? -1);
            Assert.Null(db.Database.CurrentTransaction);
            Assert.Equal(tdb.Provider, db.Provider);
            // The unsaved change is not seen, the transaction left open was rolled back.
            var study = await db.Studies.OrderBy(s => s.Id).FirstAsync();
            Assert.Equal(title, study.Key);
            Assert.False(await db.AuditEntries.AnyAsync(a => a.Action.StartsWith("test.")));
        }

        // And another context (the next request's, on another connection) sees no leftover lock or row.
        await using var other = tdb.CreateContext();
        Assert.False(await other.AuditEntries.AnyAsync(a => a.Action.StartsWith("test.")));
    }
}
