using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Scale;

/// <summary>
/// The participant app's combined reads (issue 24) give what the separate reads they replace gave: the caller (the
/// participant, their study, their consent), an answer's checks in the writer's transaction, and the next task's reads (the answers in the batch, the unanswered
/// assignment, the pairs seen, the pair with its prompt).
/// </summary>
public sealed class ParticipantReadsTests
{
    [Fact]
    public Task Sqlite_the_caller_read_gives_what_the_three_reads_gave() => CallerAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Postgres_the_caller_read_gives_what_the_three_reads_gave() => CallerAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task Sqlite_the_caller_read_on_prepared_statements_gives_what_the_three_reads_gave() => CallerAsync(DatabaseProvider.Sqlite, prepared: true);

    [Fact]
    public Task Sqlite_the_next_task_is_the_oldest_unanswered_one_then_an_unseen_pair_with_its_prompt() => NextTaskAsync(DatabaseProvider.Sqlite);

    [Fact]
    public Task Sqlite_the_next_task_on_prepared_statements_is_the_oldest_unanswered_one_then_an_unseen_pair_with_its_prompt() => NextTaskAsync(DatabaseProvider.Sqlite, prepared: true);

    [PostgresFact]
    public Task Postgres_the_next_task_is_the_oldest_unanswered_one_then_an_unseen_pair_with_its_prompt() => NextTaskAsync(DatabaseProvider.Postgres);

    [Fact]
    public Task Sqlite_the_answer_check_gives_what_the_three_checks_gave() => AnswerCheckAsync(DatabaseProvider.Sqlite);

    [PostgresFact]
    public Task Postgres_the_answer_check_gives_what_the_three_checks_gave() => AnswerCheckAsync(DatabaseProvider.Postgres);

    private static async Task AnswerCheckAsync(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        long participantId, leftId, answered, fresh;
        await using (var db = tdb.CreateContext())
        {
            var study = Defaults.LivsStudy(now);
            db.Studies.Add(study);
            await db.SaveChangesAsync();
            var prompt = new Prompt { StudyId = study.Id, Text = "A square", CreatedAt = now };
            db.Prompts.Add(prompt);
            await db.SaveChangesAsync();
            var images = Enumerable.Range(0, 4).Select(i => new Image { StudyId = study.Id, PromptId = prompt.Id, Generator = "g", Width = 8, Height = 8, StoragePath = $"{i}.png", CreatedAt = now }).ToList();
            db.Images.AddRange(images);
            await db.SaveChangesAsync();
            var pair = new Pair { StudyId = study.Id, Image0Id = images[0].Id, Image1Id = images[1].Id, CreatedAt = now };
            db.Pairs.Add(pair);
            var participant = new Participant { StudyId = study.Id, Pseudonym = "p", CreatedAt = now };
            var left = new Participant { StudyId = study.Id, Pseudonym = "left", CreatedAt = now, WithdrawnAt = now };
            db.Participants.AddRange(participant, left);
            await db.SaveChangesAsync();
            var a = new Assignment { ParticipantId = participant.Id, PairId = pair.Id, CriteriaShown = ["safety"], ServedAt = now };
            var b = new Assignment { ParticipantId = participant.Id, PairId = pair.Id, CriteriaShown = ["safety"], ServedAt = now };
            db.Assignments.AddRange(a, b);
            await db.SaveChangesAsync();
            db.Annotations.Add(new Annotation { AssignmentId = a.Id, ParticipantId = participant.Id, PairId = pair.Id, ClientRequestId = "first", Language = "en", SubmittedAt = now });
            db.AppliedRequests.Add(new AppliedRequest { ParticipantId = participant.Id, Kind = AnswerKind.Comparison, ClientRequestId = "first", AssignmentId = a.Id, AppliedAt = now });
            db.AppliedRequests.Add(new AppliedRequest { ParticipantId = participant.Id, Kind = AnswerKind.Rating, ClientRequestId = "rated", AppliedAt = now });
            await db.SaveChangesAsync();
            (participantId, leftId, answered, fresh) = (participant.Id, left.Id, a.Id, b.Id);
        }

        foreach (var who in new[] { participantId, leftId, leftId + 100 })
        {
            foreach (var requestId in new[] { "first", "rated", "new" })
            {
                foreach (var assignmentId in new[] { answered, fresh })
                {
                    await using var db = tdb.CreateContext();
                    await using var tx = await db.Database.BeginTransactionAsync();
                    var store = new ParticipationStore(db, TimeProvider.System);
                    var check = await store.CheckAnswerAsync(who, AnswerKind.Comparison, requestId, assignmentId, CancellationToken.None);
                    var current = await store.HoldCurrentParticipantAsync(who, CancellationToken.None);
                    Assert.Equal(current, check is not null);
                    if (check is null)
                    {
                        continue;
                    }

                    var applied = await store.FindAppliedAsync(who, AnswerKind.Comparison, requestId, CancellationToken.None);
                    Assert.Equal(applied is not null, check.Applied);
                    Assert.Equal(applied?.AssignmentId, check.AppliedAssignmentId);
                    var stored = await db.Annotations.AnyAsync(n => n.AssignmentId == assignmentId);
                    Assert.True(check.Answered is null || check.Answered == stored, $"{requestId} {assignmentId}: {check.Answered} against {stored}");
                    Assert.Equal(provider == DatabaseProvider.Sqlite, check.Answered is not null);
                }
            }
        }
    }

