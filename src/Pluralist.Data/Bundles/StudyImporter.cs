using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Imaging;
using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>
/// Writes a validated <see cref="StudyBundle"/> into the database as a new study, in one
/// transaction: on any failure the database is as it was and the image files this import added to
/// the store are removed. The bundle's entities are consumed (they receive database ids).
/// </summary>
public static class StudyImporter
{
    // Streamed answers per chunk: large enough for batched inserts, small enough to keep memory flat.
    private const int StreamChunk = 2000;

    public static async Task<ImportSummary> ImportAsync(
        PluralistDbContext db, DataDirectory data, StudyBundle bundle, string? key = null, string action = "import.bundle",
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(bundle);
        var study = bundle.Study;
        if (key is not null)
        {
            if (StudyKeys.Problem(key) is { } problem)
            {
                throw new ArgumentException($"--key: {problem}");
            }

            study.Key = key;
        }

        await CheckConflictsAsync(db, bundle, ct);
        data.EnsureCreated();
        var created = new List<string>();
        var autoDetect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            progress?.Report($"study {study.Key}");
            var batchIds = study.Batches.ToDictionary(b => b, b => b.Id);
            study.Id = 0;
            study.Batches.ForEach(b => b.Id = 0);
            study.Criteria.ForEach(c => c.Id = 0);
            study.ConsentDocuments.ForEach(d => d.Id = 0);
            db.Studies.Add(study);
            await SaveAsync(db, ct);
            db.ChangeTracker.Clear();
            var batches = batchIds.ToDictionary(kv => kv.Value, kv => kv.Key.Id);

            foreach (var c in bundle.IdentityCodings)
            {
                db.IdentityCodings.Add(new IdentityCoding { StudyId = study.Id, QuestionKey = c.QuestionKey, Answer = c.Answer, Code = c.Code, CodedBy = c.CodedBy.Length == 0 ? "import" : c.CodedBy, CodedAt = c.CodedAt });
            }

            await SaveAsync(db, ct);
            db.ChangeTracker.Clear();

            var scenarios = await InsertAsync(db, bundle.Scenarios, s => s.StudyId = study.Id, s => s.Id, (s, id) => s.Id = id, ct);

            progress?.Report($"{bundle.Prompts.Count} prompts");
            var parents = bundle.Prompts.Where(p => p.ParentPromptId is not null).ToDictionary(p => p, p => p.ParentPromptId!.Value);
            var prompts = await InsertAsync(db, bundle.Prompts, p =>
            {
                p.StudyId = study.Id;
                p.ParentPromptId = null;
                p.ScenarioId = Map(scenarios, p.ScenarioId);
            }, p => p.Id, (p, id) => p.Id = id, ct);
            foreach (var (p, parent) in parents)
            {
                var newParent = prompts[parent];
                await db.Prompts.Where(x => x.Id == p.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.ParentPromptId, newParent), ct);
            }


            progress?.Report($"{bundle.Images.Count} images");
            var files = 0;
            var images = await InsertAsync(db, bundle.Images, i =>
            {
                i.StudyId = study.Id;
                i.PromptId = prompts[i.PromptId];
                if (bundle.ImageFiles.TryGetValue(i.Id, out var file))
                {
                    i.StoragePath = StoreImage(data, bundle, i.Id, file, created, out var hash);
                    i.ContentHash = hash;
                    files++;
                }
            }, i => i.Id, (i, id) => i.Id = id, ct);

            progress?.Report($"{bundle.Pairs.Count} pairs");
            var pairs = await InsertAsync(db, bundle.Pairs, p =>
            {
                p.StudyId = study.Id;
                p.Image0Id = images[p.Image0Id];
                p.Image1Id = images[p.Image1Id];
                p.BatchId = Map(batches, p.BatchId);
            }, p => p.Id, (p, id) => p.Id = id, ct);

            progress?.Report($"{bundle.Participants.Count} participants");
            var participants = await InsertAsync(db, bundle.Participants, p =>
            {
                p.StudyId = study.Id;
                p.Role = Role.Participant;
            }, p => p.Id, (p, id) => p.Id = id, ct);
            await InsertAsync(db, bundle.Consents, c => c.ParticipantId = participants[c.ParticipantId], c => c.Id, (c, id) => c.Id = id, ct);
            await InsertAsync(db, bundle.IdentityAnswers, a => a.ParticipantId = participants[a.ParticipantId], a => a.Id, (a, id) => a.Id = id, ct);

