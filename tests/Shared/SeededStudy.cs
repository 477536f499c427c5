using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Testing;

/// <summary>What to put in a seeded study (<see cref="SeededStudy.SeedAsync"/>).</summary>
public sealed record SeedOptions
{
    public string Key { get; init; } = "demo";

    public int Participants { get; init; } = 24;

    public int Prompts { get; init; } = 6;

    public int ImagesPerPrompt { get; init; } = 4;

    /// <summary>Annotation-pair answers per participant (3 criteria each).</summary>
    public int AnswersPerParticipant { get; init; } = 30;

    /// <summary>The first N participants answer in 0.9-1.8 s per annotation of 3 criteria (caught by too-fast).</summary>
    public int Speeders { get; init; } = 2;

    /// <summary>The next N participants always put the slider fully right (caught by straight-line).</summary>
    public int StraightLiners { get; init; } = 1;

    /// <summary>Add an evaluation pair (base image_0, aligned image_1) per prompt, answered once by every participant.</summary>
    public bool Evaluation { get; init; } = true;

    public int Seed { get; init; } = 7;
}

/// <summary>One answer the seeder wrote, with the truth about it (the test's expected values come from here).</summary>
public sealed record SeededAnswer(long AnswerId, int ParticipantIndex, string Pseudonym, bool Careful, PairKind Kind, long PromptId, string Criterion, double? OrientedPreference);

/// <summary>The seeded study and its answers.</summary>
public sealed record SeededStudyResult(Study Study, IReadOnlyList<SeededAnswer> Answers, IReadOnlyList<string> Pseudonyms);

