using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Assignments;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;
using Pluralist.World.Simulation;
using Pluralist.World.Truth;

namespace Pluralist.Studies.Demo;

/// <summary>What the demo seed made: the study, and invitation codes in clear text (only a hash is stored).</summary>
public sealed record DemoSeed(Study Study, int Prompts, int Images, int Pairs, IReadOnlyList<string> InvitationCodes);

/// <summary>What a simulation wrote.</summary>
public sealed record SimulationResult(int Participants, int Assignments, int Annotations, int Scores, int Unanswered, IReadOnlyDictionary<Behaviour, int> Behaviours);

/// <summary>
/// Seeds a demo of the default study: prompts, images made by the procedural world's generator from
/// those prompts (with a spec file beside each image), every pair of images of a prompt, an open
/// batch and fresh invitation codes; with <c>attentionChecks</c>, one attention-check pair per prompt
/// (a clearly worse and a clearly better version of the same place) and a 5% check rate. Running it
/// again adds codes only. <see cref="SimulateAsync"/> pre-fills the study with simulated answers.
/// </summary>
public static class DemoSeeder
{
    public const string Generator = WorldGenerator.Name;

    private static readonly (string En, string Fr)[] PromptTexts =
    [
        ("A small park with benches and trees, families and a playground on a summer afternoon", "Un petit parc avec des bancs et des arbres, des familles et une aire de jeux un après-midi d'été"),
        ("A public square with a fountain, market stalls and a sculpture", "Une place publique avec une fontaine, des étals de marché et une sculpture"),
        ("A bus stop on a residential street with a wide sidewalk and bilingual signs", "Un arrêt d'autobus sur une rue résidentielle avec un large trottoir et des panneaux bilingues"),
        ("A riverside path with lights and places to sit in the evening", "Un sentier au bord de la rivière avec des lampadaires et des endroits où s'asseoir le soir"),
        ("A schoolyard opened to the neighbourhood in the evening with children and a basketball court", "Une cour d'école ouverte au quartier le soir avec des enfants et un terrain de basket"),
        ("A pedestrian promenade with green spaces and safe streets on a winter evening", "Une promenade piétonne avec des espaces verts et des rues sécuritaires un soir d'hiver"),
    ];

    /// <summary>Image size of the demo images.</summary>
    public const int Size = 384;

    public static async Task<DemoSeed> SeedAsync(PluralistDbContext db, DataDirectory data, DateTimeOffset now, int codes = 5, int imagesPerPrompt = 4, bool attentionChecks = false, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        data.EnsureCreated();
        var study = await StudyStore.EnsureDefaultStudyAsync(db, now, ct);
        if (!study.Batches.Any(b => b.IsOpen(now)))
        {
            db.Batches.Add(new Batch { StudyId = study.Id, Name = "Demo", OpensAt = now.AddMinutes(-1), ClosesAt = now.AddDays(14), QuotaPerParticipant = 750 });
            await db.SaveChangesAsync(ct);
        }

        if (!await db.Images.AnyAsync(i => i.StudyId == study.Id && i.Generator == Generator, ct))
        {
            await DrawAsync(db, data, study.Id, now, imagesPerPrompt, attentionChecks, ct);
            if (attentionChecks && await db.Studies.FindAsync([study.Id], ct) is { AttentionCheckRate: 0 } tracked)
            {
                tracked.AttentionCheckRate = 0.05; // one pair in twenty, so the checks are seen
                await db.SaveChangesAsync(ct);
            }
        }

        var clear = new List<string>();
        for (var i = 0; i < codes; i++)
        {
            var code = Codes.NewCode();
            clear.Add(code);
            db.Invitations.Add(new Invitation { StudyId = study.Id, CodeHash = Codes.Hash(code), CreatedAt = now, ExpiresAt = now.AddDays(14) });
        }

        await db.SaveChangesAsync(ct);
        study = (await StudyStore.FindAsync(db, study.Key, ct))!;
        return new DemoSeed(
            study,
            await db.Prompts.CountAsync(p => p.StudyId == study.Id, ct),
            await db.Images.CountAsync(i => i.StudyId == study.Id, ct),
            await db.Pairs.CountAsync(p => p.StudyId == study.Id, ct),
            clear);
    }

