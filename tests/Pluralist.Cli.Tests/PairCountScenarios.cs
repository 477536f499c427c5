using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Testing;

namespace Pluralist.Cli.Tests;

/// <summary>
/// The per-pair assignment count the database keeps (schema version 14) and the next-assignment read that uses it
/// (<see cref="ParticipationStore.PairCandidatesAsync"/>, and <see cref="ParticipationStore.UnseenPairCandidatesAsync"/> less a
/// participant's pairs): the picker gets exactly what counting each pair's assignments gave it and picks the same pair,
/// and the count stays right through hand-outs, raw writes, withdrawals, a deleted participant and concurrent writers, on a
/// real SQLite file and a real PostgreSQL database.
/// </summary>
public static class PairCountScenarios
{
    private const int Regular = 12;
    private const int People = 9;

    public static async Task CandidatesMatchCountingAssignments(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var (studyId, people) = await SeedAsync(tdb);
        using var counts = new CriteriaCounts();
        await AssertCandidatesMatchAsync(tdb, studyId, people);

        // Hand-outs through the app's use cases, some answered, some left open; assignments of the other batch written directly.
        for (var round = 0; round < 3; round++)
        {
            foreach (var id in people)
            {
                await NextAsync(tdb, counts, studyId, id, answer: round != 1);
            }

            await using (var db = tdb.CreateContext())
            {
                var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
                var other = study.Batches.Single(b => b.Name == "later");
                var otherPairs = await db.Pairs.Where(p => p.BatchId == other.Id).Select(p => p.Id).ToListAsync();
                db.Assignments.Add(new Assignment { ParticipantId = people[round], PairId = otherPairs[round % otherPairs.Count], BatchId = other.Id, CriteriaShown = ["safety"], ServedAt = DateTimeOffset.UtcNow });
                await db.SaveChangesAsync();
            }

            await AssertCandidatesMatchAsync(tdb, studyId, people);
        }

        await using (var db = tdb.CreateContext())
        {
            Assert.True(await db.Assignments.CountAsync() >= 2 * People, "every participant was given a pair in the first two rounds");
        }

        // A withdrawal that deletes answers takes its assignments out of the counts.
        await WithdrawAsync(tdb, counts, studyId, people[0]);
        await AssertCandidatesMatchAsync(tdb, studyId, people);
    }

    public static async Task CountStaysRightAfterWithdrawalAndDeletion(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var (studyId, people) = await SeedAsync(tdb);
        using var counts = new CriteriaCounts();
        for (var round = 0; round < 4; round++)
        {
            foreach (var id in people)
            {
                await NextAsync(tdb, counts, studyId, id, answer: true);
            }
        }

        List<(long PairId, int Stored, int Counted)> before;
        Dictionary<long, int> given;
        await using (var db = tdb.CreateContext())
        {
            await PairCounts.AssertMatchAsync(db);
            before = await PairCounts.ReadAsync(db);
            given = (await db.Assignments.Where(a => a.ParticipantId == people[1]).Select(a => a.PairId).ToListAsync()).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(4, given.Values.Sum());
        }

        await WithdrawAsync(tdb, counts, studyId, people[1]);
        await using (var db = tdb.CreateContext())
        {
            await PairCounts.AssertMatchAsync(db);
            var after = await PairCounts.ReadAsync(db);
            Assert.Equal(before.Select(r => r.Stored - given.GetValueOrDefault(r.PairId)), after.Select(r => r.Stored));

            // A participant's row deleted outright: the cascade deletes their unanswered assignments, and the counts follow.
            var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
            var batch = study.Batches.Single(b => b.Name == "now");
            var pairs = await db.Pairs.Where(p => p.BatchId == batch.Id).OrderBy(p => p.Id).Select(p => p.Id).Take(3).ToListAsync();
            var gone = new Participant { StudyId = studyId, Pseudonym = "P-gone", CreatedAt = DateTimeOffset.UtcNow };
            db.Participants.Add(gone);
            await db.SaveChangesAsync();
            db.Assignments.AddRange(pairs.Select(p => new Assignment { ParticipantId = gone.Id, PairId = p, BatchId = batch.Id, CriteriaShown = ["safety"], ServedAt = DateTimeOffset.UtcNow }));
            await db.SaveChangesAsync();
            await PairCounts.AssertMatchAsync(db);
            Assert.Equal(after.Sum(r => r.Stored) + 3, (await PairCounts.ReadAsync(db)).Sum(r => r.Stored));
            await db.Participants.Where(p => p.Id == gone.Id).ExecuteDeleteAsync();
            await PairCounts.AssertMatchAsync(db);
            Assert.Equal(after.Select(r => r.Stored), (await PairCounts.ReadAsync(db)).Select(r => r.Stored));

            // The column is the database's: EF never writes it, not even when a whole pair is marked changed.
            var pair = await db.Pairs.FirstAsync(p => p.Id == pairs[0]);
            db.Entry(pair).Property(PluralistDbContext.AssignmentCountProperty).CurrentValue = 99;
            db.Entry(pair).State = EntityState.Modified;
            pair.ExternalId = "renamed";
            await db.SaveChangesAsync();
        }

        await using (var db = tdb.CreateContext())
        {
            await PairCounts.AssertMatchAsync(db);
            Assert.Equal("renamed", (await db.Pairs.SingleAsync(p => p.ExternalId == "renamed")).ExternalId);
        }
    }

