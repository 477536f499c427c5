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
        var (pairs, judgements) = await JudgementsAsync(study, generatorA, generatorB, ct);
        var all = judgements.Select(j => j.Judgement).ToList();
        return new EvaluationTally(generatorA, generatorB, pairs.Count, all.Count == 0 ? null : ABStudy.Overview(all));
    }

    /// <summary>
    /// The gallery of the evaluation between <paramref name="generatorA"/> (aligned) and <paramref name="generatorB"/>
    /// (base): per prompt, its pairs with B's and A's images and the answers per criterion, counted for A.
    /// </summary>
    public async Task<IReadOnlyList<EvaluationGalleryPrompt>> GalleryAsync(Study study, string generatorA, string generatorB, CancellationToken ct)
    {
        var (pairs, judgements) = await JudgementsAsync(study, generatorA, generatorB, ct);
        var imageIds = pairs.Values.SelectMany(p => new[] { p.Image0Id, p.Image1Id }).ToHashSet();
        var images = await db.Images.AsNoTracking().Where(i => imageIds.Contains(i.Id)).ToDictionaryAsync(i => i.Id, ct);
        var promptIds = images.Values.Select(i => i.PromptId).ToHashSet();
        var prompts = await db.Prompts.AsNoTracking().Where(p => promptIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Text, ct);
        var byPair = judgements.ToLookup(j => j.PairId);
        var criteria = study.Criteria.Where(c => !c.Retired).Select(c => c.Key).ToList();
        var gallery = new List<EvaluationGalleryPrompt>();
        foreach (var prompt in pairs.Values.GroupBy(p => images[p.Image0Id].PromptId).OrderBy(g => g.Key))
        {
            var shown = prompt.OrderBy(p => p.Id).Select(p =>
            {
                var (b, a) = images[p.Image0Id].Generator == generatorB ? (images[p.Image0Id], images[p.Image1Id]) : (images[p.Image1Id], images[p.Image0Id]);
                return new EvaluationGalleryPair(p.Id, b.Id, a.Id, a.Seed is not null && a.Seed == b.Seed ? a.Seed : null, a.Width, a.Height);
            }).ToList();
            var answers = prompt.SelectMany(p => byPair[p.Id]).Select(j => j.Judgement).ToList();
            var perCriterion = criteria.Union(answers.Select(j => j.Criterion).Distinct().Order(StringComparer.Ordinal))
                .Select(c => Count(c, answers.Where(j => j.Criterion == c))).ToList();
            gallery.Add(new EvaluationGalleryPrompt(prompt.Key, prompts.GetValueOrDefault(prompt.Key, ""), shown, perCriterion, Count("overall", answers)));
        }

        return gallery;
    }

    private static EvaluationCount Count(string criterion, IEnumerable<ABJudgement> answers)
    {
        int a = 0, n = 0, b = 0;
        foreach (var j in answers)
        {
            switch (j.Preference)
            {
                case ABPreference.Aligned: a++; break;
                case ABPreference.Base: b++; break;
                default: n++; break;
            }
        }

        return new EvaluationCount(criterion, a, n, b);
    }

    /// <summary>The evaluation pairs between the two generators, and each answer as a judgement for A (the aligned model), with its pair.</summary>
    public async Task<(Dictionary<long, Pair> Pairs, List<(long PairId, ABJudgement Judgement)> Judgements)> JudgementsAsync(Study study, string generatorA, string generatorB, CancellationToken ct)
    {
        var generators = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => (i.Generator, i.PromptId), ct);
        var pairs = (await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id && p.Kind == PairKind.Evaluation).ToListAsync(ct))
            .Where(p => new[] { generators[p.Image0Id].Generator, generators[p.Image1Id].Generator }.Order(StringComparer.Ordinal)
                .SequenceEqual(new[] { generatorA, generatorB }.Order(StringComparer.Ordinal)))
            .ToDictionary(p => p.Id);
        var dataset = await Data.Datasets.StudyDatasetLoader.LoadAsync(db, study.Key, ct);
        var judgements = new List<(long, ABJudgement)>();
        foreach (var row in dataset.Rows.Where(r => pairs.ContainsKey(r.PairId) && r.Preference is not null))
        {
            // Preference < 0 favours image_0; A wins when that image is A's.
            var image0IsA = generators[pairs[row.PairId].Image0Id].Generator == generatorA;
            var p = row.Preference!.Value;
            var outcome = p == 0 ? ABPreference.Neutral : (p < 0) == image0IsA ? ABPreference.Aligned : ABPreference.Base;
            judgements.Add((row.PairId, new ABJudgement(row.PromptId.ToString(System.Globalization.CultureInfo.InvariantCulture), row.ParticipantId.ToString(System.Globalization.CultureInfo.InvariantCulture), row.Criterion, outcome)));
        }

        return (pairs, judgements);
    }
}
