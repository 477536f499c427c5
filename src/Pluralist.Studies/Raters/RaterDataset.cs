using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using Pluralist.Core.Preferences;
using Pluralist.Data;

namespace Pluralist.Studies.Raters;

/// <summary>
/// <c>dataset build --include-synthetic RUN</c>: a named pairwise synthetic run's valid answers as preference labels,
/// made by the same label protocol as people's. Each answer (a persona's, or the rater's without persona) counts as one
/// annotation by its own rater; its labels carry no participant and no group, and their source answers are the
/// synthetic answer ids. Nothing synthetic is ever read unless a run is named.
/// </summary>
public static class RaterDataset
{
    public static async Task<IReadOnlyList<PreferenceLabel>> LabelsAsync(PluralistDbContext db, Study study, string runName, LabelOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(options);
        var run = await db.SyntheticRuns.AsNoTracking().FirstOrDefaultAsync(r => r.StudyId == study.Id && r.Name == runName, ct).ConfigureAwait(false);
        if (run is null)
        {
            var names = await db.SyntheticRuns.AsNoTracking().Where(r => r.StudyId == study.Id).Select(r => r.Name).ToListAsync(ct).ConfigureAwait(false);
            throw new StudyInputException($"--include-synthetic: study '{study.Key}' has no synthetic run '{runName}' (runs: {(names.Count == 0 ? "none" : string.Join(", ", names))}).");
        }

        if (run.Task != SyntheticTask.Pairwise)
        {
            throw new StudyInputException($"--include-synthetic: run '{runName}' rated images on a Likert scale; a preference dataset takes a pairwise run.");
        }

        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, ct).ConfigureAwait(false);
        var prompts = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => i.PromptId, ct).ConfigureAwait(false);
        var answers = await db.SyntheticAnswers.AsNoTracking().Where(x => x.RunId == run.Id && x.Status == SyntheticStatus.Ok && x.PairId != null).OrderBy(x => x.Id).ToListAsync(ct).ConfigureAwait(false);
        // Each persona (and the rater without one) is its own rater: ids below zero never meet a participant's.
        var raters = answers.Select(x => x.PersonaKey).Distinct().Order(StringComparer.Ordinal).Select((k, i) => (k, i)).ToDictionary(t => t.k, t => -(long)(t.i + 1), StringComparer.Ordinal);
        var rows = new List<CleaningRow>();
        foreach (var a in answers)
        {
            var pair = pairs[a.PairId!.Value];
            for (int i = 0; i < a.CriteriaShown.Count && i < a.Scores.Count; i++)
            {
                rows.Add(new CleaningRow
                {
                    AnswerId = a.Id,
                    AnnotationId = a.Id,
                    AssignmentId = 0,
                    ParticipantId = raters[a.PersonaKey],
                    PairId = pair.Id,
                    PromptId = prompts[pair.Image0Id],
                    Image0Id = pair.Image0Id,
                    Image1Id = pair.Image1Id,
                    PairKind = pair.Kind,
                    Criterion = a.CriteriaShown[i],
                    Position = i,
                    ScoreAsShown = a.Scores[i],
                    Image0OnLeft = a.Image0OnLeft ?? true,
                    SubmittedAt = a.AnsweredAt,
                });
            }
        }

        // People-only selections (a participant, a group) have no synthetic counterpart: the synthetic labels ignore them.
        var synthetic = options with { Participants = null, RestrictToGroup = null, Groups = null, GroupWeights = null };
        return [.. Labeler.Build(rows, synthetic).Select(l => l with { ParticipantId = null, Group = null, SourceAnswers = [.. l.SourceAnswers.Distinct()] })];
    }
}
