using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Bundles;

/// <summary>
/// A study with a bit of everything a bundle must carry: two batches, scenarios, a derived prompt,
/// image files and a reference, pairs of every kind, participants who consented to some markers,
/// declined others, preferred not to say or withdrew, answers with neutral and unanswered criteria,
/// awkward comments, reports and Likert ratings.
/// </summary>
internal static class RichStudy
{
    public static readonly DateTimeOffset T0 = new(2025, 5, 2, 14, 30, 0, 125, TimeSpan.Zero);

    /// <summary>A marker value the exports must never contain (stored without consent).</summary>
    public const string Unconsented = "uses-a-wheelchair-unconsented";

    public static async Task<Study> WriteAsync(PluralistDbContext db, DataDirectory data, string key = "rich")
    {
        data.EnsureCreated();
        var study = Defaults.LivsStudy(T0);
        study.Key = key;
        study.AttentionCheckRate = 0.05;
        study.WithdrawalPolicy = WithdrawalPolicy.DeleteAnnotations;
        study.Criteria[5].Retired = true;
        study.Criteria[2].Definition["fr"] = "Confort, « ombre », bancs; et calme";
        study.GroupQuotas = new GroupQuotas
        {
            Dimensions = [new QuotaDimension { Marker = "gender", Values = ["woman", "man", "non-binary"] }, new QuotaDimension { Marker = "age-band" }],
            PerGroup = 20,
            Unstratified = 2,
        };
        // Gender asked as a choice (the quota's values are its codes); the other markers keep the LIVS preset's questions.
        study.IdentityQuestions[1] = new IdentityQuestion
        {
            Key = "gender",
            Text = LocalizedText.Of("Gender, \"as you say it\"", "Genre, « comme vous le dites »"),
            Kind = IdentityQuestionKind.SingleChoice,
            Options = [IdentityOption.Of("woman", "Woman", "Femme"), IdentityOption.Of("man", "Man", "Homme"), IdentityOption.Of("non-binary", "Non-binary", "Non binaire")],
            PreferNotToSay = false,
            Consent = LocalizedText.Of("Keep my gender", "Gardez mon genre"),
        };
        study.IdentityQuestions.Add(new IdentityQuestion
        {
            Key = "born",
            Text = LocalizedText.Of("Year of birth", "Année de naissance"),
            Kind = IdentityQuestionKind.Year,
            Min = 1900,
            Max = 2008,
            Bands = [NumberBand.Of("before-1970", null, 1969), NumberBand.Of("1970-1994", 1970, 1994.5), NumberBand.Of("from-1995", 1995, null)],
            Consent = LocalizedText.Of("Keep my year", "Gardez mon année"),
        });
        study.LikertQuestions = [.. LikertPresets.DiveQuestions()];
        study.LikertCategories = [.. LikertPresets.DiveCategories()];
        study.Protocol = LocalizedText.Of("Judge the space, not the people in it. About 20 minutes.", "Jugez l'espace, pas les personnes. Environ 20 minutes.");
        study.Contact = "Équipe LIVS, livs@lab.example, +1 514 555 0100";
        study.Panel = new PanelSettings
        {
            ParticipantParameter = "PROLIFIC_PID",
            OtherParameters = ["STUDY_ID", "SESSION_ID"],
            Exits =
            {
                [PanelOutcome.Completed] = new PanelExit { Code = "C1ABC", RedirectUrl = "https://app.prolific.com/submissions/complete?cc=C1ABC" },
                [PanelOutcome.ScreenedOut] = new PanelExit { Code = "SCREEN1" },
            },
        };
        study.Batches.Add(new Batch { Name = "Batch 2", OpensAt = T0.AddDays(14), ClosesAt = T0.AddDays(28), QuotaPerParticipant = 300, SessionCap = 45, BreakMinutes = 5, Distribution = PairDistribution.LeastAnswered, Overlap = 3 });
        db.Studies.Add(study);
        await db.SaveChangesAsync();

        var park = new Scenario { StudyId = study.Id, Name = "Park by the library", Typology = "park", Amenities = "benches, trees", Location = "Montréal, Plateau" };
        var plaza = new Scenario { StudyId = study.Id, Name = "Winter plaza", Typology = "plaza" };
        db.AddRange(park, plaza);
        await db.SaveChangesAsync();

        var p1 = new Prompt { StudyId = study.Id, Text = "A small park, with benches and \"shade\" trees", Language = "en", Source = PromptSource.Human, ScenarioId = park.Id, ExternalId = "W-1", CreatedAt = T0 };
        var p2 = new Prompt { StudyId = study.Id, Text = "Une place publique en hiver,\nle soir", Language = "fr", Source = PromptSource.Scenario, ScenarioId = plaza.Id, CreatedAt = T0.AddMinutes(1) };
        db.AddRange(p1, p2);
        await db.SaveChangesAsync();
        var p3 = new Prompt { StudyId = study.Id, Text = "A small park at dusk", Language = "en", Source = PromptSource.Template, ParentPromptId = p1.Id, CreatedAt = T0.AddMinutes(2) };
        db.Add(p3);
        await db.SaveChangesAsync();

        var images = new List<Image>();
        for (var i = 0; i < 6; i++)
        {
            var prompt = i < 2 ? p1 : i < 4 ? p2 : p3;
            var path = $"rich/{i}.png";
            if (i != 5)
            {
                var bytes = Png(256, 192, i);
                Directory.CreateDirectory(Path.Combine(data.ImagesPath, "rich"));
                await File.WriteAllBytesAsync(Path.Combine(data.ImagesPath, path), bytes);
            }
            else
            {
                path = "s3://livs-images/missing.png"; // a reference: no file here
            }

            images.Add(new Image
            {
                StudyId = study.Id,
                PromptId = prompt.Id,
                Generator = i % 2 == 0 ? "world/1" : "embedded-diffusion/base",
                Seed = 1000 + i,
                Guidance = i % 2 == 0 ? 7.5 : null,
                Steps = 30 + i,
                Width = 256,
                Height = 192,
                ContentHash = i == 5 ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Png(256, 192, i))),
                StoragePath = path,
                Flags = i == 3 ? ImageFlags.Distorted | ImageFlags.Excluded : ImageFlags.None,
                ExternalId = i == 0 ? "ext-0" : null,
                CreatedAt = T0.AddMinutes(10 + i),
            });
        }

        db.AddRange(images);
        await db.SaveChangesAsync();

        var b1 = study.Batches[0].Id;
        var b2 = study.Batches[1].Id;
        var pairs = new List<Pair>
        {
            new() { StudyId = study.Id, BatchId = b1, Image0Id = images[0].Id, Image1Id = images[1].Id, Kind = PairKind.Annotation, CreatedAt = T0.AddHours(1) },
            new() { StudyId = study.Id, BatchId = b1, Image0Id = images[2].Id, Image1Id = images[3].Id, Kind = PairKind.Gold, ExpectedPreference = -0.75, ExternalId = "gold-1", CreatedAt = T0.AddHours(1) },
            new() { StudyId = study.Id, BatchId = b2, Image0Id = images[4].Id, Image1Id = images[5].Id, Kind = PairKind.AttentionCheck, ExpectedPreference = 1, CreatedAt = T0.AddHours(2) },
            new() { StudyId = study.Id, BatchId = null, Image0Id = images[1].Id, Image1Id = images[0].Id, Kind = PairKind.Evaluation, CreatedAt = T0.AddHours(3) },
        };
        db.AddRange(pairs);
        await db.SaveChangesAsync();

        var ana = Person("P-ANA001", "fr", T0.AddDays(1));
        var ben = Person("P-BEN002", "en", T0.AddDays(1).AddMinutes(5));
        var cleo = Person("P-CLE003", "en", T0.AddDays(2));
        var staff = new Participant { Pseudonym = "S-STAFF1", Email = "researcher@example.org", PasswordHash = "AQAAAA-hash", Role = Role.Researcher, CreatedAt = T0 };
        ana.StudyId = ben.StudyId = cleo.StudyId = study.Id;
        ana.Email = "ana@example.org";
        ana.PasswordHash = "AQAAAA-secret-hash";
        cleo.WithdrawnAt = T0.AddDays(3);
        db.AddRange(ana, ben, cleo, staff);
        await db.SaveChangesAsync();

        db.AddRange(
            new ConsentRecord { ParticipantId = ana.Id, DocumentVersion = "1", Language = "fr", ConsentedAt = ana.CreatedAt, MarkerConsents = new() { ["gender"] = true, ["age-band"] = true, ["disability"] = false } },
            new ConsentRecord { ParticipantId = ben.Id, DocumentVersion = "1", Language = "en", ConsentedAt = ben.CreatedAt, WithdrawnAt = ben.CreatedAt.AddHours(1), MarkerConsents = new() { ["gender"] = true } },
            new ConsentRecord { ParticipantId = ben.Id, DocumentVersion = "1", Language = "en", ConsentedAt = ben.CreatedAt.AddHours(2), MarkerConsents = new() { ["gender"] = true, ["languages"] = true } },
            new ConsentRecord { ParticipantId = cleo.Id, DocumentVersion = "1", Language = "en", ConsentedAt = cleo.CreatedAt, MarkerConsents = new() { ["neighbourhood"] = true } },
            new IdentityAnswer { ParticipantId = ana.Id, Marker = "gender", Value = "woman", AnsweredAt = ana.CreatedAt },
            new IdentityAnswer { ParticipantId = ana.Id, Marker = "age-band", Value = null, PreferNotToSay = true, AnsweredAt = ana.CreatedAt },
            new IdentityAnswer { ParticipantId = ana.Id, Marker = "disability", Value = Unconsented, AnsweredAt = ana.CreatedAt },
            new IdentityAnswer { ParticipantId = ben.Id, Marker = "languages", Value = "fr;en;ar", AnsweredAt = ben.CreatedAt },
            new IdentityAnswer { ParticipantId = cleo.Id, Marker = "neighbourhood", Value = Unconsented + "-withdrawn", AnsweredAt = cleo.CreatedAt },
            // Coded answers: Ben's (consented) travels with the bundle; the unconsented and the withdrawn ones do not.
            new IdentityCoding { StudyId = study.Id, QuestionKey = "languages", Answer = "fr;en;ar", Code = "multilingual", CodedBy = "S-STAFF1", CodedAt = T0.AddDays(4) },
            new IdentityCoding { StudyId = study.Id, QuestionKey = "disability", Answer = Unconsented, Code = "mobility", CodedBy = "S-STAFF1", CodedAt = T0.AddDays(4) },
            new IdentityCoding { StudyId = study.Id, QuestionKey = "neighbourhood", Answer = Unconsented + "-withdrawn", Code = "plateau", CodedBy = "S-STAFF1", CodedAt = T0.AddDays(4) });
        await db.SaveChangesAsync();

        var assignments = new List<Assignment>
        {
            new() { ParticipantId = ana.Id, PairId = pairs[0].Id, BatchId = b1, CriteriaShown = ["safety", "accessibility", "comfort"], Image0OnLeft = false, Language = "fr", ServedAt = T0.AddDays(1).AddMinutes(1) },
            new() { ParticipantId = ana.Id, PairId = pairs[1].Id, BatchId = b1, CriteriaShown = ["inclusivity", "invitingness", "safety"], Image0OnLeft = true, Language = "fr", ServedAt = T0.AddDays(1).AddMinutes(2) },
            new() { ParticipantId = ben.Id, PairId = pairs[0].Id, BatchId = b1, CriteriaShown = ["comfort", "safety", "accessibility"], Image0OnLeft = true, Language = "en", ServedAt = T0.AddDays(1).AddMinutes(9) },
            new() { ParticipantId = ben.Id, PairId = pairs[2].Id, BatchId = b2, CriteriaShown = ["accessibility", "invitingness", "inclusivity"], Image0OnLeft = false, Language = "en", ServedAt = T0.AddDays(15) },
            new() { ParticipantId = cleo.Id, PairId = pairs[3].Id, BatchId = null, CriteriaShown = ["safety", "comfort", "inclusivity"], Image0OnLeft = true, Language = "en", ServedAt = T0.AddDays(2).AddMinutes(1) },
        };
        db.AddRange(assignments);
        await db.SaveChangesAsync();

        db.AddRange(
            Answer(assignments[0], 4, "req-a1", "Plus d'arbres, « s'il vous plaît », merci;\nvraiment", 8400, (0.75, "safety"), (-1.0, "accessibility"), (null, "comfort")),
            Answer(assignments[1], 4, "req-a2", null, 3100, (0.0, "inclusivity"), (0.0, "invitingness"), (0.0, "safety")),
            Answer(assignments[2], 0, "req-b1", "", 12000, (0.3333333333333333, "comfort"), (null, "safety"), (-0.1, "accessibility")),
            Answer(assignments[3], 2, "req-b2", "ramp!", null, (1.0, "accessibility"), (0.5, "invitingness"), (null, "inclusivity")),
            Answer(assignments[4], null, "req-c1", "  spaces around  ", 5000, (-0.2, "safety"), (0.9, "comfort"), (0.0, "inclusivity")));
        db.AddRange(
            new ImageReport { ImageId = images[3].Id, ParticipantId = ana.Id, AssignmentId = assignments[1].Id, Reason = ImageReportReason.Distorted, Comment = "melted bench", ReportedAt = T0.AddDays(1).AddMinutes(3) },
            new ImageReport { ImageId = images[5].Id, ParticipantId = ben.Id, Reason = ImageReportReason.Broken, ReportedAt = T0.AddDays(15) },
            new LikertRating { ParticipantId = ben.Id, ImageId = images[0].Id, QuestionKey = "harm-self", Value = 2, SelectedCategories = ["none"], ClientRequestId = "lk-1", ClientDurationMs = 2500, ServerDurationMs = 2700, Language = "en", ServedAt = T0.AddDays(1).AddMinutes(20), SubmittedAt = T0.AddDays(1).AddMinutes(21) },
            new LikertRating { ParticipantId = ana.Id, ImageId = images[2].Id, QuestionKey = "harm-others", Value = 5, SelectedCategories = ["violence", "exclusion"], ClientRequestId = "lk-2", Language = "fr", ServedAt = T0.AddDays(1).AddMinutes(30), SubmittedAt = T0.AddDays(1).AddMinutes(31) });
        await db.SaveChangesAsync();
        return study;

        Participant Person(string pseudonym, string lang, DateTimeOffset at) =>
            new() { Pseudonym = pseudonym, PreferredLanguage = lang, Role = Role.Participant, CreatedAt = at };

        static Annotation Answer(Assignment a, int? sliderSteps, string request, string? comment, int? clientMs, params (double? Score, string Key)[] scores) => new()
        {
            AssignmentId = a.Id,
            ParticipantId = a.ParticipantId,
            PairId = a.PairId,
            Comment = comment,
            ClientDurationMs = clientMs,
            ServerDurationMs = clientMs + 250,
            ClientRequestId = request,
            Language = a.Language,
            SubmittedAt = a.ServedAt.AddSeconds(30),
            SliderSteps = sliderSteps,
            Scores = [.. scores.Select((s, i) => new AnnotationScore { CriterionKey = s.Key, Position = i, Score = s.Score })],
        };
    }

    /// <summary>A fresh database of <paramref name="provider"/> holding the rich study, its files in <paramref name="data"/>.</summary>
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider, DataDirectory data)
    {
        var tdb = await TestDatabase.CreateAsync(provider);
        await using var db = tdb.CreateContext();
        await WriteAsync(db, data);
        return tdb;
    }

    /// <summary>A data directory in a new temporary folder.</summary>
    public static DataDirectory TempData() =>
        new(Path.Combine(Path.GetTempPath(), "pluralist-bundle-" + Guid.NewGuid().ToString("N")));

    /// <summary>Row counts of every table, to show that a failed import changed nothing.</summary>
    public static async Task<Dictionary<string, int>> CountsAsync(TestDatabase tdb)
    {
        await using var db = tdb.CreateContext();
        var counts = new Dictionary<string, int>();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            await using var connection = await PluralistDatabase.OpenAsync(tdb.Options);
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {entity.GetTableName()}";
            counts[entity.GetTableName()!] = Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        return counts;
    }

    /// <summary>A small real PNG, different for each <paramref name="seed"/> (imports decode every image).</summary>
    public static byte[] Png(int width, int height, int seed)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height);
        using (var canvas = new SkiaSharp.SKCanvas(bitmap))
        {
            canvas.Clear(new SkiaSharp.SKColor((byte)(40 * seed), 120, (byte)(255 - (30 * seed))));
        }

        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>Every file below <paramref name="folder"/> with its bytes, by relative path.</summary>
    public static SortedDictionary<string, byte[]> Files(string folder) =>
        new(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllBytes), StringComparer.Ordinal);
}