            progress?.Report($"{bundle.Assignments.Count} assignments");
            var assignments = await InsertAsync(db, bundle.Assignments, a =>
            {
                a.ParticipantId = participants[a.ParticipantId];
                a.PairId = pairs[a.PairId];
                a.BatchId = Map(batches, a.BatchId);
            }, a => a.Id, (a, id) => a.Id = id, ct);

            progress?.Report($"{bundle.Annotations.Count} annotations");
            var scores = 0;
            await using (var annotationRows = await BulkInserter<Annotation>.CreateAsync(db, ct))
            await using (var scoreRows = await BulkInserter<AnnotationScore>.CreateAsync(db, ct))
            {
                foreach (var chunk in bundle.Annotations.Chunk(1000))
                {
                    foreach (var a in chunk)
                    {
                        a.AssignmentId = assignments[a.AssignmentId];
                        a.ParticipantId = participants[a.ParticipantId];
                        a.PairId = pairs[a.PairId];
                    }

                    await annotationRows.InsertManyAsync(chunk, ct);
                    var chunkScores = chunk.SelectMany(a => a.Scores.Select(s => (a, s))).Select(x =>
                    {
                        x.s.AnnotationId = x.a.Id;
                        return x.s;
                    }).ToList();
                    await scoreRows.InsertManyAsync(chunkScores, ct);
                    scores += chunkScores.Count;
                }
            }

            var (streamedAssignments, streamedAnswers, streamedScores, streamedFiles) = bundle.Streamed is { } streamed
                ? await InsertStreamedAsync(db, data, bundle, study.Id, streamed, created, progress, ct)
                : (0L, 0L, 0L, 0);
            scores += checked((int)streamedScores);
            files += streamedFiles;

            await InsertAsync(db, bundle.Reports, r =>
            {
                r.ImageId = images[r.ImageId];
                r.ParticipantId = participants[r.ParticipantId];
                r.AssignmentId = Map(assignments, r.AssignmentId);
            }, r => r.Id, (r, id) => r.Id = id, ct);
            await InsertAsync(db, bundle.Ratings, r =>
            {
                r.ParticipantId = participants[r.ParticipantId];
                r.ImageId = images[r.ImageId];
            }, r => r.Id, (r, id) => r.Id = id, ct);
            var (streamedRatings, ratingFiles) = bundle.StreamedRatings is { } ratings
                ? await InsertStreamedAsync(db, data, bundle, study.Id, ratings, created, progress, ct)
                : (0L, 0);
            files += ratingFiles;