    private static async Task CallerAsync(DatabaseProvider provider, bool prepared = false)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        using var reads = prepared ? new PreparedReads(tdb.Options) : null;
        var now = DateTimeOffset.UtcNow;
        long studyId;
        var ids = new List<long>();
        await using (var db = tdb.CreateContext())
        {
            var study = Defaults.LivsStudy(now);
            study.Key = "reads";
            db.Studies.Add(study);
            await db.SaveChangesAsync();
            studyId = study.Id;
            Participant Add(string name, long? study, DateTimeOffset? withdrawn = null)
            {
                var p = new Participant { StudyId = study, Pseudonym = name, CreatedAt = now, WithdrawnAt = withdrawn };
                db.Participants.Add(p);
                return p;
            }

            var consented = Add("consented", studyId);
            var none = Add("no-consent", studyId);
            var renewed = Add("withdrew-then-consented-again", studyId);
            var revoked = Add("withdrew-consent", studyId);
            var left = Add("withdrew", studyId, now);
            var homeless = Add("no-study", null);
            await db.SaveChangesAsync();
            ConsentRecord Consent(Participant p, DateTimeOffset? withdrawn = null) => new() { ParticipantId = p.Id, DocumentVersion = "1", ConsentedAt = now, WithdrawnAt = withdrawn };
            db.ConsentRecords.AddRange(Consent(consented), Consent(renewed, now), Consent(renewed), Consent(revoked, now), Consent(left), Consent(homeless));
            await db.SaveChangesAsync();
            ids.AddRange([consented.Id, none.Id, renewed.Id, revoked.Id, left.Id, homeless.Id, homeless.Id + 1000]);
        }

        var cache = new StudyCache();
        for (var round = 0; round < 2; round++)
        {
            foreach (var id in ids)
            {
                foreach (var studies in new[] { cache, null })
                {
                    await using var db = tdb.CreateContext();
                    var store = new ParticipationStore(db, TimeProvider.System, studies, reads);
                    var caller = await store.CallerAsync(id, CancellationToken.None);
                    var participant = await store.FindParticipantAsync(id, CancellationToken.None);
                    Assert.Equal(participant?.Id, caller?.Participant.Id);
                    Assert.Equal(participant?.Pseudonym, caller?.Participant.Pseudonym);
                    if (participant is null)
                    {
                        continue;
                    }

                    // Tracked, as the participant's own read is: a page may change and save it.
                    Assert.Same(participant, caller!.Participant);
                    var study = await store.StudyOfAsync(participant, CancellationToken.None);
                    Assert.Equal(study?.Id, caller.Study?.Id);
                    Assert.Equal(study?.Criteria.Select(c => c.Name.Get("en")), caller.Study?.Criteria.Select(c => c.Name.Get("en")));
                    Assert.Equal(await store.CurrentConsentAsync(id, CancellationToken.None) is not null, caller.Consented);
                }
            }

            // A change to the study (its revision moves) shows in the next caller read through the cache.
            await using (var db = tdb.CreateContext())
            {
                (await db.Criteria.Where(c => c.StudyId == studyId).OrderBy(c => c.Id).FirstAsync()).Name = LocalizedText.Of("Renamed", "Renommé");
                await db.SaveChangesAsync();
            }
        }

