using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>Consent: the study's document in the participant's language, and recording the consent with the identity answers given on the same form.</summary>
public sealed class GiveConsent(ParticipationStore store, IdentityAnswers answers)
{
    /// <summary>The latest version of the study's consent document, in <paramref name="lang"/> if it exists, else English, else any.</summary>
    public static ConsentDocument? DocumentFor(Study study, string lang)
    {
        ArgumentNullException.ThrowIfNull(study);
        var latest = study.ConsentDocuments.OrderByDescending(d => d.PublishedAt).ThenByDescending(d => d.Id).FirstOrDefault();
        if (latest is null)
        {
            return null;
        }

        return study.ConsentDocuments.FirstOrDefault(d => d.Version == latest.Version && d.Language == lang)
            ?? study.ConsentDocuments.FirstOrDefault(d => d.Version == latest.Version && d.Language == "en")
            ?? latest;
    }

    /// <summary>Records consent to the document and, marker by marker, stores only the consented answers.</summary>
    public async Task RecordAsync(Participant participant, Study study, ConsentDocument document, string lang, IReadOnlyList<MarkerInput> markers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(markers);
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var record = await store.CurrentConsentAsync(participant.Id, ct);
        if (record is null || record.DocumentVersion != document.Version)
        {
            record = new ConsentRecord { ParticipantId = participant.Id, DocumentVersion = document.Version, Language = lang, ConsentedAt = store.Now };
            db.ConsentRecords.Add(record);
        }

        await answers.SaveAsync(participant.Id, study, record, markers, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}
