using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Testing;

namespace Pluralist.Cli.Tests;

/// <summary>
/// Overlap K under concurrent participants, through the participation use cases (NextAssignment, SubmitAnswer) on a real
/// SQLite file and a real PostgreSQL database, each participant with its own connection as the web app's requests have.
/// (Pluralist.Studies has no test project of its own; the CLI tests already drive its use cases.)
/// </summary>
public static class OverlapHandOutScenarios
{
    private const int Pairs = 8;
    private const int People = 14;
    private const int K = 3;

    public static async Task ConcurrentParticipantsNeverPutAPairAboveK(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        long studyId;
        var people = new List<long>();
        await using (var db = tdb.CreateContext())
        {
            var now = DateTimeOffset.UtcNow;
            var study = new Study { Key = "overlap", Title = LocalizedText.Of("Overlap", "Chevauchement"), CreatedAt = now, Criteria = [.. Defaults.LivsCriteria()] };
            study.Batches.Add(new Batch { Name = "B", OpensAt = now.AddDays(-1), ClosesAt = now.AddDays(1), QuotaPerParticipant = 100, Overlap = K, SessionCap = 1000 });
            db.Studies.Add(study);
            await db.SaveChangesAsync();
            studyId = study.Id;
            var prompt = new Prompt { StudyId = study.Id, Text = "A park", CreatedAt = now };
            db.Prompts.Add(prompt);
            await db.SaveChangesAsync();
            var images = Enumerable.Range(0, Pairs + 1).Select(i => new Image { StudyId = study.Id, PromptId = prompt.Id, Generator = "g", Width = 8, Height = 8, StoragePath = $"{i}.png", CreatedAt = now }).ToList();
            db.Images.AddRange(images);
            await db.SaveChangesAsync();
            db.Pairs.AddRange(Enumerable.Range(0, Pairs).Select(i => new Pair { StudyId = study.Id, Image0Id = images[i].Id, Image1Id = images[i + 1].Id, Kind = PairKind.Annotation, CreatedAt = now }));
            for (var p = 0; p < People; p++)
            {
                db.Participants.Add(new Participant { StudyId = study.Id, Pseudonym = $"P-{p}", PreferredLanguage = "en", CreatedAt = now });
            }

            await db.SaveChangesAsync();
            people.AddRange(await db.Participants.Where(p => p.StudyId == study.Id).Select(p => p.Id).ToListAsync());
        }

        using var counts = new CriteriaCounts();
        using var start = new SemaphoreSlim(0);
        var sessions = people.Select(id => Task.Run(async () =>
        {
            await start.WaitAsync();
            return await AnswerAllAsync(tdb, counts, studyId, id);
        })).ToList();
        start.Release(People);
        var answered = await Task.WhenAll(sessions);
        Assert.Equal(Pairs * K, answered.Sum());

        await using (var db = tdb.CreateContext())
        {
            var assignments = await db.Assignments.AsNoTracking().ToListAsync();

            // Demand (14 people x 8 pairs) is far above supply (8 pairs x K): every pair reaches K, none passes it.
            Assert.All(assignments.GroupBy(a => a.PairId), g => Assert.Equal(K, g.Count()));
            Assert.Equal(Pairs, assignments.Select(a => a.PairId).Distinct().Count());
            Assert.All(assignments.GroupBy(a => (a.ParticipantId, a.PairId)), g => Assert.Single(g));
            Assert.All(assignments.GroupBy(a => a.PairId), g => Assert.Equal([1, 2, 3], g.Select(a => a.OverlapSlot!.Value).Order()));
            Assert.Equal(Pairs * K, await db.Annotations.CountAsync());

            // The count the database keeps per pair (v14), read by the next hand-out, followed every concurrent claim.
            await PairCounts.AssertMatchAsync(db);
        }
    }

    /// <summary>One participant's session: the next pair, an answer, again, until nothing is left; returns the answers given.</summary>
    private static async Task<int> AnswerAllAsync(TestDatabase tdb, CriteriaCounts counts, long studyId, long participantId)
    {
        var done = 0;
        for (var i = 0; i < Pairs + 1; i++)
        {
            await using var db = tdb.CreateContext();
            var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
            var participant = await db.Participants.SingleAsync(p => p.Id == participantId);
            var store = new ParticipationStore(db, TimeProvider.System);
            var sessions = new SessionProgress(store);
            var quotas = new QuotaPlaces(store, counts);
            var next = new NextAssignment(store, sessions, quotas, new NextRating(store, sessions, quotas, new LikertItemTokens(new NoItems())), counts);
            var step = await next.NextAsync(participant, study, "en", CancellationToken.None);
            if (step is not NextStep.Task task)
            {
                Assert.IsType<NextStep.AllDone>(step);
                return done;
            }

            var request = new SubmitRequest($"r-{participantId}-{i}", [.. task.Criteria.Select(c => new ScoreInput(c.Key, 0.5))], null, 1000);
            await new SubmitAnswer(store).SubmitAsync(task.Assignment, study, request, "en", CancellationToken.None);
            done++;
        }

        throw new InvalidOperationException($"participant {participantId} was given more pairs than the study has");
    }

    private sealed class NoItems : IItemProtector
    {
        public string Protect(string payload, TimeSpan lifetime) => throw new InvalidOperationException("a pairwise study rates no images");

        public string? Unprotect(string token) => null;
    }
}

public sealed class SqliteOverlapHandOutTests
{
    [Fact] public Task Concurrent_participants_never_put_a_pair_above_K_nor_get_one_twice() => OverlapHandOutScenarios.ConcurrentParticipantsNeverPutAPairAboveK(DatabaseProvider.Sqlite);
}

public sealed class PostgresOverlapHandOutTests
{
    [PostgresFact] public Task Concurrent_participants_never_put_a_pair_above_K_nor_get_one_twice() => OverlapHandOutScenarios.ConcurrentParticipantsNeverPutAPairAboveK(DatabaseProvider.Postgres);
}
