using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Cleaning;

namespace Pluralist.Data.Datasets;

/// <summary>The latest stored cleaning run of a study: its record, report and the dropped answers.</summary>
public sealed record StoredCleaning(CleaningRunRecord Run, CleaningReport Report, IReadOnlyDictionary<long, (string Rule, string ReasonCode)> Drops)
{
    /// <summary>
    /// Splits rows by this run: kept rows, dropped rows, and rows the run never saw (answers that
    /// arrived after it; they are not cleaned).
    /// </summary>
    public (List<CleaningRow> Kept, List<RowVerdict> Dropped, List<CleaningRow> NotCleaned) Apply(IEnumerable<CleaningRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var kept = new List<CleaningRow>();
        var dropped = new List<RowVerdict>();
        var notCleaned = new List<CleaningRow>();
        foreach (var r in rows)
        {
            if (Drops.TryGetValue(r.AnswerId, out var d))
            {
                dropped.Add(new RowVerdict(r, d.Rule, d.ReasonCode));
            }
            else if (Run.LastAnswerId is null || r.AnswerId > Run.LastAnswerId)
            {
                notCleaned.Add(r);
            }
            else
            {
                kept.Add(r);
            }
        }

        return (kept, dropped, notCleaned);
    }
}

/// <summary>Persists cleaning runs: rules never delete answers, a run marks the ones it drops.</summary>
public static class CleaningStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    /// <summary>Stores a run and, per dropped row, the first rule that dropped it; returns the stored record.</summary>
    public static async Task<CleaningRunRecord> SaveAsync(PluralistDbContext db, long studyId, CleaningRun run, string rulesJson, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(run);
        var record = new CleaningRunRecord
        {
            StudyId = studyId,
            RulesVersion = run.Report.RulesVersion,
            Rules = rulesJson,
            Report = JsonSerializer.Serialize(run.Report, Json),
            RowsIn = run.Report.RowsIn,
            RowsOut = run.Report.RowsOut,
            LastAnswerId = run.Verdicts.Count == 0 ? null : run.Verdicts.Max(v => v.Row.AnswerId),
            CreatedAt = now,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.CleaningRuns.Add(record);
        await db.SaveChangesAsync(ct);
        var previous = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            db.CleaningDrops.AddRange(run.Verdicts.Where(v => !v.Kept).Select(v => new CleaningDrop
            {
                RunId = record.Id,
                AnswerId = v.Row.AnswerId,
                Rule = v.DroppedBy!,
                ReasonCode = v.ReasonCode!,
            }));
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = previous;
        }

        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return record;
    }

    /// <summary>The study's latest run (highest id), or null when the study was never cleaned.</summary>
    public static async Task<StoredCleaning?> LatestAsync(PluralistDbContext db, long studyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var run = await db.CleaningRuns.AsNoTracking().Where(r => r.StudyId == studyId).OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
        if (run is null)
        {
            return null;
        }

        var drops = await db.CleaningDrops.AsNoTracking().Where(d => d.RunId == run.Id).ToDictionaryAsync(d => d.AnswerId, d => (d.Rule, d.ReasonCode), ct);
        var report = JsonSerializer.Deserialize<CleaningReport>(run.Report, Json)
            ?? throw new InvalidDataException($"cleaning run {run.Id} has an empty report");
        return new StoredCleaning(run, report, drops);
    }
}
