using Microsoft.EntityFrameworkCore;
using Pluralist.Analysis.Evaluation;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Console.Evaluation;

/// <summary>The tally of an A/B evaluation from the stored answers.</summary>
public sealed class EvaluationTallies(PluralistDbContext db)
{
    /// <summary>Wins, neutrals and losses of <paramref name="generatorA"/> against <paramref name="generatorB"/> on the study's evaluation pairs, per criterion.</summary>
    public async Task<EvaluationTally> TallyAsync(Study study, string generatorA, string generatorB, CancellationToken ct)
    {
        var generators = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => (i.Generator, i.PromptId), ct);
        var pairs = (await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id && p.Kind == PairKind.Evaluation).ToListAsync(ct))
            .Where(p => new[] { generators[p.Image0Id].Generator, generators[p.Image1Id].Generator }.Order(StringComparer.Ordinal)
                .SequenceEqual(new[] { generatorA, generatorB }.Order(StringComparer.Ordinal)))
            .ToDictionary(p => p.Id);
        var dataset = await Data.Datasets.StudyDatasetLoader.LoadAsync(db, study.Key, ct);
        var judgements = new List<ABJudgement>();
        foreach (var row in dataset.Rows.Where(r => pairs.ContainsKey(r.PairId) && r.Preference is not null))
        {
            // Preference < 0 favours image_0; A wins when that image is A's.
            var image0IsA = generators[pairs[row.PairId].Image0Id].Generator == generatorA;
            var p = row.Preference!.Value;
            var outcome = p == 0 ? ABPreference.Neutral : (p < 0) == image0IsA ? ABPreference.Aligned : ABPreference.Base;
            judgements.Add(new ABJudgement(row.PromptId.ToString(System.Globalization.CultureInfo.InvariantCulture), row.ParticipantId.ToString(System.Globalization.CultureInfo.InvariantCulture), row.Criterion, outcome));
        }

        return new EvaluationTally(generatorA, generatorB, pairs.Count, judgements.Count == 0 ? null : ABStudy.Overview(judgements));
    }
}