        await using (var db = tdb.CreateContext())
        {
            var caller = await new ParticipationStore(db, TimeProvider.System, cache, reads).CallerAsync(ids[0], CancellationToken.None);
            Assert.Equal("Renamed", caller!.Study!.Criteria.OrderBy(c => c.Id).First().Name.Get("en"));
            Assert.True(caller.Consented);
        }
    }

    private static async Task NextTaskAsync(DatabaseProvider provider, bool prepared = false)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        using var reads = prepared ? new PreparedReads(tdb.Options) : null;
        var now = DateTimeOffset.UtcNow;
        long studyId, participantId, otherId, laterBatch;
        var expectedPending = new List<long>();
        await using (var db = tdb.CreateContext())
        {
            var study = Defaults.LivsStudy(now);
            study.Key = "next";
            study.Batches.Clear();
            study.Batches.Add(new Batch { Name = "open", OpensAt = now.AddDays(-1), ClosesAt = now.AddDays(1), QuotaPerParticipant = 100, Overlap = 3, SessionCap = 0 });
            study.Batches.Add(new Batch { Name = "later", OpensAt = now.AddDays(-1), ClosesAt = now.AddDays(2), QuotaPerParticipant = 100, Overlap = 3, SessionCap = 0 });
            db.Studies.Add(study);
            await db.SaveChangesAsync();
            studyId = study.Id;
            var open = study.Batches.Single(b => b.Name == "open").Id;
            laterBatch = study.Batches.Single(b => b.Name == "later").Id;
            var prompts = Enumerable.Range(0, 4).Select(i => new Prompt { StudyId = studyId, Text = $"Square {i}", Language = i % 2 == 0 ? "en" : "fr", CreatedAt = now }).ToList();
            db.Prompts.AddRange(prompts);
            await db.SaveChangesAsync();
            var images = Enumerable.Range(0, 24).Select(i => new Image { StudyId = studyId, PromptId = prompts[i % 4].Id, Generator = "g", Width = 8, Height = 8, StoragePath = $"{i}.png", CreatedAt = now }).ToList();
            db.Images.AddRange(images);
            await db.SaveChangesAsync();
            var pairs = Enumerable.Range(0, 12).Select(i => new Pair { StudyId = studyId, BatchId = i < 10 ? open : laterBatch, Image0Id = images[2 * i].Id, Image1Id = images[(2 * i) + 1].Id, CreatedAt = now }).ToList();
            db.Pairs.AddRange(pairs);
            var participant = new Participant { StudyId = studyId, Pseudonym = "p", CreatedAt = now };
            var other = new Participant { StudyId = studyId, Pseudonym = "other", CreatedAt = now };
            db.Participants.AddRange(participant, other);
            await db.SaveChangesAsync();
            (participantId, otherId) = (participant.Id, other.Id);
            Assignment Give(long who, int pair, long batch) => new() { ParticipantId = who, PairId = pairs[pair].Id, BatchId = batch, CriteriaShown = ["safety"], Image0OnLeft = pair % 2 == 0, ServedAt = now };

            // Unanswered in the other batch (older), answered in this one, another participant's unanswered one, then two unanswered ones.
            var assignments = new[] { Give(participantId, 10, laterBatch), Give(participantId, 0, open), Give(otherId, 1, open), Give(participantId, 2, open), Give(participantId, 3, open) };
            db.Assignments.AddRange(assignments);
            await db.SaveChangesAsync();
            db.Annotations.Add(new Annotation { AssignmentId = assignments[1].Id, ParticipantId = participantId, PairId = assignments[1].PairId, ClientRequestId = "done", Language = "en", SubmittedAt = now });
            await db.SaveChangesAsync();
            expectedPending.AddRange([assignments[3].Id, assignments[4].Id]);
        }

        var counts = new CriteriaCounts();
        var given = new List<long>();
        for (var round = 0; round < 8; round++)
        {
            await using var db = tdb.CreateContext();
            var store = new ParticipationStore(db, TimeProvider.System, null, reads);
            var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
            var participant = await db.Participants.SingleAsync(p => p.Id == participantId);

            // The reads the combined ones replace, as a reference.
            var open = ParticipationStore.OpenBatch(study, store.Now)!;
            Assert.NotEqual(laterBatch, open.Id);
            var unanswered = await db.Assignments.AsNoTracking()
                .Where(a => a.ParticipantId == participantId && a.BatchId == open.Id && !db.Annotations.Any(n => n.AssignmentId == a.Id))
                .OrderBy(a => a.Id).Select(a => (long?)a.Id).FirstOrDefaultAsync();
            var seenBefore = await store.SeenPairsAsync(participantId, CancellationToken.None);
            var inBatch = await new SessionProgress(store).AnswersInBatchAsync(participantId, open, CancellationToken.None);
            Assert.Equal(round + 1, inBatch);

            var sessions = new SessionProgress(store);
            var quotas = new QuotaPlaces(store, counts);
            var next = new NextAssignment(store, sessions, quotas, new NextRating(store, sessions, quotas, new LikertItemTokens(new NoItems())), counts);
            var step = Assert.IsType<NextStep.Task>(await next.NextAsync(participant, study, "en", CancellationToken.None));
            if (round < expectedPending.Count)
            {
                Assert.Equal(expectedPending[round], unanswered);
                Assert.Equal(unanswered, step.Assignment.Id);
            }
            else
            {
                Assert.Null(unanswered);
                Assert.DoesNotContain(step.Assignment.PairId, seenBefore);
                Assert.Equal(open.Id, step.Assignment.BatchId);
            }

            Assert.Equal(inBatch, step.Progress.InBatch);
            given.Add(step.Assignment.PairId);
            var pair = await db.Pairs.AsNoTracking().SingleAsync(p => p.Id == step.Assignment.PairId);
            var prompt = await db.Images.Where(i => i.Id == pair.Image0Id).Join(db.Prompts, i => i.PromptId, p => p.Id, (i, p) => new ShownPrompt(p.Text, p.Language)).SingleAsync();
            Assert.Equal(prompt, step.Prompt);
            Assert.Equal(step.Assignment.Image0OnLeft ? (pair.Image0Id, pair.Image1Id) : (pair.Image1Id, pair.Image0Id), (step.LeftImageId, step.RightImageId));

            var request = new SubmitRequest($"r-{step.Assignment.Id}", [new ScoreInput(step.Assignment.CriteriaShown[0], 0.5)], null, 1000);
            Assert.Equal(Refusal.None, (await new SubmitAnswer(store).SubmitAsync(step.Assignment, study, request, "en", CancellationToken.None)).Refusal);
        }

        Assert.Equal(given.Count, given.Distinct().Count());

        // A study that does not show prompts gets none.
        await using (var db = tdb.CreateContext())
        {
            var study = (await StudyStore.FindByIdAsync(db, studyId, CancellationToken.None))!;
            study.ShowPrompt = false;
            var store = new ParticipationStore(db, TimeProvider.System, null, reads);
            var sessions = new SessionProgress(store);
            var quotas = new QuotaPlaces(store, counts);
            var next = new NextAssignment(store, sessions, quotas, new NextRating(store, sessions, quotas, new LikertItemTokens(new NoItems())), counts);
            var step = Assert.IsType<NextStep.Task>(await next.NextAsync(await db.Participants.SingleAsync(p => p.Id == participantId), study, "en", CancellationToken.None));
            Assert.Null(step.Prompt);
        }
    }

    private sealed class NoItems : IItemProtector
    {
        public string Protect(string payload, TimeSpan lifetime) => throw new InvalidOperationException("a pairwise study rates no images");

        public string? Unprotect(string token) => null;
    }
}
