using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Console.Pairs;

/// <summary>Pairs of a study: built within each prompt from the pool, or imported from a pairs CSV.</summary>
public sealed class PairBuilder(PluralistDbContext db, ConsoleService console)
{
    /// <summary>
    /// Pairs of images of the same prompt, leaving out excluded and broken images and pairs that
    /// already exist: all of them, or at most <paramref name="perPrompt"/> per prompt drawn with <paramref name="seed"/>.
    /// </summary>
    public async Task<int> BuildPairsAsync(Participant? actor, Study study, int? perPrompt, int seed, long? batchId, CancellationToken ct)
    {
        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).ToListAsync(ct);
        var existing = (await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id).Select(p => new { p.Image0Id, p.Image1Id }).ToListAsync(ct))
            .Select(p => (Math.Min(p.Image0Id, p.Image1Id), Math.Max(p.Image0Id, p.Image1Id))).ToHashSet();
        var random = new Random(seed);
        var now = DateTimeOffset.UtcNow;
        var made = 0;
        foreach (var prompt in images.Where(i => (i.Flags & (ImageFlags.Excluded | ImageFlags.Broken)) == 0).GroupBy(i => i.PromptId).OrderBy(g => g.Key))
        {
            var ids = prompt.Select(i => i.Id).Order().ToList();
            var candidates = new List<(long, long)>();
            for (var a = 0; a < ids.Count; a++)
            {
                for (var b = a + 1; b < ids.Count; b++)
                {
                    if (!existing.Contains((ids[a], ids[b])))
                    {
                        candidates.Add((ids[a], ids[b]));
                    }
                }
            }

            if (perPrompt is { } n && candidates.Count > n)
            {
                random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates));
                candidates = [.. candidates.Take(n).Order()];
            }

            foreach (var (i0, i1) in candidates)
            {
                db.Pairs.Add(new Pair { StudyId = study.Id, BatchId = batchId, Image0Id = i0, Image1Id = i1, Kind = PairKind.Annotation, CreatedAt = now });
                made++;
            }
        }

        console.Audit(actor, study, "pairs.build", new { made, perPrompt, seed, batch = batchId });
        await db.SaveChangesAsync(ct);
        return made;
    }

    public const string PairsCsv = "pairs.csv";

    /// <summary>
    /// Reads and checks a pairs CSV against the study's images: columns <c>image_0</c> and
    /// <c>image_1</c> (image ids as the grid shows them), optionally <c>kind</c> and
    /// <c>expected_preference</c>. Every problem is located (<c>pairs.csv:line:col (field)</c>):
    /// missing columns, unknown, excluded or broken images, the same image twice, images of
    /// different prompts when <paramref name="withinPrompt"/>, a pair listed twice or already in the study.
    /// </summary>
    public async Task<IReadOnlyList<Pair>> ReadPairsAsync(Study study, string text, bool withinPrompt, long? batchId, ImportErrors errors, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(errors);
        var table = CsvTable.Parse(new StringReader(text ?? ""), PairsCsv, errors.List);
        errors.Trim();
        if (!table.RequireColumns("image_0", "image_1"))
        {
            return [];
        }

        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id)
            .Select(i => new { i.Id, i.PromptId, i.Flags }).ToDictionaryAsync(i => i.Id, ct);
        var existing = (await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id).Select(p => new { p.Image0Id, p.Image1Id }).ToListAsync(ct))
            .Select(p => (Math.Min(p.Image0Id, p.Image1Id), Math.Max(p.Image0Id, p.Image1Id))).ToHashSet();
        var lines = new Dictionary<(long, long), int>();
        var now = DateTimeOffset.UtcNow;
        var pairs = new List<Pair>();
        foreach (var row in table.Rows)
        {
            errors.Trim();
            var before = errors.Count;
            var i0 = table.Long(row, "image_0");
            var i1 = table.Long(row, "image_1");
            var kind = PairKind.Annotation;
            if (table.OptionalString(row, "kind") is { } k && !Tokens.TryParse(k, out kind))
            {
                table.AddError(row, "kind", $"'{k}' is not one of {string.Join(", ", Tokens.All<PairKind>())}");
            }

            var expected = table.OptionalDouble(row, "expected_preference");
            if (expected is { } e && (!double.IsFinite(e) || e < -1 || e > 1))
            {
                table.AddError(row, "expected_preference", "must be between -1 (image_0 preferred) and 1 (image_1 preferred)");
            }
            else if (expected is null && kind == PairKind.AttentionCheck)
            {
                table.AddError(row, "expected_preference", "an attention-check pair needs the expected preference");
            }

            if (errors.Count > before)
            {
                continue;
            }

            foreach (var (column, id) in new[] { ("image_0", i0), ("image_1", i1) })
            {
                if (!images.TryGetValue(id, out var image))
                {
                    table.AddError(row, column, $"there is no image {id} in this study");
                }
                else if ((image.Flags & (ImageFlags.Excluded | ImageFlags.Broken)) != 0)
                {
                    table.AddError(row, column, $"image {id} is {(image.Flags.HasFlag(ImageFlags.Excluded) ? "excluded" : "broken")}");
                }
            }

            if (errors.Count > before)
            {
                continue;
            }

            if (i0 == i1)
            {
                table.AddError(row, "image_1", $"the same image as image_0 ({i0})");
                continue;
            }

            if (withinPrompt && images[i0].PromptId != images[i1].PromptId)
            {
                table.AddError(row, "image_1", $"image {i1} shows another prompt than image {i0}, and pairs must be within a prompt");
                continue;
            }

            var key = (Math.Min(i0, i1), Math.Max(i0, i1));
            if (lines.TryGetValue(key, out var first))
            {
                table.AddError(row, "image_1", $"the pair {i0}, {i1} is already listed on line {first}");
                continue;
            }

            lines[key] = row.Line;
            if (existing.Contains(key))
            {
                table.AddError(row, "image_1", $"the pair {i0}, {i1} is already in the study");
                continue;
            }

            pairs.Add(new Pair { StudyId = study.Id, BatchId = batchId, Image0Id = i0, Image1Id = i1, Kind = kind, ExpectedPreference = expected, CreatedAt = now });
        }

        if (table.Rows.Count == 0)
        {
            errors.Add(new CsvError(PairsCsv, 2, 0, string.Empty, "no pairs: add one row per pair under the header"));
        }

        return pairs;
    }

    /// <summary>Stores checked pairs, all or none (one SaveChanges, one transaction).</summary>
    public async Task<int> AddPairsAsync(Participant actor, Study study, IReadOnlyList<Pair> pairs, long? batchId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        db.Pairs.AddRange(pairs);
        console.Audit(actor, study, "pairs.import", new { made = pairs.Count, batch = batchId, kinds = pairs.GroupBy(p => p.Kind.ToToken()).ToDictionary(g => g.Key, g => g.Count()) });
        await db.SaveChangesAsync(ct);
        return pairs.Count;
    }
}
