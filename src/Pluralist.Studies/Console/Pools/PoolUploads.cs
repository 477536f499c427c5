using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Data.Imaging;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Console.Pools;

/// <summary>
/// A study's image pool: upload (a zip with <c>pool.csv</c> and the image files), the grid, and exclusion.
/// </summary>
public sealed class PoolUploads(PluralistDbContext db, DataDirectory data, ConsoleService console)
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
}
