using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Scale;

/// <summary><see cref="GroupCommit"/> on a SQLite file: writes that queue during a commit share the next one; a failing write is rolled back alone.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Writes_queued_during_a_commit_share_the_next_and_a_failing_one_is_rolled_back_alone()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var commits = new GroupCommit(database.Options, TimeProvider.System);
        Assert.True(commits.Enabled);

        // The first write holds the writer until the others are queued.
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = commits.RunAsync(async (s, ct) =>
        {
            var id = await AddAsync(s, "write-0", ct);
            running.SetResult();
            await release.Task;
            return id;
        }, CancellationToken.None);
        await running.Task;

        var rest = Enumerable.Range(1, 39).Select(i => commits.RunAsync(async (s, ct) =>
        {
            var id = await AddAsync(s, $"write-{i}", ct);
            if (i == 13)
            {
                throw new InvalidOperationException("write 13 refused after saving");
            }

            return id;
        }, CancellationToken.None)).ToList();
        release.SetResult();

        var ids = new List<long> { await first };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => rest[12]);
        Assert.Equal("write 13 refused after saving", refused.Message);
        foreach (var task in rest.Where((_, k) => k != 12))
        {
            ids.Add(await task);
        }

        // Two transactions: the first write alone, then the 39 that queued behind it (one of them rolled back).
        Assert.Equal(2, commits.Commits);
        Assert.Equal(39, commits.Writes);
        await using var db = database.CreateContext();
        var stored = await db.AuditEntries.Where(a => a.Action.StartsWith("write-")).ToListAsync();
        Assert.Equal(39, stored.Count);
        Assert.DoesNotContain(stored, a => a.Action == "write-13");
        Assert.Equal(ids.Order(), stored.Select(a => a.Id).Order());
    }

    [Fact]
    public async Task A_write_is_acknowledged_only_once_another_connection_can_read_it()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var commits = new GroupCommit(database.Options, TimeProvider.System);
        for (var i = 0; i < 20; i++)
        {
            var id = await commits.RunAsync((s, ct) => AddAsync(s, $"seen-{i}", ct), CancellationToken.None);
            await using var other = database.CreateContext();
            Assert.True(await other.AuditEntries.AnyAsync(a => a.Id == id), $"write {i} acknowledged before its commit");
        }

        // Nothing waited for company: each write found the writer idle and had a commit of its own.
        Assert.Equal(20, commits.Commits);
    }

    [Fact]
    public async Task Each_write_of_a_batch_starts_with_nothing_tracked_and_keeps_its_own_objects()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var commits = new GroupCommit(database.Options, TimeProvider.System);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = commits.RunAsync(async (s, ct) =>
        {
            running.SetResult();
            await release.Task;
            return await AddAsync(s, "holder", ct);
        }, CancellationToken.None);
        await running.Task;

        // Queued behind the holder, so they share one transaction: the first adds a row, the second changes that row.
        long firstId = 0;
        var tracked = new List<int>();
        var first = commits.RunAsync(async (s, ct) =>
        {
            tracked.Add(s.Db.ChangeTracker.Entries().Count());
            var entry = new AuditEntry { Action = "first", At = s.Now };
            s.Db.AuditEntries.Add(entry);
            await s.Db.SaveChangesAsync(ct);
            firstId = entry.Id;
            return entry;
        }, CancellationToken.None);
        var second = commits.RunAsync(async (s, ct) =>
        {
            tracked.Add(s.Db.ChangeTracker.Entries().Count());
            var entry = await s.Db.AuditEntries.FirstAsync(a => a.Id == firstId, ct);
            entry.Action = "second";
            await s.Db.SaveChangesAsync(ct);
            return entry;
        }, CancellationToken.None);
        var more = Enumerable.Range(0, 10).Select(i => commits.RunAsync(async (s, ct) =>
        {
            tracked.Add(s.Db.ChangeTracker.Entries().Count());
            return await AddAsync(s, $"more-{i}", ct);
        }, CancellationToken.None)).ToList();
        release.SetResult();
        await holder;
        var (a, b) = (await first, await second);
        await Task.WhenAll(more);

        Assert.Equal(2, commits.Commits);
        Assert.Equal(Enumerable.Repeat(0, 12), tracked);
        // The first caller's answer is what it saved, not the object the second write went on to change.
        Assert.NotSame(a, b);
        Assert.Equal("first", a.Action);
        Assert.Equal("second", b.Action);
        await using var db = database.CreateContext();
        Assert.Equal("second", (await db.AuditEntries.SingleAsync(e => e.Id == firstId)).Action);
    }

    [Fact]
    public async Task A_write_rolled_back_alone_takes_its_assignment_out_of_the_pair_count()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var images = Directory.CreateTempSubdirectory("pluralist-counts-");
        try
        {
            await SeededStudy.SeedAsync(database.Options, images.FullName, new SeedOptions { Participants = 6, AnswersPerParticipant = 2 });
            List<long> people, pairs;
            int before;
            await using (var db = database.CreateContext())
            {
                people = await db.Participants.OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
                pairs = await db.Pairs.OrderBy(p => p.Id).Select(p => p.Id).Take(4).ToListAsync();
                before = await db.Assignments.CountAsync();
                await PairCounts.AssertMatchAsync(db);
            }

            await using var commits = new GroupCommit(database.Options, TimeProvider.System);
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var first = commits.RunAsync(async (s, ct) =>
            {
                await AssignAsync(s, people[0], pairs[0], ct);
                running.SetResult();
                await release.Task;
                return 0;
            }, CancellationToken.None);
            await running.Task;

            // Twelve assignments queued behind it share one transaction; the sixth is refused after its insert ran the trigger.
            var rest = Enumerable.Range(1, 12).Select(i => commits.RunAsync(async (s, ct) =>
            {
                await AssignAsync(s, people[i % people.Count], pairs[i % pairs.Count], ct);
                return i == 6 ? throw new InvalidOperationException("refused after saving") : i;
            }, CancellationToken.None)).ToList();
            release.SetResult();
            await first;
            await Assert.ThrowsAsync<InvalidOperationException>(() => rest[5]);
            await Task.WhenAll(rest.Where((_, k) => k != 5));

            Assert.Equal(2, commits.Commits);
            await using var check = database.CreateContext();
            Assert.Equal(before + 12, await check.Assignments.CountAsync());
            await PairCounts.AssertMatchAsync(check);
        }
        finally
        {
            images.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failed_commit_fails_every_write_of_its_batch_and_the_next_batch_commits(bool prepare)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var commits = new GroupCommit(database.Options, TimeProvider.System, prepare: prepare);
        Assert.True(await commits.RunAsync((s, ct) => AddAsync(s, "before", ct), CancellationToken.None) > 0);

        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = commits.RunAsync(async (s, ct) =>
        {
            running.SetResult();
            await release.Task;
            return 0L;
        }, CancellationToken.None);
        await running.Task;

        // Queued together: two good writes around one whose foreign key is only checked at commit, which it fails.
        var good = commits.RunAsync((s, ct) => AddAsync(s, "lost-1", ct), CancellationToken.None);
        var bad = commits.RunAsync(async (s, ct) =>
        {
            await s.Db.Database.ExecuteSqlRawAsync("PRAGMA defer_foreign_keys = ON", ct);
            await s.Db.Database.ExecuteSqlRawAsync(
                "INSERT INTO assignments (participant_id, pair_id, criteria_shown, image_0_on_left, language, served_at) VALUES (987654, 987654, '[]', 0, 'en', 0)", ct);
            return 0L;
        }, CancellationToken.None);
        var also = commits.RunAsync((s, ct) => AddAsync(s, "lost-2", ct), CancellationToken.None);
        release.SetResult();
        await holder;
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => good);
        Assert.Same(failed, await Assert.ThrowsAnyAsync<Exception>(() => bad));
        Assert.Same(failed, await Assert.ThrowsAnyAsync<Exception>(() => also));
        Assert.Contains("FOREIGN KEY", failed.Message, StringComparison.OrdinalIgnoreCase);

        // The writer goes on (on a new connection): the next write commits, the failed batch left nothing.
        Assert.True(await commits.RunAsync((s, ct) => AddAsync(s, "after", ct), CancellationToken.None) > 0);
        await using var db = database.CreateContext();
        Assert.Equal(["after", "before"], await db.AuditEntries.Where(a => a.Action == "before" || a.Action.StartsWith("lost") || a.Action == "after").OrderBy(a => a.Action).Select(a => a.Action).ToListAsync());
        Assert.Equal(0, await db.Assignments.CountAsync(a => a.ParticipantId == 987654));
    }

    [PostgresFact]
    public async Task PostgreSQL_keeps_a_transaction_per_write()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var commits = new GroupCommit(database.Options, TimeProvider.System);
        Assert.False(commits.Enabled);
        await Assert.ThrowsAsync<InvalidOperationException>(() => commits.RunAsync((s, ct) => Task.FromResult(1), CancellationToken.None));
    }

    private static async Task AssignAsync(ParticipationStore store, long participantId, long pairId, CancellationToken ct)
    {
        store.Db.Assignments.Add(new Assignment { ParticipantId = participantId, PairId = pairId, CriteriaShown = ["safety"], ServedAt = store.Now });
        await store.Db.SaveChangesAsync(ct);
    }

    private static async Task<long> AddAsync(ParticipationStore store, string action, CancellationToken ct)
    {
        var entry = new AuditEntry { Action = action, At = store.Now };
        store.Db.AuditEntries.Add(entry);
        await store.Db.SaveChangesAsync(ct);
        return entry.Id;
    }
}
