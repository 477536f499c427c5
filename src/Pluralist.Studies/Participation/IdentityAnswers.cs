using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>A participant's identity answers: seen, changed or erased; an answer is kept only where its box is ticked.</summary>
public sealed class IdentityAnswers(ParticipationStore store)
{

    public Task<List<IdentityAnswer>> ListAsync(long participantId, CancellationToken ct) =>
        store.Db.IdentityAnswers.AsNoTracking().Where(a => a.ParticipantId == participantId).ToListAsync(ct);

    /// <summary>
    /// The problems of the answers a participant means to keep (box ticked, an answer or "prefer not to say"), each
    /// checked against its question (<see cref="IdentityValidation.CheckAnswer"/>); answers not kept are not checked,
    /// as they will not be stored. Empty when every kept answer can be stored.
    /// </summary>
    public static IReadOnlyList<IdentityProblem> Check(Study study, IReadOnlyList<MarkerInput> markers)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(markers);
        var problems = new List<IdentityProblem>();
        foreach (var question in study.AskedQuestions())
        {
            if (markers.FirstOrDefault(m => m.Marker == question.Key) is { Consent: true } input && (input.PreferNotToSay || !string.IsNullOrWhiteSpace(input.Value)))
            {
                problems.AddRange(IdentityValidation.CheckAnswer(question, input.Value, input.PreferNotToSay).Problems);
            }
        }

        return problems;
    }

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
        foreach (var question in study.AskedQuestions())
        {
            var marker = question.Key;
            var input = markers.FirstOrDefault(m => m.Marker == marker);
            var answered = input is { Consent: true } && (input.PreferNotToSay || !string.IsNullOrWhiteSpace(input.Value));
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

            // Stored in the question's own form (an option's code, a year's digits); the pages check first with Check,
            // so a problem here is a caller that skipped it.
            var check = IdentityValidation.CheckAnswer(question, input!.Value, input.PreferNotToSay);
            if (!check.IsValid)
            {
                throw new ArgumentException($"identity answer not checked before saving: {string.Join("; ", check.Problems)}", nameof(markers));
            }

            stored ??= db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = participantId, Marker = marker }).Entity;
            stored.PreferNotToSay = check.PreferNotToSay;
            stored.Value = check.Value;
            stored.AnsweredAt = store.Now;
        }

        record.MarkerConsents = consents;
    }
}
