using Microsoft.EntityFrameworkCore;
using Pluralist.Data;

namespace Pluralist.Testing;

/// <summary>Checks the per-pair assignment count that the database keeps (schema version 14) against the assignments themselves.</summary>
public static class PairCounts
{
    /// <summary>Each pair's stored count and its assignments counted, in pair id order.</summary>
    public static async Task<List<(long PairId, int Stored, int Counted)>> ReadAsync(PluralistDbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        var rows = await db.Pairs.AsNoTracking().OrderBy(p => p.Id)
            .Select(p => new { p.Id, Stored = EF.Property<int>(p, PluralistDbContext.AssignmentCountProperty), Counted = db.Assignments.Count(a => a.PairId == p.Id) })
            .ToListAsync();
        return [.. rows.Select(r => (r.Id, r.Stored, r.Counted))];
    }

    /// <summary>Fails naming every pair whose stored count is not the number of its assignments.</summary>
    public static async Task AssertMatchAsync(PluralistDbContext db)
    {
        var wrong = (await ReadAsync(db)).Where(r => r.Stored != r.Counted).Select(r => $"pair {r.PairId}: stored {r.Stored}, counted {r.Counted}").ToList();
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }
}
