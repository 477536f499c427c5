using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Data.Imaging;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Console.Pools;

/// <summary>
/// A study's image pool: upload (a zip, or a folder on disk, with <c>pool.csv</c> and the image files, or with what
/// <c>pluralist images generate</c> and <c>images select</c> write: <c>manifest.csv</c>, optional <c>selection.csv</c>, <c>images/</c>),
/// the grid, and exclusion.
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

        var source = new PoolSource("the zip", archive.Contains, archive.Open);
        return new PoolUpload(ReadPool(source, limits, errors), i => archive.Open(i.File), archive);
    }

    /// <summary>
    /// Reads and checks a pool folder on disk (<c>pluralist study pool add</c>): the same layouts and checks as an upload;
    /// a listed file must lie inside the folder.
    /// </summary>
    public static PoolUpload ReadFolder(string folder, ImportLimits limits, ImportErrors errors)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(errors);
        var root = Path.GetFullPath(folder);
        string? Resolve(string name)
        {
            if (name.Length == 0 || Path.IsPathRooted(name) || name.Contains('\\', StringComparison.Ordinal))
            {
                return null;
            }

            var full = Path.GetFullPath(Path.Combine(root, name));
            return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(full) ? full : null;
        }

        if (!Directory.Exists(root))
        {
            errors.Add(new CsvError(folder, 0, 0, string.Empty, "is not a folder"));
            return new PoolUpload([], _ => throw new InvalidOperationException("the folder was not read"));
        }

        Stream Open(string name)
        {
            var path = Resolve(name)!;
            if (new FileInfo(path).Length > limits.MaxEntryBytes)
            {
                throw new ImportFileException(name, $"{name} is larger than the limit of {limits.MaxEntryBytes} bytes per file");
            }

            return File.OpenRead(path);
        }

        var source = new PoolSource("the folder", name => Resolve(name) is not null, Open);
        return new PoolUpload(ReadPool(source, limits, errors), i => File.OpenRead(Resolve(i.File)!));
    }

    private static List<PoolImage> ReadPool(PoolSource source, ImportLimits limits, ImportErrors errors)
    {
        if (!source.Contains(PoolCsv) && source.Contains(GeneratorOutput.ManifestCsv))
        {
            return GeneratorOutput.Read(source, limits, errors);
        }

        if (!source.Contains(PoolCsv))
        {
            errors.Add(new CsvError(PoolCsv, 0, 0, string.Empty, $"{source.Name} has neither pool.csv (columns: file, prompt, generator; optional language, source, seed, guidance, steps) nor the manifest.csv of pluralist images generate at its top level"));
            return [];
        }

        if (ReadText(source, PoolCsv, errors) is not { } text)
        {
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
            if (ReadRow(source, limits, table, row, files, hashes) is { } image)
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

    /// <summary>A CSV file of the source as text (strict UTF-8), or null with its error added.</summary>
    internal static string? ReadText(PoolSource source, string name, ImportErrors errors)
    {
        try
        {
            using var csv = source.Open(name);
            using var buffer = new MemoryStream();
            csv.CopyTo(buffer);
            var text = StrictUtf8.TryDecode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), name, out var encoding);
            if (text is null)
            {
                errors.Add(encoding!);
            }

            return text;
        }
        catch (ImportFileException ex)
        {
            errors.Add(new CsvError(name, 0, 0, string.Empty, ex.Message));
            return null;
        }
    }

    /// <summary>Checks one listed image file (present, an accepted image under the pixel limit, not a second copy); null with the error on its row.</summary>
    internal static ImageFacts? Inspect(PoolSource source, ImportLimits limits, CsvTable table, CsvRecord row, string file, Dictionary<string, int> files, Dictionary<string, int> hashes)
    {
        if (files.TryGetValue(file, out var first))
        {
            table.AddError(row, "file", $"{file} is already listed on line {first}");
            return null;
        }

        files[file] = row.Line;
        if (!source.Contains(file))
        {
            table.AddError(row, "file", $"{file} is not in {source.Name}");
            return null;
        }

        ImageFacts facts;
        try
        {
            using var entry = source.Open(file);
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
        return facts;
    }

    private static PoolImage? ReadRow(PoolSource source, ImportLimits limits, CsvTable table, CsvRecord row, Dictionary<string, int> files, Dictionary<string, int> hashes)
    {
        var file = table.String(row, "file");
        var prompt = table.String(row, "prompt").Trim();
        var language = (table.OptionalString(row, "language") ?? "en").Trim().ToLowerInvariant();
        var promptSource = PromptSource.Human;
        if (table.OptionalString(row, "source") is { } s && !Tokens.TryParse(s, out promptSource))
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

        return Inspect(source, limits, table, row, file, files, hashes) is { } facts
            ? new PoolImage(row.Line, file, facts, prompt, language, promptSource, generator, seed, guidance, steps, null)
            : null;
    }

    /// <summary>Stores a checked upload in one transaction: prompts matched by text and language (or created), images content-addressed.</summary>
    public async Task<int> AddAsync(Participant? actor, Study study, PoolUpload upload, CancellationToken ct)
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
                    prompt = new Prompt { StudyId = study.Id, Text = i.Prompt, Language = i.Language, Source = i.Source, ExternalId = i.PromptId, CreatedAt = now };
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
                    Parameters = i.Parameters,
                    Width = i.Width,
                    Height = i.Height,
                    ContentHash = hash,
                    StoragePath = path,
                    ExternalId = i.File,
                    CreatedAt = now,
                });
            }

            console.Audit(actor, study, "images.upload", new
            {
                images = images.Count,
                prompts = images.Select(i => (i.Prompt, i.Language)).Distinct().Count(),
                sources = images.GroupBy(i => i.Source.ToToken()).ToDictionary(g => g.Key, g => g.Count()),
                generators = images.Select(i => i.Generator).Distinct().Order(StringComparer.Ordinal).ToList(),
            });
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