    /// <summary>
    /// Writers on their own connections at once: single inserts, multi-row deletes and withdrawals of participants who share
    /// pairs (given in different orders, so row-by-row counting on PostgreSQL would lock the pairs in different orders).
    /// </summary>
    public static async Task CountStaysRightUnderConcurrentWriters(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var (studyId, people) = await SeedAsync(tdb);
        long batchId;
        List<long> pairs;
        await using (var db = tdb.CreateContext())
        {
            batchId = await db.Batches.Where(b => b.StudyId == studyId && b.Name == "now").Select(b => b.Id).SingleAsync();
            pairs = await db.Pairs.Where(p => p.StudyId == studyId).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync();
        }

        using var start = new SemaphoreSlim(0);
        var writers = people.Select((id, w) => Task.Run(async () =>
        {
            await start.WaitAsync();
            var random = new Random(w);
            for (var i = 0; i < 24; i++)
            {
                await using var db = tdb.CreateContext();
                if (i % 6 == 5)
                {
                    // Several of this writer's assignments at once, on several pairs.
                    var some = pairs.Where((_, k) => k % 3 == i % 3).ToList();
                    await db.Assignments.Where(a => a.ParticipantId == id && some.Contains(a.PairId)).ExecuteDeleteAsync();
                }
                else
                {
                    db.Assignments.Add(new Assignment { ParticipantId = id, PairId = pairs[random.Next(pairs.Count)], BatchId = batchId, CriteriaShown = ["safety"], ServedAt = DateTimeOffset.UtcNow });
                    await db.SaveChangesAsync();
                }
            }
        })).ToList();
        start.Release(people.Count);
        await Task.WhenAll(writers);
        await using (var db = tdb.CreateContext())
        {
            await PairCounts.AssertMatchAsync(db);
            Assert.True(await db.Assignments.AnyAsync());

            // Every participant given every pair, each in another order, then all withdrawn at once.
            foreach (var (id, w) in people.Select((id, w) => (id, w)))
            {
                var order = w % 2 == 0 ? pairs.Skip(w % pairs.Count).Concat(pairs.Take(w % pairs.Count)) : Enumerable.Reverse(pairs);
                db.Assignments.AddRange(order.Select(p => new Assignment { ParticipantId = id, PairId = p, BatchId = batchId, CriteriaShown = ["safety"], ServedAt = DateTimeOffset.UtcNow }));
            }

            await db.SaveChangesAsync();
            await PairCounts.AssertMatchAsync(db);
        }

        using var counts = new CriteriaCounts();
        using var go = new SemaphoreSlim(0);
        var withdrawals = people.Select(id => Task.Run(async () =>
        {
            await go.WaitAsync();
            await WithdrawAsync(tdb, counts, studyId, id);
        })).ToList();
        go.Release(people.Count);
        await Task.WhenAll(withdrawals);
        await using (var db = tdb.CreateContext())
        {
            await PairCounts.AssertMatchAsync(db);
            Assert.False(await db.Assignments.AnyAsync());
            Assert.All(await PairCounts.ReadAsync(db), r => Assert.Equal(0, r.Stored));
        }
    }

