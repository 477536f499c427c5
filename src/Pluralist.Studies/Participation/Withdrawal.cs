using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Participation;

/// <summary>Leaving the study: identity answers erased, consent closed, contact details erased; answers kept or deleted as the study says.</summary>
public sealed class Withdrawal(ParticipationStore store, QuotaPlaces quotaPlaces, CriteriaCounts criteriaCounts)
{
    /// <summary>
    /// Withdraws: identity answers erased, consent closed, contact details (email, password, codes,
    /// the email on their invitations) erased. With <see cref="WithdrawalPolicy.DeleteAnnotations"/>
    /// everything the person answered or was given goes too: comparisons with their scores (and the
    /// cleaning drops on them), ratings, assignments, image reports, quota places, remembered request
    /// ids and archived duplicates. With the keep policy those stay under the pseudonym, and only the
    /// quota places not yet answered are released.
    /// </summary>
    public async Task WithdrawAsync(Participant participant, Study study, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(study);
        var db = store.Db;
        var now = store.Now;
        var id = participant.Id;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Provider == DatabaseProvider.Postgres)
        {
            // Before anything else: answers in flight hold a key-share lock on this row; they finish first, later ones see the withdrawal.
            await db.Database.ExecuteSqlAsync($"SELECT id FROM participants WHERE id = {id} FOR UPDATE", ct);
        }

        if (!await db.Participants.AnyAsync(p => p.Id == id && p.WithdrawnAt == null, ct))
        {
            return;
        }

        await db.IdentityAnswers.Where(a => a.ParticipantId == id).ExecuteDeleteAsync(ct);
        await db.ConsentRecords.Where(c => c.ParticipantId == id && c.WithdrawnAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.WithdrawnAt, now), ct);
        var delete = study.WithdrawalPolicy == WithdrawalPolicy.DeleteAnnotations;
        await quotaPlaces.ReleaseAsync(id, delete, ct);
        List<List<string>> shown = [];
        if (delete)
        {
            shown = await db.Assignments.AsNoTracking().Where(a => a.ParticipantId == id).Select(a => a.CriteriaShown).ToListAsync(ct);
            await db.AppliedRequests.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.ArchivedRows.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.LikertRatings.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.AnnotationScores.Where(s => db.Annotations.Any(a => a.Id == s.AnnotationId && a.ParticipantId == id)).ExecuteDeleteAsync(ct);
            await db.Annotations.Where(a => a.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.ImageReports.Where(r => r.ParticipantId == id).ExecuteDeleteAsync(ct);
            await db.Assignments.Where(a => a.ParticipantId == id).ExecuteDeleteAsync(ct);
        }

        // No contact detail stays, and nobody can sign in as a withdrawn participant.
        var address = participant.Email;
        if (address is not null)
        {
            await db.OneTimeCodes.Where(c => c.Email == address).ExecuteDeleteAsync(ct);
        }

        await db.Invitations.Where(i => i.Email != null && (i.ParticipantId == id || (address != null && i.StudyId == study.Id && i.Email == address)))
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.Email, (string?)null), ct);
        participant.Email = null;
        participant.PasswordHash = null;
        participant.WithdrawnAt = now;
        db.AuditEntries.Add(new AuditEntry
        {
            ActorParticipantId = id,
            StudyId = study.Id,
            Action = "participant.withdraw",
            Details = System.Text.Json.JsonSerializer.Serialize(new { policy = study.WithdrawalPolicy.ToString() }),
            At = now,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (delete)
        {
            criteriaCounts.Forget(study.Id, shown);
        }
    }
}
