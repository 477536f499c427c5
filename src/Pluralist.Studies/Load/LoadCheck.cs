using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Demo;

namespace Pluralist.Studies.Load;

/// <summary>
/// The exactly-once check of a load run against the database: every acknowledged answer stored once, with the
/// assignment, criteria and scores sent; nothing stored that was not sent; no assignment answered twice.
/// </summary>
public sealed record LoadCheckResult(
    int Acknowledged,
    int Stored,
    int Missing,
    int StoredTwice,
    int Mismatched,
    int Extra,
    int AssignmentsAnsweredTwice,
    int Unconfirmed,
    IReadOnlyList<string> Problems)
{
    /// <summary>No acknowledged answer lost, changed or doubled, and nothing stored that was never sent.</summary>
    public bool Passed => Missing == 0 && StoredTwice == 0 && Mismatched == 0 && Extra == 0 && AssignmentsAnsweredTwice == 0;
}

/// <summary>What a load run needs from the database: invitation codes, a study ready for load, the final check.</summary>
public static class LoadCheck
{
    /// <summary>
    /// <paramref name="count"/> new single-use invitation codes for the study <paramref name="studyReference"/> (key or
    /// id), valid for a day; only their hashes are stored, as for codes made in the console.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CreateCodesAsync(PluralistDbContext db, string studyReference, int count, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var study = await StudyStore.FindAsync(db, studyReference, ct)
            ?? throw new ArgumentException($"no study '{studyReference}' in this database", nameof(studyReference));
        var now = DateTimeOffset.UtcNow;
        if (!study.Batches.Any(b => b.IsOpen(now)))
        {
            throw new ArgumentException($"study '{study.Key}' has no open batch: participants would get no task", nameof(studyReference));
        }

        var codes = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var code = Codes.NewCode();
            codes.Add(code);
            db.Invitations.Add(new Invitation { StudyId = study.Id, CodeHash = Codes.Hash(code), CreatedAt = now, ExpiresAt = now.AddDays(1) });
        }

        await db.SaveChangesAsync(ct);
        return codes;
    }

    /// <summary>
    /// Seeds the demo study (if absent) with <paramref name="imagesPerPrompt"/> images per prompt, and opens its open
    /// batches to load: every participant may answer every pair (overlap = <paramref name="participants"/>), no session break.
    /// </summary>
    public static async Task<Study> PrepareDemoAsync(PluralistDbContext db, DataDirectory data, int participants, int imagesPerPrompt = 8, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var now = DateTimeOffset.UtcNow;
        var seed = await DemoSeeder.SeedAsync(db, data, now, codes: 0, imagesPerPrompt, ct: ct);
        foreach (var batch in await db.Batches.Where(b => b.StudyId == seed.Study.Id).ToListAsync(ct))
        {
            if (batch.IsOpen(now))
            {
                batch.Overlap = Math.Max(batch.Overlap, participants);
                batch.SessionCap = 1_000_000;
                batch.QuotaPerParticipant = Math.Max(batch.QuotaPerParticipant, 1_000_000);
            }
        }

        await db.SaveChangesAsync(ct);
        return seed.Study;
    }

    /// <summary>
    /// Compares what the run's participants (those who joined with <paramref name="codes"/>) have stored with
    /// <paramref name="outcome"/>. An answer sent but never acknowledged (the participant gave up) may be stored or
    /// not: stored, it counts as <see cref="LoadCheckResult.Unconfirmed"/>, not as a failure.
    /// </summary>
    public static async Task<LoadCheckResult> VerifyAsync(PluralistDbContext db, IReadOnlyList<string> codes, LoadOutcome outcome, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(outcome);
        var hashes = codes.Select(Codes.Hash).ToList();
        var participants = new List<long>();
        foreach (var chunk in hashes.Chunk(500))
        {
            participants.AddRange(await db.Invitations.AsNoTracking()
                .Where(i => chunk.Contains(i.CodeHash) && i.ParticipantId != null)
                .Select(i => i.ParticipantId!.Value).ToListAsync(ct));
        }

        var stored = new List<Annotation>();
        foreach (var chunk in participants.Distinct().Chunk(500))
        {
            stored.AddRange(await db.Annotations.AsNoTracking().Include(a => a.Scores)
                .Where(a => chunk.Contains(a.ParticipantId)).ToListAsync(ct));
        }

        var problems = new List<string>();
        void Problem(string line)
        {
            if (problems.Count < 20)
            {
                problems.Add(line);
            }
        }

        var byRequest = stored.GroupBy(a => a.ClientRequestId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        int missing = 0, twice = 0, mismatched = 0;
        foreach (var ack in outcome.Acks)
        {
            if (!byRequest.TryGetValue(ack.RequestId, out var rows))
            {
                missing++;
                Problem($"acknowledged answer {ack.RequestId} (assignment {ack.AssignmentId}) is not stored");
                continue;
            }

            if (rows.Count > 1)
            {
                twice++;
                Problem($"answer {ack.RequestId} is stored {rows.Count} times");
            }

            var row = rows[0];
            var scores = row.Scores.OrderBy(s => s.Position).ToList();
            if (row.AssignmentId != ack.AssignmentId || !scores.Select(s => s.CriterionKey).SequenceEqual(ack.Criteria, StringComparer.Ordinal)
                || !scores.Select(s => s.Score).SequenceEqual(ack.Scores))
            {
                mismatched++;
                Problem($"answer {ack.RequestId} is stored with assignment {row.AssignmentId} and scores {string.Join(' ', scores.Select(s => $"{s.CriterionKey}={s.Score}"))}, not as sent");
            }
        }

        var acked = outcome.Acks.Select(a => a.RequestId).ToHashSet(StringComparer.Ordinal);
        var unacknowledged = outcome.Unacknowledged.ToHashSet(StringComparer.Ordinal);
        var unconfirmed = 0;
        var extra = 0;
        foreach (var (requestId, rows) in byRequest)
        {
            if (acked.Contains(requestId))
            {
                continue;
            }

            if (unacknowledged.Contains(requestId) && rows.Count == 1)
            {
                unconfirmed++;
                continue;
            }

            extra += rows.Count;
            Problem($"stored answer {requestId} ({rows.Count} rows) was {(unacknowledged.Contains(requestId) ? "sent once" : "never sent")}");
        }

        var assignmentsTwice = stored.GroupBy(a => a.AssignmentId).Count(g => g.Count() > 1);
        if (assignmentsTwice > 0)
        {
            Problem($"{assignmentsTwice} assignments have more than one stored answer");
        }

        return new LoadCheckResult(outcome.Acks.Count, stored.Count, missing, twice, mismatched, extra, assignmentsTwice, unconfirmed, problems);
    }
}
