using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Participation;

/// <summary>What following a panel link came to.</summary>
public enum PanelEntryOutcome
{
    /// <summary>A participant was made, or the one of an earlier entry with the same panel id resumed.</summary>
    Entered,

    /// <summary>No study has this key, or it does not take panel entries: the same answer for both, so keys cannot be probed.</summary>
    NotOpen,

    /// <summary>An id is missing, given twice, too long or has characters an id cannot have.</summary>
    BadIds,
}

/// <summary>The outcome of a panel entry, its participant when entered, and the problems with the ids otherwise.</summary>
public sealed record PanelEntryAttempt(PanelEntryOutcome Outcome, Participant? Participant, bool Resumed, IReadOnlyList<FieldError> Errors);

/// <summary>
/// Entry from a recruitment panel (<c>/panel/{study}?PROLIFIC_PID=…</c>): no invitation code; the study's own
/// parameters name the ids, each is checked, and one panel id is one participant of the study (a second entry resumes).
/// </summary>
public sealed class PanelEntrance(ParticipationStore store)
{
    /// <summary>
    /// Enters <paramref name="studyKey"/> with the ids of <paramref name="query"/> (parameter name to its values, names
    /// compared without case). Error codes, by parameter: <c>panel-id-missing</c>, <c>panel-id-twice</c>,
    /// <c>panel-id-invalid</c>.
    /// </summary>
    public async Task<PanelEntryAttempt> EnterAsync(string studyKey, IReadOnlyDictionary<string, string?[]> query, string lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var study = StudyKeys.Problem(studyKey) is null ? await StudyStore.FindByKeyAsync(store.Db, studyKey, ct) : null;
        if (study?.Panel is not { } panel)
        {
            return new PanelEntryAttempt(PanelEntryOutcome.NotOpen, null, false, []);
        }

        var values = new Dictionary<string, string?[]>(query, StringComparer.OrdinalIgnoreCase);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<FieldError>();
        foreach (var name in panel.Parameters)
        {
            var given = values.GetValueOrDefault(name) ?? [];
            if (given.Length > 1)
            {
                errors.Add(new FieldError(name, "panel-id-twice"));
            }
            else if (given.Length == 0 || string.IsNullOrEmpty(given[0]))
            {
                errors.Add(new FieldError(name, "panel-id-missing"));
            }
            else if (PanelSettings.IdProblem(given[0]) is not null)
            {
                errors.Add(new FieldError(name, "panel-id-invalid", PanelSettings.MaxIdLength));
            }
            else
            {
                ids[name] = given[0]!;
            }
        }

        if (errors.Count > 0)
        {
            return new PanelEntryAttempt(PanelEntryOutcome.BadIds, null, false, errors);
        }

        var entry = await PanelEntryStore.EnterAsync(store.Db, study, ids[panel.ParticipantParameter], ids, lang, store.Now, ct);
        return new PanelEntryAttempt(PanelEntryOutcome.Entered, entry.Participant, entry.Resumed, []);
    }
}

/// <summary>What a participant who came from a panel is given on leaving: the outcome and its configured code and URL.</summary>
public sealed record PanelLeaving(PanelOutcome Outcome, PanelExit? Exit);

/// <summary>How a panel participant's stay ended, and what the researcher configured for that outcome.</summary>
public sealed class PanelExits(ParticipationStore store)
{
    /// <summary>
    /// The outcome of "nothing more to do": completed when the batch quota is reached; screened out when the study
    /// has group quotas and the participant could answer nothing (their group's places were full); otherwise no
    /// work left.
    /// </summary>
    public static PanelOutcome OutcomeOf(Study study, NextStep.AllDone done)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(done);
        return done.Progress.InBatch >= done.Progress.Quota ? PanelOutcome.Completed
            : study.GroupQuotas is not null && done.Progress.InBatch == 0 ? PanelOutcome.ScreenedOut
            : PanelOutcome.NoWorkLeft;
    }

    /// <summary>What the participant leaves with for <paramref name="outcome"/>; null when they did not come from a panel.</summary>
    public async Task<PanelLeaving?> LeavingAsync(long participantId, Study study, PanelOutcome outcome, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        if (study.Panel is not { } panel || await PanelEntryStore.FindAsync(store.Db, participantId, ct) is null)
        {
            return null;
        }

        return new PanelLeaving(outcome, panel.ExitFor(outcome));
    }
}
