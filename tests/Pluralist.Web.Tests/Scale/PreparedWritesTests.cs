using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// The SQLite group-commit writer's prepared statements (<see cref="PreparedWrites"/>) against EF's <c>SaveChanges</c>: the same
/// writes through both into two databases seeded alike give the same rows, every column of every row.
/// </summary>
public sealed class PreparedWritesTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 10, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] Tables = ["assignments", "annotations", "annotation_scores", "applied_requests", "image_reports", "pairs", "participants"];

    [Fact]
    public async Task The_same_writes_through_EF_and_through_the_prepared_statements_leave_the_same_rows()
    {
        var images = Directory.CreateTempSubdirectory("pluralist-prepared-");
        try
        {
            await using var viaEf = await SeedAsync(Path.Combine(images.FullName, "ef"));
            await using var viaPrepared = await SeedAsync(Path.Combine(images.FullName, "prepared"));
            var efOutcomes = await WriteAsync(viaEf, prepare: false);
            var preparedOutcomes = await WriteAsync(viaPrepared, prepare: true);

            // The script did what it means to: a lost race on a unique index, a refused score, each kind of answer.
            Assert.Contains("DbUpdateException", efOutcomes);
            Assert.Contains(efOutcomes, o => o.StartsWith("duplicate", StringComparison.Ordinal));
            Assert.Contains(efOutcomes, o => o.StartsWith("changed", StringComparison.Ordinal));
            Assert.Contains("refused RequestIdReused", efOutcomes);
            Assert.Contains("refused NotCurrent", efOutcomes);
            Assert.Equal(efOutcomes, preparedOutcomes);
            foreach (var table in Tables)
            {
                var (ef, prepared) = (await DumpAsync(viaEf, table), await DumpAsync(viaPrepared, table));
                Assert.True(ef.Count > 0, table);
                Assert.Equal(ef, prepared);
            }

            await using var efDb = viaEf.CreateContext();
            await using var preparedDb = viaPrepared.CreateContext();
            Assert.Equal(2, await efDb.ImageReports.CountAsync());
            await PairCounts.AssertMatchAsync(preparedDb);
        }
        finally
        {
            // No SqliteConnection.ClearAllPools(): it closes other tests' idle connections, and SQLite their -wal files with them.
            images.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_criteria_shown_to_a_participant_are_counted_alike_and_give_the_same_draws()
    {
        var images = Directory.CreateTempSubdirectory("pluralist-prepared-");
        try
        {
            await using var database = await SeedAsync(images.FullName);
            await using var db = database.CreateContext();
            var study = (await StudyStore.FindByIdAsync(db, await db.Studies.Select(s => s.Id).SingleAsync()))!;
            var people = await db.Participants.OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
            await db.Database.OpenConnectionAsync();
            using var prepared = new PreparedWrites((SqliteConnection)db.Database.GetDbConnection());
            var viaEf = new CriteriaCounts { Random = new Random(5) };
            var viaSql = new CriteriaCounts { Random = new Random(5) };
            foreach (var pid in people.Append(-1))
            {
                var read = await CriteriaCounts.ShownToJudgeAsync(db, pid, CancellationToken.None);
                var counted = prepared.ShownToJudge(pid);
                Assert.Equal(read.OrderBy(kv => kv.Key, StringComparer.Ordinal), counted.OrderBy(kv => kv.Key, StringComparer.Ordinal));
                Assert.True(pid == -1 || read.Values.Sum() >= 3, $"participant {pid} was shown nothing");
                for (var i = 0; i < 5; i++)
                {
                    var a = await viaEf.DrawAsync(db, study, CancellationToken.None, pid);
                    var b = await viaSql.DrawAsync(db, study, CancellationToken.None, pid, prepared);
                    Assert.Equal(a.Criteria, b.Criteria);
                    Assert.Equal(a.Image0OnLeft, b.Image0OnLeft);
                }
            }
        }
        finally
        {
            // No SqliteConnection.ClearAllPools(): it closes other tests' idle connections, and SQLite their -wal files with them.
            images.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_writer_s_kept_criteria_counts_follow_its_inserts_other_writers_deletes_and_a_rollback()
    {
        var images = Directory.CreateTempSubdirectory("pluralist-prepared-");
        try
        {
            await using var database = await SeedAsync(images.FullName);
            await using var db = database.CreateContext();
            var study = (await StudyStore.FindByIdAsync(db, await db.Studies.Select(s => s.Id).SingleAsync()))!;
            var (pid, other) = (await db.Participants.OrderBy(p => p.Id).Select(p => p.Id).FirstAsync(), await db.Participants.OrderBy(p => p.Id).Select(p => p.Id).Skip(1).FirstAsync());
            var pair = await db.Pairs.OrderBy(p => p.Id).Select(p => p.Id).FirstAsync();
            await db.Database.OpenConnectionAsync();
            using var prepared = new PreparedWrites((SqliteConnection)db.Database.GetDbConnection());
            var counts = new CriteriaCounts { Random = new Random(3) };

            async Task SameAsync(string when)
            {
                var read = await CriteriaCounts.ShownToJudgeAsync(db, pid, CancellationToken.None);
                var kept = prepared.ShownToJudge(pid);
                Assert.True(read.OrderBy(kv => kv.Key, StringComparer.Ordinal).SequenceEqual(kept.OrderBy(kv => kv.Key, StringComparer.Ordinal)), when);
                Assert.Equal(read.OrderBy(kv => kv.Key, StringComparer.Ordinal), prepared.CountShown(pid).OrderBy(kv => kv.Key, StringComparer.Ordinal));
            }

            await SameAsync("first count");
            for (var i = 0; i < 4; i++)
            {
                await counts.AssignAsync(db, study, pid, pair, study.Batches[0].Id, "en", Now, CancellationToken.None, prepared: prepared);
                await SameAsync($"after the writer's insert {i}");
            }

            // Another participant's assignment, then another writer's delete of one of the participant's earliest assignments.
            await counts.AssignAsync(db, study, other, pair, study.Batches[0].Id, "en", Now, CancellationToken.None, prepared: prepared);
            await SameAsync("after another participant's insert");
            await using (var elsewhere = new SqliteConnection(database.Options.ConnectionString))
            {
                await elsewhere.OpenAsync();
                await using var delete = elsewhere.CreateCommand();
                delete.CommandText = $"DELETE FROM assignments WHERE id = (SELECT MIN(id) FROM assignments WHERE participant_id = {pid})";
                Assert.Equal(1, await delete.ExecuteNonQueryAsync());
            }

            await SameAsync("after another writer's delete");

            // An insert rolled back with its write's savepoint; then one through EF, which the writer never saw.
            // The EF insert takes the rolled-back row's id again (the rollback took back the table's sequence too), so only the
            // rollback itself can tell the writer that its kept counts are stale.
            var keys = study.Criteria.Select(c => c.Key).ToList();
            prepared.Savepoint();
            Assert.NotEmpty(prepared.ShownToJudge(pid));
            var undone = new Assignment { ParticipantId = pid, PairId = pair, BatchId = study.Batches[0].Id, CriteriaShown = [keys[0], keys[1], keys[2]], ServedAt = Now };
            prepared.InsertAssignment(undone);
            prepared.RollbackTo();
            prepared.Release();
            var again = new Assignment { ParticipantId = pid, PairId = pair, BatchId = study.Batches[0].Id, CriteriaShown = [keys[3], keys[4], keys[5]], ServedAt = Now };
            db.Assignments.Add(again);
            await db.SaveChangesAsync();
            Assert.Equal(undone.Id, again.Id);
            await SameAsync("after a rollback and an insert through EF");
        }
        finally
        {
            // No SqliteConnection.ClearAllPools(): it closes other tests' idle connections, and SQLite their -wal files with them.
            images.Delete(recursive: true);
        }
    }

    private static async Task<TestDatabase> SeedAsync(string images)
    {
        Directory.CreateDirectory(images);
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await SeededStudy.SeedAsync(database.Options, images, new SeedOptions { Participants = 6, AnswersPerParticipant = 4 });
        return database;
    }

    /// <summary>
    /// New assignments, then answers, each group queued behind a held write so that it shares one transaction: among them a
    /// participant's second place on a pair (lost on the unique index), a first answer and its change in one batch, a retry,
    /// a request id reused for another assignment, a report of a broken image, a score the database refuses, a withdrawn
    /// participant's answer. The outcomes, in order.
    /// </summary>
    private static async Task<List<string>> WriteAsync(TestDatabase database, bool prepare)
    {
        var clock = new FixedClock(Now);
        var counts = new CriteriaCounts { Random = new Random(11) };
        await using var commits = new GroupCommit(database.Options, clock, prepare: prepare);
        await using var db = database.CreateContext();
        var study = (await StudyStore.FindByIdAsync(db, await db.Studies.Select(s => s.Id).SingleAsync()))!;
        var batch = study.Batches[0];
        var people = await db.Participants.OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
        var pairs = await db.Pairs.Where(p => p.Kind == PairKind.Annotation).OrderBy(p => p.Id).Select(p => p.Id).Take(4).ToListAsync();
        var outcomes = new List<string>();

        // Assignments: three places per pair; participant 0 comes back for a second place on pair 0 and loses on the index.
        var claims = new List<(int Person, int Pair)> { (0, 0), (1, 0), (0, 1), (2, 1), (0, 0), (3, 2), (1, 2), (2, 3), (0, 3), (1, 1), (4, 0), (4, 1) };
        var made = await HeldAsync(commits, claims.Select(c => (Func<Task<Assignment?>>)(() =>
            commits.RunAsync((s, ct) => NextAssignment.AssignInWriterAsync(s, counts, study, people[c.Person], pairs[c.Pair], batch.Id, "en", 3, ct), CancellationToken.None))).ToList());
        outcomes.AddRange(made.Select(m => m.Error ?? $"assignment {m.Value?.Id}"));
        var assigned = made.Where(m => m.Value is not null).Select(m => m.Value!).ToList();
        // One lost race, and pair 1 full (three places) before participant 4 comes to it.
        Assert.Equal(claims.Count - 2, assigned.Count);
        Assert.Null(made[^1].Value);

        // Participant 5 is given an assignment, then withdraws before answering.
        var withdrawn = await commits.RunAsync((s, ct) => NextAssignment.AssignInWriterAsync(s, counts, study, people[5], pairs[3], batch.Id, "fr", null, ct), CancellationToken.None);
        outcomes.Add($"assignment {withdrawn!.Id} {string.Join(',', withdrawn.CriteriaShown)} {withdrawn.Image0OnLeft}");
        await db.Database.ExecuteSqlAsync($"UPDATE participants SET withdrawn_at = {Now.AddMinutes(-1).ToUnixTimeMilliseconds()} WHERE id = {people[5]}");

        var submit = new SubmitAnswer(new ParticipationStore(db, clock), commits);
        SubmitRequest Answer(Assignment a, string id, double first, string? comment = null, int? ms = 5200, bool report = false) =>
            new(id, [new ScoreInput(a.CriteriaShown[0], first), new ScoreInput(a.CriteriaShown[2], -0.25)], comment, ms, report);
        var answers = new List<(Assignment Assignment, SubmitRequest Request)>
        {
            (assigned[0], Answer(assigned[0], "r-0", 0.5, "  a comment  ")),
            (assigned[1], Answer(assigned[1], "r-1", -1, null, -3)),
            (assigned[0], Answer(assigned[0], "r-0b", 0.75, null, null)),
            (assigned[0], Answer(assigned[0], "r-0", 0.5)),
            (assigned[2], Answer(assigned[2], "r-0", 0.1)),
            (assigned[3], Answer(assigned[3], "r-3", 0, "broken", 900, report: true)),
            (assigned[4], Answer(assigned[4], "r-4", 2)),
            (assigned[5], Answer(assigned[5], "r-5", 1, "x")),
            (withdrawn, Answer(withdrawn, "r-w", 0.5)),
            (assigned[6], Answer(assigned[6], "r-6", -0.5, "", 0)),
        };
        var results = await HeldAsync(commits, answers.Select(a => (Func<Task<SubmitResult>>)(() => submit.SubmitAsync(a.Assignment, study, a.Request, "en", CancellationToken.None))).ToList());
        outcomes.AddRange(results.Select(r => r.Error ?? Describe(r.Value!)));

        // More assignments after the answers: the participants' counts now include the batches above.
        foreach (var (person, pair) in new[] { (0, 2), (1, 3), (2, 0) })
        {
            var next = await commits.RunAsync((s, ct) => NextAssignment.AssignInWriterAsync(s, counts, study, people[person], pairs[pair], batch.Id, "en", 3, ct), CancellationToken.None);
            outcomes.Add($"assignment {next?.Id} {string.Join(',', next?.CriteriaShown ?? [])} {next?.Image0OnLeft}");
        }

        return outcomes;
    }

    private static string Describe(SubmitResult r) => r switch
    {
        { Refusal: not Refusal.None } => $"refused {r.Refusal}",
        { Duplicate: true } => $"duplicate {r.Annotation!.Id}",
        { Changed: true } => $"changed {r.Annotation!.Id} {string.Join(',', r.Annotation.Scores.Select(s => $"{s.Id}:{s.AnnotationId}:{s.Score}"))}",
        _ => $"stored {r.Annotation!.Id} {string.Join(',', r.Annotation.Scores.Select(s => $"{s.Id}:{s.AnnotationId}:{s.CriterionKey}:{s.Score}"))}",
    };

    /// <summary>Starts the writes while a held write keeps the writer busy, so they share the next transaction; their results or errors, in order.</summary>
    private static async Task<List<(T? Value, string? Error)>> HeldAsync<T>(GroupCommit commits, List<Func<Task<T>>> writes)
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = commits.Commits;
        var holder = commits.RunAsync(async (s, ct) =>
        {
            running.SetResult();
            await release.Task;
            return 0;
        }, CancellationToken.None);
        await running.Task;
        var tasks = writes.Select(w => w()).ToList();
        release.SetResult();
        await holder;
        var results = new List<(T?, string?)>();
        foreach (var task in tasks)
        {
            try
            {
                results.Add((await task, null));
            }
#pragma warning disable CA1031 // The outcome compared is the exception's type.
            catch (Exception e)
#pragma warning restore CA1031
            {
                results.Add((default, e.GetType().Name));
            }
        }

        Assert.Equal(before + 2, commits.Commits);
        return results;
    }

    /// <summary>Every row of the table in id order, each value with the type SQLite stored it as.</summary>
    private static async Task<List<string>> DumpAsync(TestDatabase database, string table)
    {
        await using var connection = new SqliteConnection(database.Options.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The table names are the constants above.
        command.CommandText = $"SELECT * FROM {table} ORDER BY id";
#pragma warning restore CA2100
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new List<string>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var v = reader.GetValue(i);
                values.Add($"{reader.GetName(i)}={v.GetType().Name}:{Convert.ToString(v, CultureInfo.InvariantCulture)}");
            }

            rows.Add(string.Join('|', values));
        }

        return rows;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