/// <summary>
/// Seeds a study through Pluralist.Data: prompts from two sources, images with real (1x1 PNG)
/// files in the data directory's image store, annotation pairs, evaluation pairs and an attention
/// check; participants with consented (and some unconsented) identity markers; careful answers with
/// a planted perspective for one group, plus speeders and straight-liners.
/// Markers: gender woman (i % 8 &lt; 4), man (4-6), nonbinary (7: too small a group at 24
/// participants); age-band 18-29 / 30-49 alternately. Participant index 5 answered gender but did
/// not consent to it; index 6 preferred not to say.
/// </summary>
public static class SeededStudy
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    public static string Gender(int i) => (i % 8) switch { < 4 => "woman", < 7 => "man", _ => "nonbinary" };

    public static string AgeBand(int i) => i % 2 == 0 ? "18-29" : "30-49";

    public static async Task<SeededStudyResult> SeedAsync(DatabaseOptions options, string imagesRoot, SeedOptions? o = null, CancellationToken ct = default)
    {
        o ??= new SeedOptions();
        await PluralistDatabase.MigrateAsync(options, ct: ct);
        var rng = new Random(o.Seed);
        await using var db = PluralistDatabase.CreateContext(options);
        var study = Defaults.LivsStudy(new DateTimeOffset(2026, 5, 4, 8, 0, 0, TimeSpan.Zero));
        study.Key = o.Key;
        study.Title = LocalizedText.Of("Seeded study", "Étude générée");
        study.IdentityMarkers = ["gender", "age-band"];
        study.AttentionCheckRate = 0.05;
        db.Studies.Add(study);
        await db.SaveChangesAsync(ct);
        var batch = study.Batches[0];
        var criteria = study.Criteria.Select(c => c.Key).ToArray();

        var prompts = Enumerable.Range(0, o.Prompts).Select(p => new Prompt
        {
            StudyId = study.Id,
            Text = $"A public square number {p + 1} with benches and trees",
            Source = p % 2 == 0 ? PromptSource.Human : PromptSource.Llm1,
            CreatedAt = study.CreatedAt,
        }).ToList();
        db.Prompts.AddRange(prompts);
        await db.SaveChangesAsync(ct);

        var dir = Path.Combine(imagesRoot, o.Key);
        Directory.CreateDirectory(dir);
        var images = new List<(Image Image, double Quality)>();
        var evalImages = new List<(Image Base, Image Aligned)>();
        var n = 0;
        Image NewImage(Prompt p, string generator)
        {
            n++;
            var path = $"{o.Key}/img-{n}.png";
            File.WriteAllBytes(Path.Combine(imagesRoot, path), Png);
            return new Image { StudyId = study.Id, PromptId = p.Id, Generator = generator, Seed = n, Width = 1, Height = 1, StoragePath = path, CreatedAt = study.CreatedAt };
        }

        foreach (var p in prompts)
        {
            for (var k = 0; k < o.ImagesPerPrompt; k++)
            {
                images.Add((NewImage(p, "world/1"), rng.NextDouble() * 2 - 1));
            }

            if (o.Evaluation)
            {
                evalImages.Add((NewImage(p, "embedded-diffusion/base"), NewImage(p, "embedded-diffusion/aligned")));
            }
        }

        db.Images.AddRange(images.Select(i => i.Image).Concat(evalImages.SelectMany(e => new[] { e.Base, e.Aligned })));
        await db.SaveChangesAsync(ct);

        var quality = images.ToDictionary(i => i.Image.Id, i => i.Quality);
        var pairs = new List<Pair>();
        foreach (var group in images.GroupBy(i => i.Image.PromptId))
        {
            var list = group.Select(g => g.Image).ToList();
            for (var a = 0; a < list.Count; a++)
            {
                for (var b = a + 1; b < list.Count; b++)
                {
                    pairs.Add(new Pair { StudyId = study.Id, BatchId = batch.Id, Image0Id = list[a].Id, Image1Id = list[b].Id, CreatedAt = study.CreatedAt });
                }
            }
        }

        var evalPairs = evalImages.Select(e => new Pair { StudyId = study.Id, BatchId = batch.Id, Image0Id = e.Base.Id, Image1Id = e.Aligned.Id, Kind = PairKind.Evaluation, CreatedAt = study.CreatedAt }).ToList();
        // The attention check: image_0 is clearly better (expected preference -1).
        var best = images.OrderByDescending(i => i.Quality).First().Image;
        var worst = images.Where(i => i.Image.PromptId == best.PromptId).OrderBy(i => i.Quality).First().Image;
        var check = new Pair { StudyId = study.Id, BatchId = batch.Id, Image0Id = best.Id, Image1Id = worst.Id, Kind = PairKind.AttentionCheck, ExpectedPreference = -1, CreatedAt = study.CreatedAt };
        db.Pairs.AddRange(pairs);
        db.Pairs.AddRange(evalPairs);
        db.Pairs.Add(check);
        await db.SaveChangesAsync(ct);
        var promptOfImage = images.Select(i => i.Image).Concat(evalImages.SelectMany(e => new[] { e.Base, e.Aligned })).ToDictionary(i => i.Id, i => i.PromptId);

        // A planted perspective: women share an item-specific shift on every (pair, criterion).
        var shift = new Dictionary<(long, string), double>();
        var participants = Enumerable.Range(0, o.Participants).Select(i => new Participant
        {
            StudyId = study.Id,
            Pseudonym = $"{o.Key.ToUpperInvariant()}-P{i + 1:000}",
            CreatedAt = study.CreatedAt,
        }).ToList();
        db.Participants.AddRange(participants);
        await db.SaveChangesAsync(ct);
        for (var i = 0; i < participants.Count; i++)
        {
            var pid = participants[i].Id;
            db.ConsentRecords.Add(new ConsentRecord { ParticipantId = pid, DocumentVersion = "1", ConsentedAt = study.CreatedAt, MarkerConsents = new() { ["gender"] = i != 5, ["age-band"] = true } });
            db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = pid, Marker = "gender", Value = i == 6 ? null : Gender(i), PreferNotToSay = i == 6, AnsweredAt = study.CreatedAt });
            db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = pid, Marker = "age-band", Value = AgeBand(i), AnsweredAt = study.CreatedAt });
        }

        await db.SaveChangesAsync(ct);
        var nextAssignment = 1 + (db.Assignments.Select(a => (long?)a.Id).Max() ?? 0);
        var nextAnnotation = 1 + (db.Annotations.Select(a => (long?)a.Id).Max() ?? 0);
        var written = new List<(Annotation Annotation, int Participant, bool Careful, PairKind Kind, long Prompt, bool Image0OnLeft)>();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = 0; i < participants.Count; i++)
        {
            var speeder = i < o.Speeders;
            var straight = !speeder && i < o.Speeders + o.StraightLiners;
            var woman = Gender(i) == "woman" && i != 5 && i != 6;
            var time = batch.OpensAt.AddMinutes(1 + (i * 13.0 * 24 * 60 / participants.Count));
            var todo = Enumerable.Range(0, o.AnswersPerParticipant).Select(_ => pairs[rng.Next(pairs.Count)]).Distinct().ToList();
            todo.InsertRange(Math.Min(3, todo.Count), evalPairs);
            todo.Insert(Math.Min(1, todo.Count), check);
            foreach (var pair in todo)
            {
                var shown = criteria.OrderBy(_ => rng.Next()).Take(3).ToList();
                var left = rng.Next(2) == 0;
                var assignment = new Assignment { Id = nextAssignment++, ParticipantId = participants[i].Id, PairId = pair.Id, BatchId = batch.Id, CriteriaShown = shown, Image0OnLeft = left, ServedAt = time };
                var ms = speeder ? 900 + rng.Next(900) : 4000 + rng.Next(16000);
                time = time.AddMilliseconds(ms + 500);
                var annotation = new Annotation
                {
                    Id = nextAnnotation++,
                    AssignmentId = assignment.Id,
                    ParticipantId = participants[i].Id,
                    PairId = pair.Id,
                    ClientDurationMs = ms,
                    ServerDurationMs = ms + 300,
                    ClientRequestId = $"r-{assignment.Id}",
                    SubmittedAt = time,
                };
                for (var c = 0; c < shown.Count; c++)
                {
                    double oriented;
                    if (pair.Kind == PairKind.Evaluation)
                    {
                        var u = rng.NextDouble();
                        oriented = u < 0.6 ? 0.5 + rng.Next(6) * 0.1 : u < 0.9 ? 0 : -(0.3 + rng.Next(5) * 0.1);
                    }
                    else if (pair.Kind == PairKind.AttentionCheck)
                    {
                        oriented = -0.8;
                    }
                    else
                    {
                        var key = (pair.Id, shown[c]);
                        if (!shift.TryGetValue(key, out var s))
                        {
                            shift[key] = s = rng.NextDouble() * 1.2 - 0.6;
                        }

                        var latent = (quality[pair.Image1Id] - quality[pair.Image0Id]) * 0.6 + (woman ? s : 0) + (rng.NextDouble() - 0.5) * 0.5;
                        oriented = Math.Round(Math.Clamp(latent, -1, 1), 2);
                    }

                    if (speeder)
                    {
                        oriented = Math.Round(rng.NextDouble() * 2 - 1, 2);
                    }

                    var asShown = straight ? 1.0 : left ? oriented : -oriented;
                    annotation.Scores.Add(new AnnotationScore { CriterionKey = shown[c], Position = c, Score = asShown + 0.0 });
                }

                db.Assignments.Add(assignment);
                db.Annotations.Add(annotation);
                written.Add((annotation, i, !speeder && !straight, pair.Kind, promptOfImage[pair.Image0Id], left));
            }

            if (i % 50 == 49 || i == participants.Count - 1)
            {
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
            }
        }

        await PluralistDatabase.SyncIdentitiesAsync(options, ct);
        var answers = written.SelectMany(w => w.Annotation.Scores.Select(s => new SeededAnswer(
            s.Id, w.Participant, participants[w.Participant].Pseudonym, w.Careful, w.Kind, w.Prompt, s.CriterionKey,
            AnnotationScore.Orient(s.Score, w.Image0OnLeft)))).ToList();
        return new SeededStudyResult(study, answers, participants.Select(p => p.Pseudonym).ToList());
    }
}
