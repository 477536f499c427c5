using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Participation;

/// <summary>
/// How often each criterion of a study has been shown, kept in memory so drawing criteria does
/// not rescan every assignment; loaded from the database the first time a study is seen.
/// </summary>
public sealed class CriteriaCounts : IDisposable
{
    private static readonly PerModel<Func<PluralistDbContext, long, IAsyncEnumerable<List<string>>>> ShownTo = new(() =>
        EF.CompileAsyncQuery((PluralistDbContext db, long participantId) =>
            db.Assignments.AsNoTracking().Where(a => a.ParticipantId == participantId).Select(a => a.CriteriaShown)));

    private readonly ConcurrentDictionary<long, Dictionary<string, long>> _counts = new();
    private readonly SemaphoreSlim _load = new(1, 1);

    /// <summary>Where the draws' randomness comes from (<see cref="Random.Shared"/>; seed it for reproducible draws).</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>
    /// The criteria and side of the study's next assignment, drawn under its rules (<see cref="AssignmentBuilder.For"/>)
    /// against what the participant (when given) and then the whole study have been shown so far, so each judge sees each
    /// criterion about equally often (an evaluation's judges included) and the study stays balanced too. In the SQLite writer
    /// (<paramref name="prepared"/>) the participant's counts come from <see cref="PreparedWrites.ShownToJudge"/> (counted by the
    /// database once, then kept by the writer) instead of a read of every earlier assignment's list: the same counts, so the same draw.
    /// </summary>
    public async Task<AssignmentDraw> DrawAsync(PluralistDbContext db, Study study, CancellationToken ct, long? participantId = null, PreparedWrites? prepared = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        var rules = AssignmentBuilder.For(study);
        Dictionary<string, long>? judge = null;
        if (participantId is { } pid)
        {
            judge = prepared is null ? await ShownToJudgeAsync(db, pid, ct) : prepared.ShownToJudge(pid);
        }

        var counts = await GetAsync(db, study.Id, ct);
        lock (counts)
        {
            return rules.Draw(counts, Random, judge);
        }
    }

    /// <summary>How often each criterion was shown to the participant, over all their assignments (read through EF).</summary>
    public static async Task<Dictionary<string, long>> ShownToJudgeAsync(PluralistDbContext db, long participantId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var judge = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var shown in ShownTo.For(db)(db, participantId).WithCancellation(ct))
        {
            foreach (var key in shown)
            {
                judge[key] = judge.GetValueOrDefault(key) + 1;
            }
        }

        return judge;
    }

    /// <summary>
    /// The one place a participant's new assignment is made from a chosen pair (the batch's draw, a quota's check pair):
    /// criteria and side drawn by <see cref="DrawAsync"/>, added and saved, holding rater place
    /// <paramref name="overlapSlot"/> of the pair when given (unique per pair in the database, so two participants
    /// cannot take the same place). When the save fails the assignment is detached again before the exception goes on,
    /// so the caller can retry on the same context. In the SQLite writer (<paramref name="prepared"/>) the same row is inserted
    /// by its prepared statement instead of EF's <c>SaveChanges</c>.
    /// </summary>
    public async Task<Assignment> AssignAsync(PluralistDbContext db, Study study, long participantId, long pairId, long batchId, string lang, DateTimeOffset now, CancellationToken ct, int? overlapSlot = null, PreparedWrites? prepared = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        var assignment = (await DrawAsync(db, study, ct, participantId, prepared)).ToAssignment(participantId, pairId, batchId, lang, now);
        assignment.OverlapSlot = overlapSlot;
        if (prepared is not null)
        {
            prepared.InsertAssignment(assignment);
            return assignment;
        }

        db.Assignments.Add(assignment);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.Entry(assignment).State = EntityState.Detached;
            throw;
        }

        return assignment;
    }

    /// <summary>Takes back criteria of assignments that were erased (a withdrawal that deletes answers), if the study's counts are loaded.</summary>
    public void Forget(long studyId, IEnumerable<IReadOnlyList<string>> shown)
    {
        ArgumentNullException.ThrowIfNull(shown);
        if (!_counts.TryGetValue(studyId, out var counts))
        {
            return;
        }

        lock (counts)
        {
            foreach (var key in shown.SelectMany(s => s))
            {
                counts[key] = Math.Max(0, counts.GetValueOrDefault(key) - 1);
            }
        }
    }

    public void Dispose() => _load.Dispose();

    private async Task<Dictionary<string, long>> GetAsync(PluralistDbContext db, long studyId, CancellationToken ct)
    {
        if (_counts.TryGetValue(studyId, out var counts))
        {
            return counts;
        }

        await _load.WaitAsync(ct);
        try
        {
            if (_counts.TryGetValue(studyId, out counts))
            {
                return counts;
            }

            var shown = await db.Assignments.AsNoTracking()
                .Where(a => db.Pairs.Any(p => p.Id == a.PairId && p.StudyId == studyId))
                .Select(a => a.CriteriaShown).ToListAsync(ct);
            counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var key in shown.SelectMany(s => s))
            {
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }

            _counts[studyId] = counts;
            return counts;
        }
        finally
        {
            _load.Release();
        }
    }
}