    private static async Task DrawAsync(PluralistDbContext db, DataDirectory data, long studyId, DateTimeOffset now, int imagesPerPrompt, bool attentionChecks, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.Combine(data.ImagesPath, "demo"));
        for (var p = 0; p < PromptTexts.Length; p++)
        {
            var prompt = new Prompt { StudyId = studyId, Text = PromptTexts[p].En, Language = "en", Source = PromptSource.Human, CreatedAt = now, ExternalId = $"demo-{p}" };
            db.Prompts.Add(prompt);
            await db.SaveChangesAsync(ct);
            var images = new List<Image>();
            SceneSpec? basis = null;
            for (var v = 0; v < imagesPerPrompt; v++)
            {
                // Variants differ in seed, and a little in guidance and steps, as a diffusion model's would.
                var request = new GenerationRequest(prompt.Text, (p * 1000) + v, Guidance: 6 + (v % 3), Steps: 20 + (10 * (v % 4)), Width: Size, Height: Size);
                var generated = WorldGenerator.Generate(request);
                basis ??= generated.Spec;
                images.Add(await StoreAsync(db, data, studyId, prompt.Id, generated, $"demo/p{p}-v{v}.png", now, ct));
            }

            await db.SaveChangesAsync(ct);
            if (attentionChecks && basis is not null)
            {
                // A clearly worse and a clearly better version of the first variant: image_1 is expected (+1).
                var (worse, better) = AttentionChecks.For(basis);
                var request = new GenerationRequest(prompt.Text, p * 1000, Width: Size, Height: Size);
                var parsed = PromptParser.Parse(prompt.Text);
                var w = await StoreAsync(db, data, studyId, prompt.Id, WorldGenerator.FromSpec(request, parsed, worse, []), $"demo/p{p}-check-worse.png", now, ct);
                var b = await StoreAsync(db, data, studyId, prompt.Id, WorldGenerator.FromSpec(request, parsed, better, []), $"demo/p{p}-check-better.png", now, ct);
                await db.SaveChangesAsync(ct);
                db.Pairs.Add(new Pair { StudyId = studyId, Image0Id = w.Id, Image1Id = b.Id, Kind = PairKind.AttentionCheck, ExpectedPreference = 1, CreatedAt = now });
            }

            for (var i = 0; i < images.Count; i++)
            {
                for (var j = i + 1; j < images.Count; j++)
                {
                    db.Pairs.Add(new Pair { StudyId = studyId, Image0Id = images[i].Id, Image1Id = images[j].Id, Kind = PairKind.Annotation, CreatedAt = now });
                }
            }

            await db.SaveChangesAsync(ct);
        }
    }

    private static async Task<Image> StoreAsync(PluralistDbContext db, DataDirectory data, long studyId, long promptId, GeneratedScene generated, string name, DateTimeOffset now, CancellationToken ct)
    {
        var png = Pipeline.Images.ImageCodec.Encode(generated.Image, Pipeline.Images.ImageFormat.Png);
        await File.WriteAllBytesAsync(Path.Combine(data.ImagesPath, name), png, ct);
        await File.WriteAllTextAsync(Path.Combine(data.ImagesPath, SceneFile.SpecPath(name)), SceneFile.Write(generated), ct);
        var image = new Image
        {
            StudyId = studyId,
            PromptId = promptId,
            Generator = Generator,
            Seed = generated.Request.Seed,
            Guidance = generated.Request.Guidance,
            Steps = generated.Request.Steps,
            Width = generated.Image.Width,
            Height = generated.Image.Height,
            ContentHash = Convert.ToHexStringLower(SHA256.HashData(png)),
            StoragePath = name,
            CreatedAt = now,
        };
        db.Images.Add(image);
        return image;
    }

    /// <summary>The keys under which a study asks for an age (in years, as a band or as a year of birth).</summary>
    private static readonly string[] AgeKeys = ["age", "age-band", "age-group", "birth-year", "year-of-birth"];

    /// <summary>
    /// What a simulated participant answers to each of the study's questions, in the form a real participant's
    /// answer is stored: an age drawn within the profile's age range answers an age question of any shape
    /// (choice of bands, number, year); the profile's other markers answer the questions of the same key when
    /// the answer is valid for them. Questions the profile cannot answer (or not validly) are left unconsented.
    /// </summary>
    internal static Dictionary<string, string> SimulatedAnswers(Study study, IdentityProfile profile, Random ages, int year)
    {
        var (youngest, oldest) = profile.AgeRange;
        var age = ages.Next(youngest, oldest + 1);
        var markers = profile.Markers;
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in study.IdentityMarkers)
        {
            var question = study.QuestionFor(m);
            var value = AgeKeys.Contains(m) ? IdentityGroupCoder.AnswerFromNumber(question, age, year) ?? markers.GetValueOrDefault(m) : markers.GetValueOrDefault(m);
            if (value is not null && IdentityValidation.CheckAnswer(question, value, false) is { IsValid: true, Value: { } stored })
            {
                answers[m] = stored;
            }
        }

        return answers;
    }

    /// <summary>
    /// Adds simulated participants to a study and has each answer pairs as the app would hand them
    /// out (the study's pair picker and assignment rules: balanced criteria, a random side), writing participants,
    /// consent, identity answers, assignments and annotations. Images need a spec file beside them.
    /// </summary>
    public static async Task<SimulationResult> SimulateAsync(PluralistDbContext db, DataDirectory data, string studyKey, int participants, int answersPerParticipant, BehaviourMix mix, int seed, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentOutOfRangeException.ThrowIfNegative(participants);
        ArgumentOutOfRangeException.ThrowIfNegative(answersPerParticipant);
        var study = await StudyStore.FindAsync(db, studyKey, ct) ?? throw new ArgumentException($"Study '{studyKey}' does not exist.", nameof(studyKey));
        var batch = study.Batches.Where(b => b.IsOpen(now)).OrderBy(b => b.OpensAt).FirstOrDefault()
            ?? throw new ArgumentException($"Study '{studyKey}' has no open batch to answer in.", nameof(studyKey));
        var rules = AssignmentBuilder.For(study);
        var pairs = await db.Pairs.Where(p => p.StudyId == study.Id && (p.BatchId == null || p.BatchId == batch.Id)).OrderBy(p => p.Id).ToListAsync(ct);
        if (pairs.Count == 0)
        {
            throw new ArgumentException($"Study '{studyKey}' has no pairs to answer.", nameof(studyKey));
        }

        var imageIds = pairs.SelectMany(p => new[] { p.Image0Id, p.Image1Id }).ToHashSet();
        var images = await db.Images.Where(i => imageIds.Contains(i.Id)).ToDictionaryAsync(i => i.Id, ct);
        var specs = new Dictionary<long, SceneSpec>();
        foreach (var image in images.Values)
        {
            var file = Path.Combine(data.ImagesPath, SceneFile.SpecPath(image.StoragePath));
            if (!File.Exists(file))
            {
                throw new ArgumentException($"Image {image.Id} ({image.StoragePath}) has no scene spec at {file}; simulated participants need images made by the world generator.");
            }

            specs[image.Id] = SceneFile.ReadSpec(file);
        }

        var pairIds = pairs.Select(p => p.Id).ToList();
        var times = await db.Assignments.Where(a => pairIds.Contains(a.PairId)).GroupBy(a => a.PairId).Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N, ct);
        var places = (await db.Assignments.Where(a => pairIds.Contains(a.PairId) && a.OverlapSlot != null).Select(a => new { a.PairId, Slot = a.OverlapSlot!.Value }).ToListAsync(ct))
            .ToLookup(x => x.PairId, x => x.Slot).ToDictionary(g => g.Key, g => g.ToHashSet());
        var shown = new Dictionary<string, long>(StringComparer.Ordinal);
        var consent = study.ConsentDocuments.OrderByDescending(d => d.PublishedAt).FirstOrDefault();
        var random = new Random(seed);
        // Ages are drawn apart, so that the pairs and answers drawn from `random` do not depend on the questions asked.
        var ages = new Random(unchecked((seed * 397) ^ 0x5EED));
        var pool = mix.Pool(participants, seed);
        int assignments = 0, scores = 0, unanswered = 0;
        var clock = now;
        foreach (var sim in pool)
        {
            var language = sim.Profile.Language == LanguageBackground.Anglophone ? "en" : "fr";
            var participant = new Participant { StudyId = study.Id, Pseudonym = "S-" + RandomNumberGenerator.GetHexString(8), PreferredLanguage = language, CreatedAt = clock };
            db.Participants.Add(participant);
            await db.SaveChangesAsync(ct);
            var markers = SimulatedAnswers(study, sim.Profile, ages, clock.Year);
            db.ConsentRecords.Add(new ConsentRecord
            {
                ParticipantId = participant.Id,
                DocumentVersion = consent?.Version ?? "1",
                Language = language,
                ConsentedAt = clock,
                MarkerConsents = study.IdentityMarkers.ToDictionary(m => m, markers.ContainsKey),
            });
            foreach (var (m, value) in markers)
            {
                db.IdentityAnswers.Add(new IdentityAnswer { ParticipantId = participant.Id, Marker = m, Value = value, AnsweredAt = clock });
            }

            var seen = new HashSet<long>();
            for (int k = 0; k < answersPerParticipant; k++)
            {
                var candidates = pairs.Select((p, i) => new PairCandidate(p.Id, p.Kind, times.GetValueOrDefault(p.Id), i)).ToList();
                var pick = PairPicker.Pick(candidates, seen, batch.Distribution, batch.Overlap, study.AttentionCheckRate, study.GoldRate, random);
                if (pick is null)
                {
                    break; // this participant has seen every pair
                }

                var pair = pairs.First(p => p.Id == pick.PairId);
                var draw = rules.Draw(shown, random);
                var chosen = draw.Criteria;
                var (left, right) = draw.Image0OnLeft ? (specs[pair.Image0Id], specs[pair.Image1Id]) : (specs[pair.Image1Id], specs[pair.Image0Id]);
                var answer = sim.Answer(left, right, chosen);
                var assignment = draw.ToAssignment(participant.Id, pair.Id, batch.Id, language, clock);
                if (pair.Kind is PairKind.Annotation or PairKind.Evaluation)
                {
                    var taken = places.TryGetValue(pair.Id, out var t) ? t : places[pair.Id] = [];
                    assignment.OverlapSlot = QuotaPicker.FreeSlot(taken, int.MaxValue);
                    taken.Add(assignment.OverlapSlot!.Value);
                }

                db.Assignments.Add(assignment);
                await db.SaveChangesAsync(ct);
                var annotation = new Annotation
                {
                    AssignmentId = assignment.Id,
                    ParticipantId = participant.Id,
                    PairId = pair.Id,
                    ClientDurationMs = answer.ClientDurationMs,
                    ServerDurationMs = answer.ClientDurationMs + 150, // assumed round trip
                    ClientRequestId = $"sim-{seed}-{assignment.Id}",
                    Language = language,
                    SubmittedAt = clock.AddMilliseconds(answer.ClientDurationMs + 150),
                };
                for (int c = 0; c < chosen.Count; c++)
                {
                    annotation.Scores.Add(new AnnotationScore { CriterionKey = chosen[c], Position = c, Score = answer.Scores[c] });
                    scores += answer.Scores[c] is null ? 0 : 1;
                    unanswered += answer.Scores[c] is null ? 1 : 0;
                }

                db.Annotations.Add(annotation);
                seen.Add(pair.Id);
                times[pair.Id] = times.GetValueOrDefault(pair.Id) + 1;
                assignments++;
                clock = annotation.SubmittedAt.AddSeconds(1);
            }

            await db.SaveChangesAsync(ct);
        }

        return new SimulationResult(pool.Count, assignments, assignments, scores, unanswered, pool.GroupBy(p => p.Behaviour).ToDictionary(g => g.Key, g => g.Count()));
    }
}