    /// <summary>
    /// What the picker gets from the new read equals what the old one gave (each candidate's assignments counted), for
    /// both batches; and so are its picks, for every distribution, overlaps 1 to 3, every participant's seen pairs and 20 seeds.
    /// </summary>
    private static async Task AssertCandidatesMatchAsync(TestDatabase tdb, long studyId, List<long> people)
    {
        await using var db = tdb.CreateContext();
        await PairCounts.AssertMatchAsync(db);
        var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
        var store = new ParticipationStore(db, TimeProvider.System);
        foreach (var batch in study.Batches)
        {
            var read = await store.PairCandidatesAsync(study, batch, CancellationToken.None);
            var counted = await CountedCandidatesAsync(db, study.Id, batch.Id);
            Assert.Equal(counted, read);
            Assert.NotEmpty(read);
            foreach (var id in people)
            {
                var seen = await store.SeenPairsAsync(id, CancellationToken.None);
                // What a new assignment reads: the candidates less the participant's pairs, left out by the database, in id order.
                var unseen = await store.UnseenPairCandidatesAsync(study, batch, id, CancellationToken.None);
                Assert.Equal(
                    counted.Where(c => !seen.Contains(c.PairId)).Select(c => (c.PairId, c.Kind, c.TimesAssigned)),
                    unseen.Select(c => (c.PairId, c.Kind, c.TimesAssigned)));
                foreach (var distribution in Enum.GetValues<PairDistribution>())
                {
                    for (var overlap = 1; overlap <= 3; overlap++)
                    {
                        for (var seed = 0; seed < 20; seed++)
                        {
                            var expected = PairPicker.Pick(counted, seen, distribution, overlap, study.AttentionCheckRate, study.GoldRate, new Random(seed));
                            var actual = PairPicker.Pick(read, seen, distribution, overlap, study.AttentionCheckRate, study.GoldRate, new Random(seed));
                            Assert.Equal(expected, actual);
                            // The same pair from the shorter list with nothing left to pass over (the orders are renumbered).
                            var fromUnseen = PairPicker.Pick(unseen, new HashSet<long>(), distribution, overlap, study.AttentionCheckRate, study.GoldRate, new Random(seed));
                            Assert.Equal(expected?.PairId, fromUnseen?.PairId);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The read before schema version 14: the batch's pairs in id order, each with its assignments counted.</summary>
    private static async Task<List<PairCandidate>> CountedCandidatesAsync(PluralistDbContext db, long studyId, long batchId)
    {
        var rows = await db.Pairs.AsNoTracking()
            .Where(p => p.StudyId == studyId && (p.BatchId == batchId || p.BatchId == null))
            .OrderBy(p => p.Id)
            .Select(p => new { p.Id, p.Kind, Times = db.Assignments.Count(a => a.PairId == p.Id) })
            .ToListAsync();
        return [.. rows.Select((r, i) => new PairCandidate(r.Id, r.Kind, r.Times, i))];
    }

    /// <summary>
    /// A study with two open batches: "now" (overlap 3) with regular pairs, attention checks and a gold pair, "later" with
    /// two pairs of its own, and two evaluation pairs in no batch (both batches draw them); checks and gold mixed in.
    /// </summary>
    private static async Task<(long StudyId, List<long> People)> SeedAsync(TestDatabase tdb)
    {
        await using var db = tdb.CreateContext();
        var now = DateTimeOffset.UtcNow;
        var study = new Study
        {
            Key = "counts",
            Title = LocalizedText.Of("Counts", "Comptes"),
            CreatedAt = now,
            Criteria = [.. Defaults.LivsCriteria()],
            AttentionCheckRate = 0.2,
            GoldRate = 0.15,
            WithdrawalPolicy = WithdrawalPolicy.DeleteAnnotations,
            SessionCap = 1000,
        };
        study.Batches.Add(new Batch { Name = "now", OpensAt = now.AddDays(-1), ClosesAt = now.AddDays(1), QuotaPerParticipant = 100, Overlap = 3, SessionCap = 1000, Distribution = PairDistribution.LeastAnswered });
        study.Batches.Add(new Batch { Name = "later", OpensAt = now.AddDays(-1), ClosesAt = now.AddDays(2), QuotaPerParticipant = 100, Overlap = 2, SessionCap = 1000 });
        db.Studies.Add(study);
        await db.SaveChangesAsync();
        var prompt = new Prompt { StudyId = study.Id, Text = "A square", CreatedAt = now };
        db.Prompts.Add(prompt);
        await db.SaveChangesAsync();
        var images = Enumerable.Range(0, Regular + 8).Select(i => new Image { StudyId = study.Id, PromptId = prompt.Id, Generator = "g", Width = 8, Height = 8, StoragePath = $"{i}.png", CreatedAt = now }).ToList();
        db.Images.AddRange(images);
        await db.SaveChangesAsync();
        var first = study.Batches.Single(b => b.Name == "now").Id;
        var later = study.Batches.Single(b => b.Name == "later").Id;
        Pair Make(int i, PairKind kind, long? batch) => new() { StudyId = study.Id, BatchId = batch, Image0Id = images[i].Id, Image1Id = images[i + 1].Id, Kind = kind, ExpectedPreference = kind is PairKind.AttentionCheck or PairKind.Gold ? -1 : null, CreatedAt = now };
        var pairs = Enumerable.Range(0, Regular).Select(i => Make(i, PairKind.Annotation, first)).ToList();
        pairs.Add(Make(Regular, PairKind.AttentionCheck, first));
        pairs.Add(Make(Regular + 1, PairKind.AttentionCheck, first));
        pairs.Add(Make(Regular + 2, PairKind.Gold, first));
        pairs.Add(Make(Regular + 3, PairKind.Evaluation, null));
        pairs.Add(Make(Regular + 4, PairKind.Evaluation, null));
        pairs.Add(Make(Regular + 5, PairKind.Annotation, later));
        pairs.Add(Make(Regular + 6, PairKind.Annotation, later));
        db.Pairs.AddRange(pairs);
        for (var p = 0; p < People; p++)
        {
            db.Participants.Add(new Participant { StudyId = study.Id, Pseudonym = $"P-{p}", PreferredLanguage = "en", CreatedAt = now });
        }

        await db.SaveChangesAsync();
        return (study.Id, await db.Participants.Where(p => p.StudyId == study.Id).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync());
    }

    /// <summary>The participant's next task through <see cref="NextAssignment"/>, on a context of its own; answered when asked.</summary>
    private static async Task NextAsync(TestDatabase tdb, CriteriaCounts counts, long studyId, long participantId, bool answer)
    {
        await using var db = tdb.CreateContext();
        var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
        var participant = await db.Participants.SingleAsync(p => p.Id == participantId);
        var store = new ParticipationStore(db, TimeProvider.System);
        var sessions = new SessionProgress(store);
        var quotas = new QuotaPlaces(store, counts);
        var next = new NextAssignment(store, sessions, quotas, new NextRating(store, sessions, quotas, new LikertItemTokens(new NoItems())), counts);
        var step = Assert.IsType<NextStep.Task>(await next.NextAsync(participant, study, "en", CancellationToken.None));
        if (answer)
        {
            var request = new SubmitRequest($"r-{participantId}-{step.Assignment.Id}", [.. step.Criteria.Select(c => new ScoreInput(c.Key, 0.25))], null, 1000);
            await new SubmitAnswer(store).SubmitAsync(step.Assignment, study, request, "en", CancellationToken.None);
        }
    }

    private static async Task WithdrawAsync(TestDatabase tdb, CriteriaCounts counts, long studyId, long participantId)
    {
        await using var db = tdb.CreateContext();
        var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
        var participant = await db.Participants.SingleAsync(p => p.Id == participantId);
        var store = new ParticipationStore(db, TimeProvider.System);
        await new Withdrawal(store, new QuotaPlaces(store, counts), counts).WithdrawAsync(participant, study, CancellationToken.None);
    }

    private sealed class NoItems : IItemProtector
    {
        public string Protect(string payload, TimeSpan lifetime) => throw new InvalidOperationException("a pairwise study rates no images");

        public string? Unprotect(string token) => null;
    }
}

public sealed class SqlitePairCountTests
{
    [Fact] public Task The_candidates_read_gives_the_picker_what_counting_assignments_gave() => PairCountScenarios.CandidatesMatchCountingAssignments(DatabaseProvider.Sqlite);
    [Fact] public Task The_count_stays_right_after_withdrawal_and_deletion() => PairCountScenarios.CountStaysRightAfterWithdrawalAndDeletion(DatabaseProvider.Sqlite);
    [Fact] public Task The_count_stays_right_under_concurrent_writers() => PairCountScenarios.CountStaysRightUnderConcurrentWriters(DatabaseProvider.Sqlite);
}

public sealed class PostgresPairCountTests
{
    [PostgresFact] public Task The_candidates_read_gives_the_picker_what_counting_assignments_gave() => PairCountScenarios.CandidatesMatchCountingAssignments(DatabaseProvider.Postgres);
    [PostgresFact] public Task The_count_stays_right_after_withdrawal_and_deletion() => PairCountScenarios.CountStaysRightAfterWithdrawalAndDeletion(DatabaseProvider.Postgres);
    [PostgresFact] public Task The_count_stays_right_under_concurrent_writers() => PairCountScenarios.CountStaysRightUnderConcurrentWriters(DatabaseProvider.Postgres);
}
