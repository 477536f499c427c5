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
    /// A blind A/B evaluation: for every prompt with usable images from both generators, one
    /// evaluation pair (the first image of each). By convention (docs/analysis.md) image_0 is B,
    /// the base, and image_1 is A, the aligned model; the side each is shown on is drawn per
    /// assignment, so participants cannot tell which model made which image.
    /// </summary>
    public async Task<int> CreateEvaluationAsync(Participant actor, Study study, string generatorA, string generatorB, long? batchId, CancellationToken ct)
    {
        if (generatorA == generatorB)
        {
            throw new ArgumentException("choose two different generators");
        }

        var usable = (await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id && (i.Generator == generatorA || i.Generator == generatorB)).ToListAsync(ct))
            .Where(i => (i.Flags & (ImageFlags.Excluded | ImageFlags.Broken)) == 0).ToList();
        var now = DateTimeOffset.UtcNow;
        var made = 0;
        foreach (var prompt in usable.GroupBy(i => i.PromptId).OrderBy(g => g.Key))
        {
            var a = prompt.Where(i => i.Generator == generatorA).MinBy(i => i.Id);
            var b = prompt.Where(i => i.Generator == generatorB).MinBy(i => i.Id);
            if (a is null || b is null)
            {
                continue;
            }

            db.Pairs.Add(new Pair { StudyId = study.Id, BatchId = batchId, Image0Id = b.Id, Image1Id = a.Id, Kind = PairKind.Evaluation, CreatedAt = now });
            made++;
        }

        console.Audit(actor, study, "evaluation.create", new { aligned = generatorA, @base = generatorB, pairs = made, batch = batchId });
        await db.SaveChangesAsync(ct);
        return made;
    }
}
