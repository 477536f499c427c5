using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// The participant requests' reads in plain SQL (<see cref="PreparedReads"/>, issue 24) give what the EF queries they replace
/// gave, on both providers, on the context's connection and (SQLite) on the pool's prepared statements: the participant's
/// own assignment, their answers in a batch, the session and its break (the answer times), the next task's read of their
/// assignments; and the pool stays bounded and reads inside a transaction on the context.
/// </summary>
public sealed class PlainReadsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Sqlite_the_session_and_batch_reads_give_what_the_EF_reads_gave(bool prepared) => SessionsAsync(DatabaseProvider.Sqlite, prepared);

    [PostgresFact]
    public Task Postgres_the_session_and_batch_reads_give_what_the_EF_reads_gave() => SessionsAsync(DatabaseProvider.Postgres, true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Sqlite_the_own_assignment_read_gives_what_the_EF_read_gave(bool prepared) => OwnAssignmentAsync(DatabaseProvider.Sqlite, prepared);

    [PostgresFact]
    public Task Postgres_the_own_assignment_read_gives_what_the_EF_read_gave() => OwnAssignmentAsync(DatabaseProvider.Postgres, true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Sqlite_the_next_task_counts_only_own_answers_and_skips_others_answers(bool prepared) => OwnAnsweredAsync(DatabaseProvider.Sqlite, prepared);

    [PostgresFact]
    public Task Postgres_the_next_task_counts_only_own_answers_and_skips_others_answers() => OwnAnsweredAsync(DatabaseProvider.Postgres, true);

    [Fact]
    public async Task The_pool_keeps_at_most_its_size_idle_the_caller_is_tracked_and_a_transaction_reads_on_its_own_connection()
    {
        await using var tdb = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        long studyId;
        await using (var db = tdb.CreateContext())
        {
            var study = Defaults.LivsStudy(now);
            db.Studies.Add(study);
            await db.SaveChangesAsync();
            studyId = study.Id;
            db.Participants.Add(new Participant { StudyId = studyId, Pseudonym = "committed", CreatedAt = now });
            await db.SaveChangesAsync();
        }

        using var reads = new PreparedReads(tdb.Options, size: 2);
        await Parallel.ForAsync(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            await using var db = tdb.CreateContext();
            var store = new ParticipationStore(db, TimeProvider.System, null, reads);
            Assert.Equal("committed", (await store.CallerAsync(1, ct))?.Participant.Pseudonym);
        });
        Assert.InRange(reads.IdleCount, 1, 2);

        // The caller's participant is tracked: a page's change to them is saved.
        await using (var db = tdb.CreateContext())
        {
            var caller = await new ParticipationStore(db, TimeProvider.System, null, reads).CallerAsync(1, CancellationToken.None);
            Assert.Equal(EntityState.Unchanged, db.Entry(caller!.Participant).State);
            caller.Participant.PreferredLanguage = "fr";
            Assert.Equal(1, await db.SaveChangesAsync());
        }

        await using (var db = tdb.CreateContext())
        {
            Assert.Equal("fr", (await db.Participants.SingleAsync(p => p.Id == 1)).PreferredLanguage);
        }

        // Inside a transaction the context's own uncommitted row is read (on its connection), and the pool still reads what is committed.
        await using (var db = tdb.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var mine = new Participant { StudyId = studyId, Pseudonym = "uncommitted", CreatedAt = now };
            db.Participants.Add(mine);
            await db.SaveChangesAsync();
            var caller = await new ParticipationStore(db, TimeProvider.System, null, reads).CallerAsync(mine.Id, CancellationToken.None);
            Assert.Same(mine, caller?.Participant);
            await using var other = tdb.CreateContext();
            Assert.Null(await new ParticipationStore(other, TimeProvider.System, null, reads).CallerAsync(mine.Id, CancellationToken.None));
        }

        reads.Dispose();
        Assert.Equal(0, reads.IdleCount);
        await using (var db = tdb.CreateContext())
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => new ParticipationStore(db, TimeProvider.System, null, reads).CallerAsync(1, CancellationToken.None));
        }
    }

    private static async Task SessionsAsync(DatabaseProvider provider, bool prepared)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        using var reads = prepared ? new PreparedReads(tdb.Options) : null;
        // Whole milliseconds: SQLite keeps milliseconds, PostgreSQL microseconds.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var clock = new FixedClock(now);
        long studyId;
        var participants = new List<long>();
        await using (var db = tdb.CreateContext())
        {
            var (study, pairs) = await SeedAsync(db, now);
            studyId = study.Id;
            var open = study.Batches.Single(b => b.Name == "open").Id;
            var other = study.Batches.Single(b => b.Name == "other").Id;
            var request = 0;

            // Answers (each to its own assignment, in the batch given) at the given minutes before now, in this id order.
            async Task<long> AddAsync(string name, bool withdrawn, (double Minutes, long? Batch)[] answers, double[] ratings)
            {
                var p = new Participant { StudyId = study.Id, Pseudonym = name, CreatedAt = now, WithdrawnAt = withdrawn ? now : null };
                db.Participants.Add(p);
                await db.SaveChangesAsync();
                for (var i = 0; i < answers.Length; i++)
                {
                    var a = new Assignment { ParticipantId = p.Id, PairId = pairs[i % pairs.Count].Id, BatchId = answers[i].Batch, CriteriaShown = ["safety"], ServedAt = now };
                    db.Assignments.Add(a);
                    await db.SaveChangesAsync();
                    db.Annotations.Add(new Annotation { AssignmentId = a.Id, ParticipantId = p.Id, PairId = a.PairId, ClientRequestId = $"r{request++}", Language = "en", SubmittedAt = now.AddMinutes(-answers[i].Minutes) });
                }

                for (var i = 0; i < ratings.Length; i++)
                {
                    // Two rows per submission (two questions), sharing its time: the session counts the time once.
                    foreach (var question in new[] { "q1", "q2" })
                    {
                        db.LikertRatings.Add(new LikertRating { ParticipantId = p.Id, ImageId = pairs[i].Image0Id, QuestionKey = question, Value = 3, ClientRequestId = $"l{request++}", ServedAt = now, SubmittedAt = now.AddMinutes(-ratings[i]) });
                    }
                }

                await db.SaveChangesAsync();
                return p.Id;
            }

            (double, long?)[] Minutes(long? batch, params double[] minutes) => minutes.Select(m => (m, batch)).ToArray();
            participants.Add(await AddAsync("none", false, [], []));
            participants.Add(await AddAsync("steady", false, Minutes(open, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), []));
            participants.Add(await AddAsync("gap", false, Minutes(open, 60, 50, 45, 41, 40, 3, 2, 1), []));
            // A changed answer: the oldest id carries the latest time; the batches differ.
            participants.Add(await AddAsync("changed", false, [(0.5, open), (9, other), (8.5, open), (30, null), (2, other), (1, open)], []));
            participants.Add(await AddAsync("stale", false, Minutes(open, 200, 190, 180), []));
            participants.Add(await AddAsync("withdrawn", true, Minutes(open, 3, 2, 1), []));
            participants.Add(await AddAsync("rater", false, [], [5, 4, 3, 20, 1]));
            participants.Add(await AddAsync("both", false, Minutes(open, 9, 7, 5, 0.25), [8, 6, 4, 2]));
            participants.Add(await AddAsync("many", false, Minutes(open, Enumerable.Range(0, 150).Select(i => (150 - i) * 0.05).ToArray()), []));
            participants.Add(participants.Max() + 1000);
        }

        await using (var db = tdb.CreateContext())
        {
            var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
            foreach (var type in new[] { TaskType.Pairwise, TaskType.Likert, TaskType.Both })
            {
                foreach (var cap in new[] { 0, -1, 1, 3, 5, 6, 12, 13, 90, 1_000_000 })
                {
                    foreach (var pause in new[] { 10, 1, 4 })
                    {
                        study.TaskType = type;
                        study.SessionCap = cap;
                        study.BreakMinutes = pause;
                        foreach (var batch in study.Batches)
                        {
                            // The batch's own settings override the study's.
                            var own = batch.Name == "other";
                            batch.SessionCap = own && cap == 90 ? 4 : null;
                            batch.BreakMinutes = own && pause == 10 ? 1 : null;
                        }

                        var store = new ParticipationStore(db, clock, null, reads);
                        var sessions = new SessionProgress(store);
                        foreach (var id in participants)
                        {
                            foreach (var batch in study.Batches)
                            {
                                var (progress, until) = await sessions.ProgressAsync(id, study, batch, now, CancellationToken.None);
                                var (inSession, breakUntil) = await ReferenceSessionAsync(db, id, study, batch, now);
                                var inBatch = await db.Annotations.CountAsync(n => n.ParticipantId == id && db.Assignments.Any(a => a.Id == n.AssignmentId && a.BatchId == batch.Id));
                                Assert.Equal(inBatch, await sessions.AnswersInBatchAsync(id, batch, CancellationToken.None));
                                if (type != TaskType.Pairwise)
                                {
                                    inBatch += await sessions.RatedImagesAsync(id, batch, CancellationToken.None);
                                }

                                var what = $"{type} cap {cap} pause {pause} participant {id} batch {batch.Name}";
                                Assert.True(new Progress(inBatch, batch.QuotaPerParticipant, inSession, batch.SessionCap ?? cap) == progress, $"{what}: {progress}, expected {inSession} in session, {inBatch} in batch");
                                Assert.True(breakUntil == until, $"{what}: break until {until}, expected {breakUntil}");
                            }

                            var participant = new Participant { Id = id, StudyId = studyId };
                            var onBreak = await sessions.OnBreakAsync(participant, study, CancellationToken.None);
                            var openBatch = ParticipationStore.OpenBatch(study, now)!;
                            Assert.Equal((await ReferenceSessionAsync(db, id, study, openBatch, now)).BreakUntil is not null, onBreak);
                        }
                    }
                }
            }
        }
    }

    // SessionProgress's session before plain SQL (the EF reads of 2026-12-07, main 76e7131), as the reference.
    private static async Task<(int InSession, DateTimeOffset? BreakUntil)> ReferenceSessionAsync(PluralistDbContext db, long participantId, Study study, Batch batch, DateTimeOffset now)
    {
        var cap = batch.SessionCap ?? study.SessionCap;
        if (cap <= 0)
        {
            return (Math.Min(0, cap), null);
        }

        var pause = TimeSpan.FromMinutes(batch.BreakMinutes ?? study.BreakMinutes);
        var recent = await db.Annotations.Where(n => n.ParticipantId == participantId).OrderByDescending(n => n.Id).Take(cap + 1).Select(n => n.SubmittedAt).ToListAsync();
        if (study.TaskType != TaskType.Pairwise)
        {
            recent.AddRange(await db.LikertRatings.AsNoTracking().Where(r => r.ParticipantId == participantId)
                .Select(r => r.SubmittedAt).Distinct().OrderByDescending(t => t).Take(cap + 1).ToListAsync());
        }

        recent.Sort((a, b) => b.CompareTo(a));
        var inSession = 0;
        if (recent.Count > 0 && now - recent[0] < pause)
        {
            inSession = 1;
            while (inSession < recent.Count && recent[inSession - 1] - recent[inSession] < pause)
            {
                inSession++;
            }
        }

        inSession = Math.Min(inSession, cap);
        return (inSession, inSession >= cap ? recent[0] + pause : null);
    }

    private static async Task OwnAssignmentAsync(DatabaseProvider provider, bool prepared)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        using var reads = prepared ? new PreparedReads(tdb.Options) : null;
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var people = new List<long>();
        var assignments = new List<long>();
        await using (var db = tdb.CreateContext())
        {
            var (study, pairs) = await SeedAsync(db, now);
            var open = study.Batches.Single(b => b.Name == "open").Id;
            var p = new Participant { StudyId = study.Id, Pseudonym = "p", CreatedAt = now };
            var q = new Participant { StudyId = study.Id, Pseudonym = "q", CreatedAt = now, WithdrawnAt = now };
            db.Participants.AddRange(p, q);
            await db.SaveChangesAsync();
            var rows = new[]
            {
                new Assignment { ParticipantId = p.Id, PairId = pairs[0].Id, BatchId = open, CriteriaShown = ["safety", "comfort", "belonging"], Image0OnLeft = true, Language = "fr", ServedAt = now.AddMinutes(-3), OverlapSlot = 2 },
                new Assignment { ParticipantId = p.Id, PairId = pairs[1].Id, BatchId = null, CriteriaShown = [], Image0OnLeft = false, Language = "en", ServedAt = now },
                new Assignment { ParticipantId = q.Id, PairId = pairs[2].Id, BatchId = open, CriteriaShown = ["safety"], Image0OnLeft = true, ServedAt = now.AddDays(-400), OverlapSlot = 1 },
            };
            db.Assignments.AddRange(rows);
            await db.SaveChangesAsync();
            people.AddRange([p.Id, q.Id, q.Id + 100]);
            assignments.AddRange(rows.Select(a => a.Id).Append(rows.Max(a => a.Id) + 100));
        }

        foreach (var who in people)
        {
            foreach (var id in assignments)
            {
                await using var db = tdb.CreateContext();
                var expected = await db.Assignments.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id && a.ParticipantId == who);
                var actual = await new ParticipationStore(db, TimeProvider.System, null, reads).OwnAssignmentAsync(who, id, CancellationToken.None);
                Assert.Equal(expected is null, actual is null);
                if (expected is null)
                {
                    continue;
                }

                Assert.Equal(
                    (expected.Id, expected.ParticipantId, expected.PairId, expected.BatchId, string.Join('|', expected.CriteriaShown), expected.Image0OnLeft, expected.Language, expected.ServedAt, expected.OverlapSlot),
                    (actual!.Id, actual.ParticipantId, actual.PairId, actual.BatchId, string.Join('|', actual.CriteriaShown), actual.Image0OnLeft, actual.Language, actual.ServedAt, actual.OverlapSlot));
                Assert.Equal(expected.ServedAt.Offset, actual.ServedAt.Offset);
                Assert.Equal(EntityState.Detached, db.Entry(actual).State);
            }
        }
    }

    private static async Task OwnAnsweredAsync(DatabaseProvider provider, bool prepared)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        using var reads = prepared ? new PreparedReads(tdb.Options) : null;
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        long studyId, participantId, expectedPending;
        await using (var db = tdb.CreateContext())
        {
            var (study, pairs) = await SeedAsync(db, now);
            studyId = study.Id;
            var open = study.Batches.Single(b => b.Name == "open").Id;
            var other = study.Batches.Single(b => b.Name == "other").Id;
            var p = new Participant { StudyId = study.Id, Pseudonym = "p", CreatedAt = now };
            var q = new Participant { StudyId = study.Id, Pseudonym = "q", CreatedAt = now };
            db.Participants.AddRange(p, q);
            await db.SaveChangesAsync();
            Assignment Give(int pair, long? batch) => new() { ParticipantId = p.Id, PairId = pairs[pair].Id, BatchId = batch, CriteriaShown = ["safety"], ServedAt = now };

            // Unanswered in the other batch and in none (older ids), answered by p, answered by someone else (so not p's
            // answer, yet answered), then two unanswered in the open batch; one answered in the other batch.
            var rows = new[] { Give(0, other), Give(1, null), Give(2, open), Give(3, open), Give(4, open), Give(5, open), Give(6, other) };
            db.Assignments.AddRange(rows);
            await db.SaveChangesAsync();
            Annotation Answer(Assignment a, long by, string request) => new() { AssignmentId = a.Id, ParticipantId = by, PairId = a.PairId, ClientRequestId = request, Language = "en", SubmittedAt = now };
            db.Annotations.AddRange(Answer(rows[2], p.Id, "mine"), Answer(rows[3], q.Id, "theirs"), Answer(rows[6], p.Id, "other-batch"));
            await db.SaveChangesAsync();
            (participantId, expectedPending) = (p.Id, rows[4].Id);
        }

        await using (var db = tdb.CreateContext())
        {
            var store = new ParticipationStore(db, TimeProvider.System, null, reads);
            var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
            study.SessionCap = 0;
            var open = ParticipationStore.OpenBatch(study, now)!;
            Assert.Equal("open", open.Name);
            var counts = new CriteriaCounts();
            var sessions = new SessionProgress(store);
            var quotas = new QuotaPlaces(store, counts);
            var next = new NextAssignment(store, sessions, quotas, new NextRating(store, sessions, quotas, new LikertItemTokens(new NoItems())), counts);
            var participant = await db.Participants.SingleAsync(p => p.Id == participantId);
            var step = Assert.IsType<NextStep.Task>(await next.NextAsync(participant, study, "en", CancellationToken.None));
            Assert.Equal(expectedPending, step.Assignment.Id);
            // What the EF reads counted: p's answers to p's assignments in the batch (the one answered by q is not one).
            var answered = await db.Assignments.CountAsync(a => a.ParticipantId == participantId && a.BatchId == open.Id
                && db.Annotations.Any(n => n.AssignmentId == a.Id && n.ParticipantId == participantId));
            Assert.Equal(1, answered);
            Assert.Equal(answered, step.Progress.InBatch);
            var pair = await db.Pairs.AsNoTracking().SingleAsync(p => p.Id == step.Assignment.PairId);
            var prompt = await db.Images.Where(i => i.Id == pair.Image0Id).Join(db.Prompts, i => i.PromptId, t => t.Id, (i, t) => new ShownPrompt(t.Text, t.Language)).SingleAsync();
            Assert.Equal(prompt, step.Prompt);
        }
    }

    // A study with an open batch and another (closing later), prompts in two languages, images and twelve pairs.
    private static async Task<(Study Study, List<Pair> Pairs)> SeedAsync(PluralistDbContext db, DateTimeOffset now)
    {
        var study = Defaults.LivsStudy(now);
        study.Key = "plain";
        study.Batches.Clear();
        study.Batches.Add(new Batch { Name = "open", OpensAt = now.AddDays(-1), ClosesAt = now.AddDays(1), QuotaPerParticipant = 100, Overlap = 3 });
        study.Batches.Add(new Batch { Name = "other", OpensAt = now.AddDays(-1), ClosesAt = now.AddDays(2), QuotaPerParticipant = 50, Overlap = 3 });
        db.Studies.Add(study);
        await db.SaveChangesAsync();
        var prompts = Enumerable.Range(0, 4).Select(i => new Prompt { StudyId = study.Id, Text = $"Square {i}", Language = i % 2 == 0 ? "en" : "fr", CreatedAt = now }).ToList();
        db.Prompts.AddRange(prompts);
        await db.SaveChangesAsync();
        var images = Enumerable.Range(0, 24).Select(i => new Image { StudyId = study.Id, PromptId = prompts[i % 4].Id, Generator = "g", Width = 8, Height = 8, StoragePath = $"{i}.png", CreatedAt = now }).ToList();
        db.Images.AddRange(images);
        await db.SaveChangesAsync();
        var pairs = Enumerable.Range(0, 12).Select(i => new Pair { StudyId = study.Id, BatchId = study.Batches[0].Id, Image0Id = images[2 * i].Id, Image1Id = images[(2 * i) + 1].Id, CreatedAt = now }).ToList();
        db.Pairs.AddRange(pairs);
        await db.SaveChangesAsync();
        return (study, pairs);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class NoItems : IItemProtector
    {
        public string Protect(string payload, TimeSpan lifetime) => throw new InvalidOperationException("a pairwise study rates no images");

        public string? Unprotect(string token) => null;
    }
}
