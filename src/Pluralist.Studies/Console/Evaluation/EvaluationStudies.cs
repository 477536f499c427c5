using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Studies.Console.Evaluation;

/// <summary>Blind A/B evaluation studies between two generators of the study's images.</summary>
public sealed class EvaluationStudies(PluralistDbContext db, ConsoleService console)
{
    /// <summary>The generators that made the study's images, with how many prompts each covers.</summary>
    public async Task<IReadOnlyList<(string Generator, int Images, int Prompts)>> GeneratorsAsync(Study study, CancellationToken ct) =>
        (await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).Select(i => new { i.Generator, i.PromptId }).ToListAsync(ct))
            .GroupBy(i => i.Generator).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count(), g.Select(i => i.PromptId).Distinct().Count())).ToList();

    /// <summary>
    /// A blind A/B evaluation (<see cref="EvaluationDesign"/>): for every prompt with usable images from both generators,
    /// up to N pairs whose two images share their seed (the lowest seeds both have), so a pair differs by the model only.
    /// Prompts whose images carry no seed at all are paired in the order the images were added (counted); prompts with
    /// seeds but none in common get no pair (named). A pair that exists already is not made twice. With training prompts
    /// given, a prompt the aligned model was trained on refuses the whole design (naming the prompts) unless they are to be
    /// left out. By convention (docs/analysis.md) image_0 is B, the base, and image_1 is A, the aligned model; the side each
    /// is shown on is drawn per assignment, so participants cannot tell which model made which image.
    /// </summary>
    public async Task<EvaluationCreated> CreateEvaluationAsync(Participant? actor, Study study, EvaluationDesign design, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(design);
        if (design.Aligned == design.Base)
        {
            throw new StudyInputException("choose two different generators");
        }

        if (design.SeedsPerPrompt is < 1 or > 64)
        {
            throw new StudyInputException($"seeds per prompt: {design.SeedsPerPrompt} is not between 1 and 64");
        }

        var known = (await GeneratorsAsync(study, ct)).Select(g => g.Generator).ToHashSet(StringComparer.Ordinal);
        foreach (var g in new[] { design.Aligned, design.Base }.Where(g => !known.Contains(g)))
        {
            throw new StudyInputException($"'{g}' made no image of study '{study.Key}' (its generators: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
        }

        var usable = (await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id && (i.Generator == design.Aligned || i.Generator == design.Base)).ToListAsync(ct))
            .Where(i => (i.Flags & (ImageFlags.Excluded | ImageFlags.Broken)) == 0).ToList();
        var promptIds = usable.Select(i => i.PromptId).Distinct().ToList();
        var prompts = await db.Prompts.AsNoTracking().Where(p => promptIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Text, ct);

        var trained = new List<string>();
        if (design.TrainingPrompts is { } training)
        {
            trained = [.. prompts.Where(p => training.Contains(TrainingPrompts.Normalize(p.Value))).OrderBy(p => p.Key).Select(p => p.Value)];
            if (trained.Count > 0 && !design.SkipTrainingPrompts)
            {
                throw new StudyInputException(
                    $"{trained.Count} prompt(s) of the evaluation are in the training dataset's train split, so they are not held out: " +
                    string.Join("; ", trained.Take(10).Select(t => $"'{t}'")) + (trained.Count > 10 ? $"; and {trained.Count - 10} more" : "") +
                    " (leave them out, or give the evaluation other prompts)");
            }
        }

        var existing = (await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id && p.Kind == PairKind.Evaluation).Select(p => new { p.Image0Id, p.Image1Id }).ToListAsync(ct))
            .Select(p => (p.Image0Id, p.Image1Id)).ToHashSet();
        var now = DateTimeOffset.UtcNow;
        var trainedSet = trained.Select(TrainingPrompts.Normalize).ToHashSet(StringComparer.Ordinal);
        int made = 0, bySeed = 0, byOrder = 0, already = 0;
        var promptsWithPairs = 0;
        var noCommonSeed = new List<string>();
        foreach (var prompt in usable.GroupBy(i => i.PromptId).OrderBy(g => g.Key))
        {
            var text = prompts.GetValueOrDefault(prompt.Key, "");
            if (trainedSet.Contains(TrainingPrompts.Normalize(text)))
            {
                continue;
            }

            var a = prompt.Where(i => i.Generator == design.Aligned).OrderBy(i => i.Id).ToList();
            var b = prompt.Where(i => i.Generator == design.Base).OrderBy(i => i.Id).ToList();
            if (a.Count == 0 || b.Count == 0)
            {
                continue;
            }

            List<(Image Base, Image Aligned)> chosen;
            var unseeded = a.All(i => i.Seed is null) && b.All(i => i.Seed is null);
            if (unseeded)
            {
                chosen = [.. b.Zip(a).Take(design.SeedsPerPrompt)];
            }
            else
            {
                var seedsA = a.Where(i => i.Seed is not null).GroupBy(i => i.Seed!.Value).ToDictionary(g => g.Key, g => g.First());
                var seedsB = b.Where(i => i.Seed is not null).GroupBy(i => i.Seed!.Value).ToDictionary(g => g.Key, g => g.First());
                chosen = [.. seedsB.Keys.Intersect(seedsA.Keys).Order().Take(design.SeedsPerPrompt).Select(seed => (seedsB[seed], seedsA[seed]))];
                if (chosen.Count == 0)
                {
                    noCommonSeed.Add(text);
                    continue;
                }
            }

            foreach (var (baseImage, aligned) in chosen)
            {
                if (!existing.Add((baseImage.Id, aligned.Id)))
                {
                    already++;
                    continue;
                }

                db.Pairs.Add(new Pair { StudyId = study.Id, BatchId = design.BatchId, Image0Id = baseImage.Id, Image1Id = aligned.Id, Kind = PairKind.Evaluation, CreatedAt = now });
                made++;
                if (unseeded)
                {
                    byOrder++;
                }
                else
                {
                    bySeed++;
                }
            }

            promptsWithPairs++;
        }

        var created = new EvaluationCreated(made, promptsWithPairs, bySeed, byOrder, already, noCommonSeed, trained);
        console.Audit(actor, study, "evaluation.create", new
        {
            aligned = design.Aligned,
            @base = design.Base,
            seedsPerPrompt = design.SeedsPerPrompt,
            pairs = made,
            matchedBySeed = bySeed,
            byOrder,
            alreadyThere = already,
            noCommonSeed = noCommonSeed.Count,
            heldOutCheck = design.TrainingPrompts is not null,
            trainingPromptsLeftOut = trained.Count,
            batch = design.BatchId,
        });
        await db.SaveChangesAsync(ct);
        return created;
    }
}
