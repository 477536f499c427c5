using System.IO.Compression;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data.Bundles;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Bundles;

/// <summary>The bundle tests, written once and run on each provider by <see cref="SqliteBundleTests"/> and <see cref="PostgresBundleTests"/>.</summary>
internal static class BundleScenarios
{
    public static async Task ExportImportExportIsIdentical(DatabaseProvider provider)
    {
        var data = RichStudy.TempData();
        await using var source = await RichStudy.CreateAsync(provider, data);

        var work = RichStudy.TempData().Root;
        var first = Path.Combine(work, "first");
        await ExportAsync(source, data, "rich", first, zip: false);

        // Import into an empty database of the same provider, then export again: same files, byte for byte.
        await using var target = await TestDatabase.CreateAsync(provider);
        var targetData = RichStudy.TempData();
        ImportSummary summary;
        await using (var db = target.CreateContext())
        using (var bundle = BundleReader.Read(first))
        {
            summary = await StudyImporter.ImportAsync(db, targetData, bundle);
        }

        Assert.Equal((3, 6, 5, 4, 3, 5, 5, 15, 2, 2), (summary.Prompts, summary.Images, summary.ImageFiles, summary.Pairs, summary.Participants, summary.Assignments, summary.Annotations, summary.Scores, summary.Reports, summary.Ratings));
        await using (var db = target.CreateContext())
        {
            // Assignments written by the import (v14): each pair's count is what was imported for it.
            await PairCounts.AssertMatchAsync(db);
            Assert.Equal(5, (await PairCounts.ReadAsync(db)).Sum(r => r.Stored));
            var study = (await StudyStore.FindAsync(db, "rich"))!;
            var quotas = study.GroupQuotas!;
            Assert.Equal((20, 2, "non-binary", 0), (quotas.PerGroup, quotas.Unstratified, quotas.Dimensions[0].Values[2], quotas.Dimensions[1].Values.Count));

            // Questions, coding table and the Likert task travel with the study.
            await using var sourceDb = source.CreateContext();
            var original = (await StudyStore.FindAsync(sourceDb, "rich"))!;
            Assert.Equal(QuestionsJson.SerializeIdentityQuestions(original.IdentityQuestions), QuestionsJson.SerializeIdentityQuestions(study.IdentityQuestions));
            Assert.Equal(["age-band", "gender", "disability", "ethnicity", "languages", "neighbourhood", "born"], study.IdentityQuestions.Select(q => q.Key));
            Assert.Equal((1994.5, "Genre, « comme vous le dites »", false), (study.IdentityQuestions[6].Bands[1].Max!.Value, study.IdentityQuestions[1].Text.Get("fr"), study.IdentityQuestions[1].PreferNotToSay));
            Assert.Equal(["harm-self", "harm-others"], study.LikertQuestions.Select(q => q.Key));
            Assert.Equal(LikertPresets.DiveCategories().Select(c => c.Text.Get("fr")), study.LikertCategories.Select(c => c.Text.Get("fr")));
            Assert.Equal((original.Protocol.Get("fr"), original.Contact, original.Panel!.ToString()), (study.Protocol.Get("fr"), study.Contact, study.Panel!.ToString()));
            Assert.Equal([4, 4, 0, 2, null], (await db.Annotations.OrderBy(a => a.Id).ToListAsync()).Select(a => a.SliderSteps));
            var coding = (await IdentityCodingStore.ListAsync(db, study.Id)).Single();
            Assert.Equal(("languages", "fr;en;ar", "multilingual", "import", RichStudy.T0.AddDays(4)), (coding.QuestionKey, coding.Answer, coding.Code, coding.CodedBy, coding.CodedAt));
        }

        var second = Path.Combine(work, "second");
        await ExportAsync(target, targetData, "rich", second, zip: false);
        AssertSameFiles(RichStudy.Files(first), RichStudy.Files(second));

        // The same through a .zip archive.
        var zip = Path.Combine(work, "third.zip");
        await ExportAsync(target, targetData, "rich", zip, zip: true);
        await using var third = await TestDatabase.CreateAsync(provider);
        var thirdData = RichStudy.TempData();
        await using (var db = third.CreateContext())
        using (var bundle = BundleReader.Read(zip))
        {
            await StudyImporter.ImportAsync(db, thirdData, bundle);
        }

        var fourth = Path.Combine(work, "fourth");
        await ExportAsync(third, thirdData, "rich", fourth, zip: false);
        AssertSameFiles(RichStudy.Files(first), RichStudy.Files(fourth));

        // Images are stored content-addressed and served from the data directory.
        await using (var db = third.CreateContext())
        {
            foreach (var image in await db.Images.ToListAsync())
            {
                if (image.ContentHash is null)
                {
                    Assert.Equal("s3://livs-images/missing.png", image.StoragePath);
                    continue;
                }

                var bytes = await File.ReadAllBytesAsync(Path.Combine(thirdData.ImagesPath, image.StoragePath));
                Assert.Equal(image.ContentHash, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
            }

            Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == "import.bundle" || a.Action == "export.bundle") + 1);
        }
    }

    public static async Task ExportCarriesOnlyConsentedMarkers(DatabaseProvider provider)
    {
        var data = RichStudy.TempData();
        await using var tdb = await RichStudy.CreateAsync(provider, data);

        var folder = Path.Combine(RichStudy.TempData().Root, "b");
        await ExportAsync(tdb, data, "rich", folder, zip: false);
        var everything = string.Join("\n", RichStudy.Files(folder).Values.Select(Encoding.UTF8.GetString));
        Assert.DoesNotContain(RichStudy.Unconsented, everything, StringComparison.Ordinal);
        Assert.Contains("\"code\": \"multilingual\"", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("\"mobility\"", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("\"plateau\"", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.org", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("AQAAAA", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("S-STAFF1", everything, StringComparison.Ordinal);

        var participants = File.ReadAllLines(Path.Combine(folder, "participants.csv"));
        // Per marker its answer and, beside it, the analysis group it counts in (the coding table: fr;en;ar -> multilingual).
        Assert.Equal("participant,language,created_at,withdrawn_at,age-band,age-band_group,gender,gender_group,disability,disability_group,"
            + "ethnicity,ethnicity_group,languages,languages_group,neighbourhood,neighbourhood_group", participants[0]);
        Assert.StartsWith("P-ANA001,fr,", participants[1], StringComparison.Ordinal);
        Assert.EndsWith(",prefer-not-to-say,,woman,woman,,,,,,,,", participants[1], StringComparison.Ordinal);
        Assert.EndsWith(",,,,,,,,,fr;en;ar,multilingual,,", participants[2], StringComparison.Ordinal); // Ben's latest consent covers languages
        Assert.EndsWith("+00:00,,,,,,,,,,,,", participants[3], StringComparison.Ordinal);                    // Cleo withdrew: nothing

        // ratings.csv carries the same consented markers and groups per rating: Ana's unconsented disability answer is absent.
        var ratings = File.ReadAllLines(Path.Combine(folder, "ratings.csv"));
        Assert.EndsWith(",submitted_at,age-band,age-band_group,gender,gender_group,disability,disability_group,"
            + "ethnicity,ethnicity_group,languages,languages_group,neighbourhood,neighbourhood_group", ratings[0], StringComparison.Ordinal);
        var ana = Assert.Single(ratings, l => l.Contains(",P-ANA001,", StringComparison.Ordinal));
        Assert.EndsWith(",prefer-not-to-say,,woman,woman,,,,,,,,", ana, StringComparison.Ordinal);
        var ben = Assert.Single(ratings, l => l.Contains(",P-BEN", StringComparison.Ordinal));
        Assert.EndsWith(",,,,,,,,,fr;en;ar,multilingual,,", ben, StringComparison.Ordinal);
    }

    public static async Task BadBundleIsRejectedWithLocationsAndNothingWritten(DatabaseProvider provider)
    {
        var data = RichStudy.TempData();
        await using var tdb = await RichStudy.CreateAsync(provider, data);

        var folder = Path.Combine(RichStudy.TempData().Root, "bad");
        await ExportAsync(tdb, data, "rich", folder, zip: false);
        var beautyLine = 0;
        Edit(folder, "annotations.csv", lines =>
        {
            lines[1] = lines[1].Replace(",0.75,right,-0.75,", ",1.5,right,-1.5,", StringComparison.Ordinal);  // score outside [-1, 1]
            // Ana's first comment holds a line break, so records and lines differ: errors name the line a record starts on.
            beautyLine = lines.FindIndex(l => l.Contains(",inclusivity,", StringComparison.Ordinal)) + 1;
            lines[beautyLine - 1] = lines[beautyLine - 1].Replace(",inclusivity,", ",beauty,", StringComparison.Ordinal); // unknown criterion
            for (var i = 0; i < lines.Count; i++)
            {
                // Ben's continuous answer claimed for a 4-step slider: 1/3 is not one of its positions.
                if (lines[i].Contains(",req-b1,", StringComparison.Ordinal) && lines[i].EndsWith(",0", StringComparison.Ordinal))
                {
                    lines[i] = lines[i][..^1] + "4";
                }
            }
        });
        Edit(folder, "pairs.csv", lines =>
        {
            lines[2] = ReplaceField(lines[2], 2, "99");            // image_1 names a missing image
            lines.Add(lines[1]);                                    // duplicate pair id
        });
        Edit(folder, "images.csv", lines => lines[3] = lines[3].Replace("2025-05-02T14:42:00", "2025-13-02T14:42:00", StringComparison.Ordinal));
        var prompts = File.ReadAllBytes(Path.Combine(folder, "prompts.csv")).ToList();
        prompts.AddRange([.. "4,caf"u8, 0xE9, .. ",en,human,,,,2025-05-02T14:30:00Z\n"u8]); // Latin-1 é: not UTF-8
        File.WriteAllBytes(Path.Combine(folder, "prompts.csv"), [.. prompts]);
        Edit(folder, "study.json", lines =>
        {
            lines[lines.FindIndex(l => l.Contains("\"goldRate\"", StringComparison.Ordinal))] = "  \"goldRate\": 2,";
            var redirect = lines.FindIndex(l => l.Contains("\"redirectUrl\"", StringComparison.Ordinal));
            lines[redirect] = lines[redirect].Replace("https://app.prolific.com", "javascript://app.prolific.com", StringComparison.Ordinal);
        });

        var before = await RichStudy.CountsAsync(tdb);
        var error = Assert.Throws<BundleException>(() => BundleReader.Read(folder));
        var messages = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(messages, m => m.StartsWith("annotations.csv:2:7 (score): 1.5 is outside [-1, 1]", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("(score): 0.3333333333333333 is not a position of a slider with 4 steps each side (slider_steps 4)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("study.json:", StringComparison.Ordinal) && m.Contains("($.panel.exits.completed.redirectUrl): 'javascript://app.prolific.com", StringComparison.Ordinal));
        Assert.Equal(8, beautyLine);
        Assert.Contains(messages, m => m.StartsWith("annotations.csv:8:5 (criterion): unknown criterion 'beauty'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("pairs.csv:3:3 (image_1): image 99 is not in images.csv", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("pairs.csv:6:1 (pair): pair id 1 is used twice", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("images.csv:4:14 (created_at): '2025-13-02", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("prompts.csv:6: wrong encoding", StringComparison.Ordinal)); // the French prompt spans two lines
        Assert.DoesNotContain(messages, m => m.Contains("is not in prompts.csv", StringComparison.Ordinal)); // no echo of the unreadable file
        Assert.Contains(messages, m => m.StartsWith("study.json:", StringComparison.Ordinal) && m.Contains("($.goldRate): must be between 0 and 1", StringComparison.Ordinal));
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
    }

    public static async Task FaultHalfwayLeavesDatabaseAndStoreAsTheyWere(DatabaseProvider provider)
    {
        var data = RichStudy.TempData();
        await using var tdb = await RichStudy.CreateAsync(provider, data);

        var folder = Path.Combine(RichStudy.TempData().Root, "b");
        await ExportAsync(tdb, data, "rich", folder, zip: false);

        // A second database that already holds a study.
        await using var targetDb = await TestDatabase.CreateAsync(provider);
        await using (var db = targetDb.CreateContext())
        {
            await StudyStore.EnsureDefaultStudyAsync(db, RichStudy.T0);
        }

        var target = RichStudy.TempData();
        target.EnsureCreated();
        var before = await RichStudy.CountsAsync(targetDb);

        // A failure when the study, prompts, images (and their files), pairs, participants and assignments are written.
        var steps = new List<string>();
        var fault = new Fault(steps, "annotations");
        await using (var db = targetDb.CreateContext())
        using (var bundle = BundleReader.Read(folder))
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StudyImporter.ImportAsync(db, target, bundle, key: "rich-copy", progress: fault));
            Assert.Equal(Fault.Message, error.Message);
        }

        Assert.Equal(["study rich-copy", "3 prompts", "6 images", "4 pairs", "3 participants", "5 assignments", "5 annotations"], steps);
        Assert.Equal(before, await RichStudy.CountsAsync(targetDb));
        Assert.Empty(Directory.EnumerateFiles(target.ImagesPath, "*", SearchOption.AllDirectories));

        // Without the fault the same bundle imports.
        await using (var db = targetDb.CreateContext())
        using (var bundle = BundleReader.Read(folder))
        {
            var summary = await StudyImporter.ImportAsync(db, target, bundle, key: "rich-copy");
            Assert.Equal(5, summary.Annotations);
        }
    }

    public static async Task ConflictsAreReported(DatabaseProvider provider)
    {
        var data = RichStudy.TempData();
        await using var tdb = await RichStudy.CreateAsync(provider, data);

        var folder = Path.Combine(RichStudy.TempData().Root, "b");
        await ExportAsync(tdb, data, "rich", folder, zip: false);
        var before = await RichStudy.CountsAsync(tdb);
        await using (var db = tdb.CreateContext())
        using (var bundle = BundleReader.Read(folder))
        {
            // Same key, and the participants' pseudonyms are taken.
            var error = await Assert.ThrowsAsync<BundleException>(() => StudyImporter.ImportAsync(db, data, bundle));
            Assert.Contains(error.Errors, e => e.ToString() == "study.json (key): a study with key 'rich' already exists in this database; import it under another key (--key NEW)");
            Assert.Contains(error.Errors, e => e.ToString() == "participants.csv (participant): participant P-ANA001 already exists in this database (pseudonyms are unique across studies)");
        }

        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
    }

    public static async Task AipithetExportImports(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var data = RichStudy.TempData();
        var zip = Path.Combine(RichStudy.TempData().Root, "survey.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zip)!);
        ZipFile.CreateFromDirectory(Fixtures.AipithetSurvey, zip, CompressionLevel.Fastest, includeBaseDirectory: true);

        ImportSummary summary;
        await using (var db = tdb.CreateContext())
        using (var bundle = AipithetReader.Read(zip, key: null, promptLanguage: "fr"))
        {
            summary = await StudyImporter.ImportAsync(db, data, bundle, action: "import.aipithet");
        }

        Assert.Equal("aipithet-sv-livs", summary.Key);
        Assert.Equal((3, 6, 1, 3, 3, 6, 5, 14), (summary.Prompts, summary.Images, summary.ImageFiles, summary.Pairs, summary.Participants, summary.Assignments, summary.Annotations, summary.Scores));
        await using var check = tdb.CreateContext();
        var study = (await StudyStore.FindAsync(check, "aipithet-sv-livs"))!;
        Assert.Equal(["accessibility", "safety", "comfort", "invitingness", "inclusivity", "diversity"], study.Criteria.Select(c => c.Key));
        Assert.Equal("Convivialité", study.Criteria[3].Name["fr"]);
        Assert.Equal(["Chapter ch-1", "Chapter ch-2"], study.Batches.Select(b => b.Name));
        Assert.Equal(3, study.CriteriaPerPair);
        // The export carries no demographics: the study asks LIVS's markers, defined as the LIVS preset asks them.
        Assert.Equal(Defaults.IdentityMarkers, study.IdentityMarkers);
        Assert.Equal(QuestionsJson.SerializeIdentityQuestions(IdentityPresets.Livs()), QuestionsJson.SerializeIdentityQuestions(study.IdentityQuestions));

        var prompts = await check.Prompts.Where(p => p.StudyId == study.Id).OrderBy(p => p.Id).ToListAsync();
        Assert.Equal([PromptSource.Human, PromptSource.Llm2, PromptSource.Template], prompts.Select(p => p.Source));
        Assert.All(prompts, p => Assert.Equal("fr", p.Language));
        var images = await check.Images.Where(i => i.StudyId == study.Id).OrderBy(i => i.Id).ToListAsync();
        Assert.NotNull(images[0].ContentHash);                       // park-a.png is in the export
        Assert.True(File.Exists(Path.Combine(data.ImagesPath, images[0].StoragePath)));
        Assert.Equal("livs-images/park-b.png", images[1].StoragePath); // the others are references
        Assert.Null(images[1].ContentHash);
        Assert.Equal(ImageFlags.Broken, images[3].Flags);            // declaredNotFoundCount 2

        var pair3 = await check.Pairs.SingleAsync(p => p.StudyId == study.Id && p.ExternalId == "pa-03");
        Assert.Equal(PairKind.AttentionCheck, pair3.Kind);
        var first = await check.Annotations.Include(a => a.Scores).SingleAsync(a => a.ClientRequestId == "aipithet:an-01");
        Assert.Equal([-0.8, 0.25, null], first.Scores.OrderBy(s => s.Position).Select(s => s.Score)); // score3 0 but not answered
        Assert.Equal((12500, 14250), (first.ClientDurationMs, first.ServerDurationMs));
        var third = await check.Annotations.SingleAsync(a => a.ClientRequestId == "aipithet:an-03");
        Assert.Equal((30000, 31500), (third.ClientDurationMs, third.ServerDurationMs));                // PT30S and 00:00:31.5
        Assert.Equal(new DateTimeOffset(2024, 4, 9, 18, 12, 31, 500, TimeSpan.Zero), third.SubmittedAt); // PostgreSQL text, +00
        Assert.False(await check.Annotations.AnyAsync(a => a.ClientRequestId == "aipithet:an-06"));   // served, never answered
        var assignments = await check.Assignments.Where(a => check.Participants.Any(p => p.Id == a.ParticipantId && p.StudyId == study.Id)).ToListAsync();
        Assert.Equal(6, assignments.Count);
        Assert.All(assignments, a => Assert.True(a.Image0OnLeft));
    }

    public static async Task BadAipithetExportIsRejected(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var folder = Path.Combine(RichStudy.TempData().Root, "survey");
        CopyFolder(Fixtures.AipithetSurvey, folder);
        Edit(folder, "answers.csv", lines =>
        {
            lines[1] = lines[1].Replace("-0.8,0.25,0", "-2,0.25,0", StringComparison.Ordinal);         // score outside [-1, 1]
            lines[2] = lines[2].Replace("\"pa-02\"", "\"pa-99\"", StringComparison.Ordinal);          // unknown pair
            lines[3] = lines[3].Replace("\"PT30S\"", "\"half a minute\"", StringComparison.Ordinal); // malformed interval
            lines.Add(lines[4]);                                                                       // duplicate id
        });
        Edit(folder, "pairs.csv", lines => lines[1] = lines[1].Replace("\"c-div\"", "\"c-xyz\"", StringComparison.Ordinal));
        var before = await RichStudy.CountsAsync(tdb);
        var error = Assert.Throws<BundleException>(() => AipithetReader.Read(folder, null, "en"));
        var messages = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("answers.csv:2:6 (score1): -2 is outside [-1, 1]", messages);
        Assert.Contains("answers.csv:3:2 (pairId): pair pa-99 is not in pairs.csv", messages);
        Assert.Contains(messages, m => m.StartsWith("answers.csv:4:14 (timeToAnswerClient): 'half a minute' is not a PostgreSQL interval", StringComparison.Ordinal));
        Assert.Contains("answers.csv:8:1 (id): answer id an-04 is used twice", messages);
        Assert.Contains("pairs.csv:2:9 (label3Id): criterion c-xyz is not in criteria.csv", messages);
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
    }

    private static async Task ExportAsync(TestDatabase tdb, DataDirectory data, string key, string path, bool zip)
    {
        await using var db = tdb.CreateContext();
        using var bundle = await StudyExporter.LoadAsync(db, data, key);
        BundleWriter.Write(bundle, path, zip);
    }

    private static void AssertSameFiles(SortedDictionary<string, byte[]> expected, SortedDictionary<string, byte[]> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs:\n{Encoding.UTF8.GetString(bytes)}\n---\n{Encoding.UTF8.GetString(actual[name])}");
        }
    }

    private static void Edit(string folder, string file, Action<List<string>> edit)
    {
        var path = Path.Combine(folder, file);
        var lines = File.ReadAllText(path).TrimEnd('\n').Split('\n').ToList();
        edit(lines);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    private static string ReplaceField(string line, int index, string value)
    {
        var fields = line.Split(',');
        fields[index] = value;
        return string.Join(',', fields);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Throws when the import reports the step named <paramref name="failAt"/>, as a crash or a lost connection would in the middle of an import.</summary>
    private sealed class Fault(List<string> steps, string failAt) : IProgress<string>
    {
        public const string Message = "injected fault";

        public void Report(string value)
        {
            steps.Add(value);
            if (value.EndsWith(failAt, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(Message);
            }
        }
    }
}

/// <summary>Files the tests share with the documentation.</summary>
internal static class Fixtures
{
    /// <summary>docs/examples/aipithet-survey: a small labeling-platform survey export.</summary>
    public static string AipithetSurvey => Find(Path.Combine("docs", "examples", "aipithet-survey"));

    private static string Find(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"{relative} not found above the test output folder");
    }
}
