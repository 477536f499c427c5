using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>A participant's identity answers: seen, changed or erased; an answer is kept only where its box is ticked.</summary>
public sealed class IdentityAnswers(ParticipationStore store)
{
    private const int MaxValueLength = 200;

    public Task<List<IdentityAnswer>> ListAsync(long participantId, CancellationToken ct) =>
        store.Db.IdentityAnswers.AsNoTracking().Where(a => a.ParticipantId == participantId).ToListAsync(ct);

    /// <summary>Changes or erases identity answers; an answer whose box is unticked is erased.</summary>
    public async Task UpdateAsync(long participantId, Study study, IReadOnlyList<MarkerInput> markers, CancellationToken ct)
    {
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var record = await store.CurrentConsentAsync(participantId, ct)
            ?? throw new InvalidOperationException("The participant has not consented.");
        await SaveAsync(participantId, study, record, markers, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Inside the caller's transaction: stores the consented answers, erases the others, and records each marker's consent on <paramref name="record"/>.</summary>
    internal async Task SaveAsync(long participantId, Study study, ConsentRecord record, IReadOnlyList<MarkerInput> markers, CancellationToken ct)
    {
        var db = store.Db;
        var existing = await db.IdentityAnswers.Where(a => a.ParticipantId == participantId).ToListAsync(ct);
        var consents = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var marker in study.IdentityMarkers)
        {
            var input = markers.FirstOrDefault(m => m.Marker == marker);
            var value = input?.Value?.Trim();
            var answered = input is { Consent: true } && (input.PreferNotToSay || !string.IsNullOrEmpty(value));
            consents[marker] = input?.Consent == true;
            var stored = existing.FirstOrDefault(a => a.Marker == marker);
            if (!answered)
            {
                if (stored is not null)
                {
                    db.IdentityAnswers.Remove(stored);
                }

                continue;
            }

            stored ??= db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = participantId, Marker = marker }).Entity;
            stored.PreferNotToSay = input!.PreferNotToSay;
            stored.Value = input.PreferNotToSay ? null : value![..Math.Min(value!.Length, MaxValueLength)];
            stored.AnsweredAt = store.Now;
        }

        record.MarkerConsents = consents;
    }
}
