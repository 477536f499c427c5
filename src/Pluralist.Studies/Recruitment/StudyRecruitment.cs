using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Recruitment;

/// <summary>
/// A study's recruitment settings for every front end: entry from a panel (which query parameters carry the ids, what
/// each outcome gives back) and the protocol page (text per language, contact). Checked before anything is saved;
/// each change is audited.
/// </summary>
public static class StudyRecruitment
{
    /// <summary>The longest protocol text accepted per language, in characters.</summary>
    public const int MaxProtocolLength = 20_000;

    /// <summary>The longest contact accepted, in characters.</summary>
    public const int MaxContactLength = 500;

    /// <summary>
    /// Makes <paramref name="panel"/> the study's panel settings (null: no panel entry), or throws
    /// <see cref="StudyInputException"/> naming each problem and changes nothing.
    /// </summary>
    public static async Task<Study> SetPanelAsync(PluralistDbContext db, string studyKey, PanelSettings? panel, long? actorParticipantId, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (panel?.Problems() is { Count: > 0 } problems)
        {
            throw new StudyInputException(string.Join("; ", problems.Select(p => $"panel.{p.Field}: {p.Message}")));
        }

        var study = await TrackedAsync(db, studyKey, ct).ConfigureAwait(false);
        study.Panel = panel?.Clone();
        Audit(db, study, actorParticipantId, "study.panel", panel is null ? "{\"panel\":null}" : PanelJson.Write(panel), now);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return study;
    }

    /// <summary>
    /// Sets the protocol text of the languages given in <paramref name="texts"/> (an empty text restores the app's default for
    /// that language) and, when not null, the contact; or throws <see cref="StudyInputException"/> and changes nothing.
    /// </summary>
    public static async Task<Study> SetProtocolAsync(
        PluralistDbContext db, string studyKey, IReadOnlyDictionary<string, string> texts, string? contact, long? actorParticipantId, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(texts);
        var problems = new List<string>();
        foreach (var (lang, text) in texts)
        {
            if (lang is not ("en" or "fr"))
            {
                problems.Add($"protocol.{lang}: the participant app speaks en and fr");
            }
            else if (text.Length > MaxProtocolLength)
            {
                problems.Add($"protocol.{lang}: at most {MaxProtocolLength} characters ({text.Length} given)");
            }
        }

        if (contact is { Length: > MaxContactLength })
        {
            problems.Add($"contact: at most {MaxContactLength} characters ({contact.Length} given)");
        }

        if (problems.Count > 0)
        {
            throw new StudyInputException(string.Join("; ", problems));
        }

        var study = await TrackedAsync(db, studyKey, ct).ConfigureAwait(false);
        var protocol = study.Protocol.Clone();
        foreach (var (lang, text) in texts)
        {
            protocol[lang] = text.Trim();
        }

        // Empty languages are dropped, so the page falls back to its default text for them.
        study.Protocol = new LocalizedText(protocol.Where(kv => kv.Value.Length > 0));
        if (contact is not null)
        {
            study.Contact = contact.Trim();
        }

        Audit(db, study, actorParticipantId, "study.protocol",
            JsonSerializer.Serialize(new { languages = texts.Keys.Order(StringComparer.Ordinal), contact = contact is not null }), now);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return study;
    }

    private static async Task<Study> TrackedAsync(PluralistDbContext db, string studyKey, CancellationToken ct)
    {
        var found = await StudyLookup.FindStudyAsync(db, studyKey, ct).ConfigureAwait(false);
        return await db.Studies.SingleAsync(s => s.Id == found.Id, ct).ConfigureAwait(false);
    }

    private static void Audit(PluralistDbContext db, Study study, long? actor, string action, string details, DateTimeOffset now) =>
        db.AuditEntries.Add(new AuditEntry { ActorParticipantId = actor, StudyId = study.Id, Action = action, Details = details, At = now });
}
