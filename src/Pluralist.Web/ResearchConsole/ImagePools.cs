using Microsoft.EntityFrameworkCore;
using Pluralist.Analysis.Evaluation;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Data.Imaging;
using Pluralist.Data.Imports;

namespace Pluralist.Web.ResearchConsole;

/// <summary>
/// Image pools of a study: upload (a zip with <c>pool.csv</c> and the image files), the grid,
/// exclusion, building pairs within a prompt, and blind A/B evaluation pairs between two generators.
/// </summary>
public sealed class ImagePools(PluralistDbContext db, DataDirectory data, ConsoleService console)
{
    public const string PoolCsv = "pool.csv";

    /// <summary>
    /// Reads and checks a pool upload (a seekable stream: the form's temporary file). Every problem is
    /// located (<c>pool.csv:line:col (field)</c>, or the entry's name): missing columns, a file listed
    /// twice or absent from the zip, an entry that is a link or passes a limit (size, inflation,
    /// count), an image that is not a PNG, JPEG or WebP, is over the pixel limit or does not decode,
    /// the same image twice, unknown sources. Image bytes are streamed, never held in memory.
    /// </summary>
    public static PoolUpload ReadUpload(Stream zip, ImportLimits limits, ImportErrors errors)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(errors);
        var archive = SafeZip.Open(zip, "upload", new ImportBudget(limits), errors.List, leaveOpen: true);
        errors.Trim();
        if (archive is null)
        {
            return new PoolUpload([], _ => throw new InvalidOperationException("the upload was not read"));
        }