            var met = bundle.FirstMet ?? new FirstMetRows();
            var summary = new ImportSummary(study.Id, study.Key, bundle.Prompts.Count + met.Prompts.Count, bundle.Images.Count + met.Images.Count, files,
                bundle.Pairs.Count + met.Pairs.Count, bundle.Participants.Count + met.Participants.Count, bundle.Assignments.Count + checked((int)streamedAssignments), bundle.Annotations.Count + checked((int)streamedAnswers), scores, bundle.Reports.Count, bundle.Ratings.Count + checked((int)streamedRatings));
            db.AuditEntries.Add(new AuditEntry
            {
                StudyId = study.Id,
                Action = action,
                Details = JsonSerializer.Serialize(new { source = bundle.Source?.DisplayName, summary }),
                At = DateTimeOffset.UtcNow,
            });
            await SaveAsync(db, ct);
            await tx.CommitAsync(ct);
            return summary;
        }
        catch
        {
            await tx.RollbackAsync(CancellationToken.None);
            ImageStore.Remove(created);

            throw;
        }
        finally
        {
            db.ChangeTracker.Clear();
            db.ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    // Streamed answers, a chunk at a time: the prompts, images, pairs and participants the chunk met first
    // (bundle.FirstMet), then each assignment, its annotation and scores, so that nothing but the chunk is held. Ids
    // the rows carry are database ids of rows written before (the bundle's, or an earlier chunk's) or temporary ids
    // of the chunk's new rows, mapped here. Returns (assignments, annotations, scores, image files stored).
    private static async Task<(long, long, long, int)> InsertStreamedAsync(PluralistDbContext db, DataDirectory data, StudyBundle bundle, long studyId,
        StreamedAnswers streamed, List<string> created, IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{streamed.Count} assignments and their annotations, in chunks of {StreamChunk}"));
        long assignments = 0, answers = 0, scores = 0;
        await using var firstMet = await FirstMetWriter.CreateAsync(db, data, bundle, studyId, created, ct);
        await using var assignmentRows = await BulkInserter<Assignment>.CreateAsync(db, ct);
        await using var annotationRows = await BulkInserter<Annotation>.CreateAsync(db, ct);
        await using var scoreRows = await BulkInserter<AnnotationScore>.CreateAsync(db, ct);
        await foreach (var chunk in Streams.Chunks(streamed.Read(ct), StreamChunk, ct))
        {
            var met = await firstMet.WriteAsync(ct);
            foreach (var (a, _) in chunk)
            {
                a.Id = 0;
                if (met is not null)
                {
                    a.ParticipantId = met.Participant(a.ParticipantId);
                    a.PairId = met.Pair(a.PairId);
                }
            }

            met?.Written();

            await assignmentRows.InsertManyAsync(chunk.ConvertAll(x => x.Assignment), ct);
            var answered = new List<Annotation>(chunk.Count);
            foreach (var (a, n) in chunk)
            {
                if (n is not null)
                {
                    n.Id = 0;
                    n.AssignmentId = a.Id;
                    n.ParticipantId = a.ParticipantId;
                    n.PairId = a.PairId;
                    answered.Add(n);
                }
            }

            await annotationRows.InsertManyAsync(answered, ct);
            var chunkScores = answered.SelectMany(n => n.Scores.Select(s =>
            {
                s.AnnotationId = n.Id;
                return s;
            })).ToList();
            await scoreRows.InsertManyAsync(chunkScores, ct);
            assignments += chunk.Count;
            answers += answered.Count;
            scores += chunkScores.Count;
        }

        if (assignments != streamed.Count)
        {
            throw new BundleException([new CsvError(string.Empty, 0, 0, string.Empty, string.Create(CultureInfo.InvariantCulture,
                $"{assignments} assignments were read back where {streamed.Count} were checked: the source changed while the import was running; nothing was imported"))]);
        }

        return (assignments, answers, scores, firstMet.Files);
    }

    // Streamed Likert ratings, a chunk at a time, after the images and participants they met first (as the answers above).
    // Returns (ratings, image files stored).
    private static async Task<(long, int)> InsertStreamedAsync(PluralistDbContext db, DataDirectory data, StudyBundle bundle, long studyId,
        StreamedRatings streamed, List<string> created, IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{streamed.Count} ratings, in chunks of {StreamChunk}"));
        long ratings = 0;
        await using var firstMet = await FirstMetWriter.CreateAsync(db, data, bundle, studyId, created, ct);
        await using var rows = await BulkInserter<LikertRating>.CreateAsync(db, ct);
        await foreach (var chunk in Streams.Chunks(streamed.Read(ct), StreamChunk, ct))
        {
            var met = await firstMet.WriteAsync(ct);
            foreach (var r in chunk)
            {
                r.Id = 0;
                if (met is not null)
                {
                    r.ParticipantId = met.Participant(r.ParticipantId);
                    r.ImageId = met.Image(r.ImageId);
                }
            }

            met?.Written();

            await rows.InsertManyAsync(chunk, ct);
            ratings += chunk.Count;
        }

        if (ratings != streamed.Count)
        {
            throw new BundleException([new CsvError(string.Empty, 0, 0, string.Empty, string.Create(CultureInfo.InvariantCulture,
                $"{ratings} ratings were read back where {streamed.Count} were checked: the source changed while the import was running; nothing was imported"))]);
        }

        return (ratings, firstMet.Files);
    }

    /// <summary>Writes the rows a streamed read met first (<see cref="StudyBundle.FirstMet"/>) before the chunk that refers to them.</summary>
    private sealed class FirstMetWriter(PluralistDbContext db, DataDirectory data, StudyBundle bundle, long studyId, List<string> created,
        BulkInserter<Prompt> prompts, BulkInserter<Image> images, BulkInserter<Pair> pairs, BulkInserter<Participant> participants,
        BulkInserter<ConsentRecord> consents, BulkInserter<IdentityAnswer> answers) : IAsyncDisposable
    {
        /// <summary>Image files stored.</summary>
        public int Files { get; private set; }

        public static async Task<FirstMetWriter> CreateAsync(PluralistDbContext db, DataDirectory data, StudyBundle bundle, long studyId, List<string> created, CancellationToken ct) =>
            new(db, data, bundle, studyId, created,
                await BulkInserter<Prompt>.CreateAsync(db, ct), await BulkInserter<Image>.CreateAsync(db, ct), await BulkInserter<Pair>.CreateAsync(db, ct),
                await BulkInserter<Participant>.CreateAsync(db, ct), await BulkInserter<ConsentRecord>.CreateAsync(db, ct), await BulkInserter<IdentityAnswer>.CreateAsync(db, ct));

        /// <summary>Writes the new rows and returns the rows whose ids the chunk's references map through (then call <see cref="FirstMetRows.Written"/>); null when the read makes none.</summary>
        public async Task<FirstMetRows?> WriteAsync(CancellationToken ct)
        {
            if (bundle.FirstMet is not { } met)
            {
                return null;
            }

            await prompts.InsertManyAsync([.. met.Prompts.New.Select(p =>
            {
                p.Id = 0;
                p.StudyId = studyId;
                return p;
            })], ct);
            await images.InsertManyAsync([.. met.Images.New.Select(i =>
            {
                i.Image.Id = 0;
                i.Image.StudyId = studyId;
                i.Image.PromptId = met.Prompt(i.Image.PromptId);
                i.Image.StoragePath = StoreImage(data, bundle, i.File, i.Facts, created, out var hash);
                i.Image.ContentHash = hash;
                Files++;
                return i.Image;
            })], ct);
            await pairs.InsertManyAsync([.. met.Pairs.New.Select(p =>
            {
                p.Id = 0;
                p.StudyId = studyId;
                p.Image0Id = met.Image(p.Image0Id);
                p.Image1Id = met.Image(p.Image1Id);
                return p;
            })], ct);
            var people = met.Participants.New.ToList();
            await CheckPseudonymsAsync(db, people.ConvertAll(p => p.Pseudonym), ct);
            foreach (var p in people)
            {
                p.Id = 0;
                p.StudyId = studyId;
                p.Role = Role.Participant;
            }

            await participants.InsertManyAsync(people, ct);
            foreach (var c in met.Consents)
            {
                c.Id = 0;
                c.ParticipantId = met.Participant(c.ParticipantId);
            }

            await consents.InsertManyAsync(met.Consents, ct);
            foreach (var a in met.IdentityAnswers)
            {
                a.Id = 0;
                a.ParticipantId = met.Participant(a.ParticipantId);
            }

            await answers.InsertManyAsync(met.IdentityAnswers, ct);
            return met;
        }

        public async ValueTask DisposeAsync()
        {
            await prompts.DisposeAsync();
            await images.DisposeAsync();
            await pairs.DisposeAsync();
            await participants.DisposeAsync();
            await consents.DisposeAsync();
            await answers.DisposeAsync();
        }
    }

    /// <summary>Things a valid bundle can still clash with in this database: the study key and participant pseudonyms.</summary>
    private static async Task CheckConflictsAsync(PluralistDbContext db, StudyBundle bundle, CancellationToken ct)
    {
        var errors = new List<CsvError>();
        if (await db.Studies.AnyAsync(s => s.Key == bundle.Study.Key, ct))
        {
            errors.Add(new CsvError(BundleFormat.StudyJson, 0, 0, "key", $"a study with key '{bundle.Study.Key}' already exists in this database; import it under another key (--key NEW)"));
        }

        errors.AddRange(await TakenPseudonymsAsync(db, bundle.Participants.ConvertAll(p => p.Pseudonym), ct));

        // The store holds one answer per assignment and one value per participant, image and question (schema v6).
        errors.AddRange(bundle.Annotations.GroupBy(a => a.AssignmentId).Where(g => g.Count() > 1).Select(g => new CsvError(BundleFormat.AnnotationsCsv, 0, 0, "assignment",
            string.Create(CultureInfo.InvariantCulture, $"assignment {g.Key} is answered by annotations {string.Join(", ", g.Select(a => a.Id))}; a database keeps one answer per assignment"))));
        errors.AddRange(bundle.Ratings.GroupBy(r => (r.ParticipantId, r.ImageId, r.QuestionKey)).Where(g => g.Count() > 1).Select(g => new CsvError(BundleFormat.RatingsCsv, 0, 0, "question",
            string.Create(CultureInfo.InvariantCulture, $"participant {g.Key.ParticipantId} rated image {g.Key.ImageId} on '{g.Key.QuestionKey}' {g.Count()} times; a database keeps one value per participant, image and question"))));
        if (errors.Count > 0)
        {
            throw new BundleException(errors);
        }
    }

    private static async Task<List<CsvError>> TakenPseudonymsAsync(PluralistDbContext db, List<string> pseudonyms, CancellationToken ct)
    {
        var errors = new List<CsvError>();
        foreach (var chunk in pseudonyms.Chunk(500))
        {
            var taken = await db.Participants.Where(p => chunk.Contains(p.Pseudonym)).Select(p => p.Pseudonym).ToListAsync(ct);
            errors.AddRange(taken.Order(StringComparer.Ordinal).Select(t => new CsvError(BundleFormat.ParticipantsCsv, 0, 0, "participant",
                $"participant {t} already exists in this database (pseudonyms are unique across studies)")));
        }

        return errors;
    }

    // Participants a streamed import meets as it writes: the same check as CheckConflictsAsync, a chunk at a time (the transaction then rolls back).
    private static async Task CheckPseudonymsAsync(PluralistDbContext db, List<string> pseudonyms, CancellationToken ct)
    {
        if (await TakenPseudonymsAsync(db, pseudonyms, ct) is { Count: > 0 } errors)
        {
            throw new BundleException(errors);
        }
    }

    // The reader checked the file; what is stored must be the same bytes (a folder can change in between).
    private static string StoreImage(DataDirectory data, StudyBundle bundle, long id, string file, List<string> created, out string hash)
    {
        if (!bundle.CheckedImages.TryGetValue(id, out var facts))
        {
            using var check = bundle.Source is { } source ? source.Open(file) : File.OpenRead(file);
            facts = ImageFiles.Inspect(check, bundle.Source?.Limits.MaxImagePixels ?? new ImportLimits().MaxImagePixels);
        }

        return StoreImage(data, bundle, file, facts, created, out hash);
    }

    private static string StoreImage(DataDirectory data, StudyBundle bundle, string file, ImageFacts facts, List<string> created, out string hash)
    {
        using var stream = bundle.Source is { } source ? source.Open(file) : File.OpenRead(file);
        (var relative, hash) = ImageStore.Put(data, stream, facts.Extension(Path.GetExtension(file)), created);
        if (hash != facts.Sha256)
        {
            throw new BundleException([new CsvError(file, 0, 0, string.Empty, $"{file} changed while the import was running; nothing was imported")]);
        }

        return relative;
    }

    // Prepared inserts outside the change tracker; returns bundle id -> database id.
    private static async Task<Dictionary<long, long>> InsertAsync<T>(
        PluralistDbContext db, List<T> rows, Action<T> prepare, Func<T, long> getId, Action<T, long> setId, CancellationToken ct)
        where T : class
    {
        var old = new long[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            old[i] = getId(rows[i]);
            prepare(rows[i]);
            setId(rows[i], 0);
        }

        await using (var inserter = await BulkInserter<T>.CreateAsync(db, ct))
        {
            await inserter.InsertManyAsync(rows, ct);
        }

        var map = new Dictionary<long, long>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            map[old[i]] = getId(rows[i]);
        }

        return map;
    }

    private static async Task SaveAsync(PluralistDbContext db, CancellationToken ct)
    {
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(ct);
    }

    private static long? Map(Dictionary<long, long> map, long? id) => id is { } v ? map[v] : null;

    /// <summary>One line saying what an import wrote.</summary>
    public static string Describe(ImportSummary s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Prompts} prompts, {s.Images} images ({s.ImageFiles} files), {s.Pairs} pairs, {s.Participants} participants, {s.Assignments} assignments, {s.Annotations} annotations ({s.Scores} criterion answers), {s.Reports} reports, {s.Ratings} ratings");
}
