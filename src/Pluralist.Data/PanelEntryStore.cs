using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Data;

/// <summary>Whether a panel entry made a participant or resumed one, and who.</summary>
public sealed record PanelEntryResult(Participant Participant, bool Resumed);

/// <summary>
/// Participants who come from a recruitment panel, one per panel id and study. The unique index on
/// (study, panel id) decides between two entries at once: the one whose insert loses finds the winner's row
/// and resumes it, so a double click or a reloaded link never makes a second participant.
/// </summary>
public static class PanelEntryStore
{
    private const int Attempts = 3;

    /// <summary>
    /// Creates a participant for <paramref name="panelId"/> in <paramref name="study"/>, or resumes the one made
    /// by an earlier entry; records <paramref name="ids"/> as the latest entry's ids. The caller checked the ids.
    /// </summary>
    public static async Task<PanelEntryResult> EnterAsync(
        PluralistDbContext db, Study study, string panelId, IReadOnlyDictionary<string, string> ids, string lang, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(ids);
        for (var attempt = 1; ; attempt++)
        {
            if (await ResumeAsync(db, study.Id, panelId, ids, now, ct) is { } resumed)
            {
                return new PanelEntryResult(resumed, true);
            }

            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var participant = new Participant
                {
                    StudyId = study.Id,
                    Pseudonym = Codes.NewPseudonym(),
                    PreferredLanguage = lang,
                    Role = Role.Participant,
                    CreatedAt = now,
                };
                db.Participants.Add(participant);
                await db.SaveChangesAsync(ct);
                db.PanelEntries.Add(new PanelEntry
                {
                    StudyId = study.Id,
                    ParticipantId = participant.Id,
                    PanelParticipantId = panelId,
                    Ids = new Dictionary<string, string>(ids),
                    FirstEnteredAt = now,
                    LastEnteredAt = now,
                    Entries = 1,
                });
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return new PanelEntryResult(participant, false);
            }
            catch (DbUpdateException) when (attempt < Attempts)
            {
                // Another entry with the same panel id committed first: resume it on the next pass.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>The panel entry of a participant, or null when they joined another way.</summary>
    public static Task<PanelEntry?> FindAsync(PluralistDbContext db, long participantId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.PanelEntries.AsNoTracking().FirstOrDefaultAsync(e => e.ParticipantId == participantId, ct);
    }

    private static async Task<Participant?> ResumeAsync(PluralistDbContext db, long studyId, string panelId, IReadOnlyDictionary<string, string> ids, DateTimeOffset now, CancellationToken ct)
    {
        var entry = await db.PanelEntries.AsNoTracking().FirstOrDefaultAsync(e => e.StudyId == studyId && e.PanelParticipantId == panelId, ct);
        if (entry is null)
        {
            return null;
        }

        // One statement, so two entries at once both count.
        var latest = new Dictionary<string, string>(ids);
        await db.PanelEntries.Where(e => e.Id == entry.Id).ExecuteUpdateAsync(s => s
            .SetProperty(e => e.Ids, latest)
            .SetProperty(e => e.LastEnteredAt, now)
            .SetProperty(e => e.Entries, e => e.Entries + 1), ct);
        return await db.Participants.AsNoTracking().FirstAsync(p => p.Id == entry.ParticipantId, ct);
    }
}
