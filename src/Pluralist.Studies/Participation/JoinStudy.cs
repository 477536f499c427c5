using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>Joining: uses an invitation code once, creating the participant it admits (or signing a returning one back in).</summary>
public sealed class JoinStudy(ParticipationStore store)
{
    public async Task<JoinResult> JoinAsync(string code, string lang, CancellationToken ct)
    {
        var db = store.Db;
        var hash = Codes.Hash(code ?? "");
        var invitation = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.CodeHash == hash, ct);
        if (invitation is null || Codes.Normalize(code ?? "").Length == 0)
        {
            return new JoinResult(JoinOutcome.Unknown, null);
        }

        var now = store.Now;
        if (invitation.UsedAt is not null)
        {
            return new JoinResult(JoinOutcome.Used, null);
        }

        if (invitation.ExpiresAt <= now)
        {
            return new JoinResult(JoinOutcome.Expired, null);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Claim the code atomically: of two simultaneous joins only one updates the row.
        var claimed = await db.Invitations.Where(i => i.Id == invitation.Id && i.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedAt, now), ct);
        if (claimed == 0)
        {
            return new JoinResult(JoinOutcome.Used, null);
        }

        // A code made by "reset the code" in the console signs its participant back in.
        if (invitation.ParticipantId is { } returning)
        {
            var existing = await db.Participants.FirstOrDefaultAsync(p => p.Id == returning && p.StudyId == invitation.StudyId && p.WithdrawnAt == null, ct);
            if (existing is null)
            {
                await tx.RollbackAsync(ct);
                return new JoinResult(JoinOutcome.Unknown, null);
            }

            await tx.CommitAsync(ct);
            return new JoinResult(JoinOutcome.Joined, existing);
        }

        var participant = new Participant
        {
            StudyId = invitation.StudyId,
            Pseudonym = Codes.NewPseudonym(),
            Email = invitation.Email,
            PreferredLanguage = lang,
            Role = invitation.Role,
            CreatedAt = now,
        };
        db.Participants.Add(participant);
        await db.SaveChangesAsync(ct);
        await db.Invitations.Where(i => i.Id == invitation.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ParticipantId, participant.Id), ct);
        await tx.CommitAsync(ct);
        return new JoinResult(JoinOutcome.Joined, participant);
    }
}