        return new PoolUpload(ReadPool(archive, limits, errors), i => archive.Open(i.File), archive);
    }

    private static List<PoolImage> ReadPool(SafeZip archive, ImportLimits limits, ImportErrors errors)
    {
        if (!archive.Contains(PoolCsv))
        {
            errors.Add(new CsvError(PoolCsv, 0, 0, string.Empty, "the zip has no pool.csv at its top level (columns: file, prompt, generator; optional language, source, seed, guidance, steps)"));
            return [];
        }

        string? text;
        try
        {
            using var csv = archive.Open(PoolCsv);
            using var buffer = new MemoryStream();
            csv.CopyTo(buffer);
            text = StrictUtf8.TryDecode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), PoolCsv, out var encoding);
            if (text is null)
            {
                errors.Add(encoding!);
                return [];
            }
        }
        catch (ImportFileException ex)
        {
            errors.Add(new CsvError(PoolCsv, 0, 0, string.Empty, ex.Message));
            return [];
        }

        var table = CsvTable.Parse(new StringReader(text), PoolCsv, errors.List);
        errors.Trim();
        if (!table.RequireColumns("file", "prompt", "generator"))
        {
            return [];
        }

        var images = new List<PoolImage>();
        var files = new Dictionary<string, int>(StringComparer.Ordinal);
        var hashes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in table.Rows)
        {
            if (ReadRow(archive, limits, table, row, files, hashes) is { } image)
            {
                images.Add(image);
            }

            errors.Trim();
        }

        if (table.Rows.Count == 0)
        {
            errors.Add(new CsvError(PoolCsv, 2, 0, string.Empty, "no images: add one row per image under the header"));
        }

        return images;
    }

    private static PoolImage? ReadRow(SafeZip archive, ImportLimits limits, CsvTable table, CsvRecord row, Dictionary<string, int> files, Dictionary<string, int> hashes)
    {
        var file = table.String(row, "file");
        var prompt = table.String(row, "prompt").Trim();
        var language = (table.OptionalString(row, "language") ?? "en").Trim().ToLowerInvariant();
        var source = PromptSource.Human;
        if (table.OptionalString(row, "source") is { } s && !Tokens.TryParse(s, out source))
        {
            table.AddError(row, "source", $"'{s}' is not one of {string.Join(", ", Tokens.All<PromptSource>())}");
        }

        if (language.Length is < 2 or > 8 || !language.All(char.IsAsciiLetterLower))
        {
            table.AddError(row, "language", $"'{language}' is not a language tag (en, fr, …)");
        }

        var generator = table.String(row, "generator");
        var seed = table.OptionalLong(row, "seed");
        var guidance = table.OptionalDouble(row, "guidance");
        var steps = table.OptionalInt(row, "steps");
        if (file.Length == 0)
        {
            return null;
        }

        if (files.TryGetValue(file, out var first))
        {
            table.AddError(row, "file", $"{file} is already listed on line {first}");
            return null;
        }

        files[file] = row.Line;
        if (!archive.Contains(file))
        {
            table.AddError(row, "file", $"{file} is not in the zip");
            return null;
        }

        ImageFacts facts;
        try
        {
            using var entry = archive.Open(file);
            facts = ImageFiles.Inspect(entry, limits.MaxImagePixels);
        }
        catch (ImportFileException ex)
        {
            table.AddError(row, "file", ex.Message);
            return null;
        }
        catch (ImageFileException ex)
        {
            table.AddError(row, "file", $"{file} cannot be read as an image: it {ex.Message}");
            return null;
        }

        if (hashes.TryGetValue(facts.Sha256, out var same))
        {
            table.AddError(row, "file", $"{file} is the same image as line {same}");
            return null;
        }

        hashes[facts.Sha256] = row.Line;
        return new PoolImage(row.Line, file, facts, prompt, language, source, generator, seed, guidance, steps);
    }

    /// <summary>Stores a checked upload in one transaction: prompts matched by text and language (or created), images content-addressed.</summary>
    public async Task<int> AddAsync(Participant actor, Study study, PoolUpload upload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var images = upload.Images;
        var created = new List<string>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var now = DateTimeOffset.UtcNow;
            var prompts = await db.Prompts.Where(p => p.StudyId == study.Id).ToListAsync(ct);
            foreach (var i in images)
            {
                var prompt = prompts.FirstOrDefault(p => p.Text == i.Prompt && p.Language == i.Language);
                if (prompt is null)
                {
                    prompt = new Prompt { StudyId = study.Id, Text = i.Prompt, Language = i.Language, Source = i.Source, CreatedAt = now };
                    db.Prompts.Add(prompt);
                    prompts.Add(prompt);
                    await db.SaveChangesAsync(ct);
                }

                string path, hash;
                using (var entry = upload.Open(i))
                {
                    (path, hash) = ImageStore.Put(data, entry, i.Facts.Extension(Path.GetExtension(i.File)), created);
                }

                if (hash != i.Facts.Sha256)
                {
                    throw new InvalidOperationException($"{i.File} changed between its check and its storage");
                }

                db.Images.Add(new Image
                {
                    StudyId = study.Id,
                    PromptId = prompt.Id,
                    Generator = i.Generator,
                    Seed = i.Seed,
                    Guidance = i.Guidance,
                    Steps = i.Steps,
                    Width = i.Width,
                    Height = i.Height,
                    ContentHash = hash,
                    StoragePath = path,
                    ExternalId = i.File,
                    CreatedAt = now,
                });
            }

            console.Audit(actor, study, "images.upload", new { images = images.Count, prompts = images.Select(i => (i.Prompt, i.Language)).Distinct().Count() });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return images.Count;
        }
        catch
        {
            await tx.RollbackAsync(CancellationToken.None);
            ImageStore.Remove(created);
            throw;
        }
    }

    public async Task<IReadOnlyList<PoolEntry>> ListAsync(Study study, CancellationToken ct)
    {
        var images = await db.Images.AsNoTracking().Where(i => i.StudyId == study.Id).OrderBy(i => i.PromptId).ThenBy(i => i.Id).ToListAsync(ct);
        var prompts = await db.Prompts.AsNoTracking().Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.Text, ct);
        var reports = (await db.ImageReports.AsNoTracking().Where(r => db.Images.Any(i => i.Id == r.ImageId && i.StudyId == study.Id)).Select(r => r.ImageId).ToListAsync(ct))
            .GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        var pairs = await db.Pairs.AsNoTracking().Where(p => p.StudyId == study.Id).Select(p => new { p.Image0Id, p.Image1Id }).ToListAsync(ct);
        var inPairs = pairs.SelectMany(p => new[] { p.Image0Id, p.Image1Id }).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        return images.Select(i => new PoolEntry(i, prompts.GetValueOrDefault(i.PromptId, ""), reports.GetValueOrDefault(i.Id), inPairs.GetValueOrDefault(i.Id))).ToList();
    }

    public async Task SetExcludedAsync(Participant actor, Study study, long imageId, bool excluded, CancellationToken ct)
    {
        var image = await db.Images.FirstOrDefaultAsync(i => i.Id == imageId && i.StudyId == study.Id, ct)
            ?? throw new ArgumentException($"image {imageId} is not in this study");
        image.Flags = excluded ? image.Flags | ImageFlags.Excluded : image.Flags & ~ImageFlags.Excluded;
        console.Audit(actor, study, excluded ? "image.exclude" : "image.include", new { image = imageId });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Pairs of images of the same prompt, leaving out excluded and broken images and pairs that
    /// already exist: all of them, or at most <paramref name="perPrompt"/> per prompt drawn with <paramref name="seed"/>.
    /// </summary>
    public async Task<int> BuildPairsAsync(Participant actor, Study study, int? perPrompt, int seed, long? batchId, CancellationToken ct)
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
