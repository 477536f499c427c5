using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data.Bundles;
using Pluralist.Data.Imports;
using Pluralist.Data.Tests.Bundles;
using Pluralist.Testing;

namespace Pluralist.Data.Tests.Imports;

/// <summary>
/// The dataset importers (MID-Space, Likert, Pick-a-Pic) on a real database: what a valid file becomes, and bad files
/// (missing column, bad score, broken image, duplicate pair) refused with located errors and the database unchanged.
/// </summary>
public static class DatasetImportScenarios
{
    private static string Work() => Directory.CreateTempSubdirectory("pluralist-dsimport-").FullName;

    private static List<string> Messages(Action read)
    {
        var e = Assert.Throws<BundleException>(read);
        return [.. e.Errors.Select(x => x.ToString())];
    }

    private static async Task<List<string>> MessagesAsync(Func<Task> read)
    {
        var e = await Assert.ThrowsAsync<BundleException>(read);
        return [.. e.Errors.Select(x => x.ToString())];
    }

    public static async Task MidSpaceImports(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var rows = DatasetFixtures.MidSpaceRows();
        var folder = DatasetFixtures.WriteMidSpace(Work(), rows);
        var data = RichStudy.TempData();
        ImportSummary summary;
        await using (var db = tdb.CreateContext())
        using (var bundle = MidSpaceReader.Read(folder))
        {
            summary = await StudyImporter.ImportAsync(db, data, bundle, action: "import.mid-space");
        }

        var scores = rows.Sum(r => r.Labels.Length);
        Assert.Equal(("mid-space", 3, 6, 6, 14, 14, 14, 14, scores), (summary.Key, summary.Prompts, summary.Images, summary.ImageFiles, summary.Pairs, summary.Participants, summary.Assignments, summary.Annotations, summary.Scores));
        await using var check = tdb.CreateContext();
        var study = (await StudyStore.FindAsync(check, "mid-space"))!;
        Assert.Equal(["accessibility", "safety", "comfort", "inclusivity", "diversity", "invitingness"], study.Criteria.Select(c => c.Key));
        Assert.Equal("Accessibilité", study.Criteria[0].Name["fr"]); // a LIVS criterion keeps its texts
        Assert.Equal(3, study.CriteriaPerPair);

        // p4: the PNG on the right, image1 on the left; scores as given, in label order.
        var pair = await check.Pairs.SingleAsync(p => p.StudyId == study.Id && p.ExternalId == "p4");
        var images = await check.Images.Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id);
        Assert.Equal(("images/r1a.jpg", "images/r1b.png"), (images[pair.Image0Id].ExternalId, images[pair.Image1Id].ExternalId));
        Assert.True(File.Exists(Path.Combine(data.ImagesPath, images[pair.Image1Id].StoragePath)));
        Assert.EndsWith(".png", images[pair.Image1Id].StoragePath, StringComparison.Ordinal);
        var annotation = await check.Annotations.Include(a => a.Scores).SingleAsync(a => a.PairId == pair.Id);
        Assert.Equal([("comfort", -1.0), ("safety", -0.35), ("accessibility", 0.25)], annotation.Scores.OrderBy(s => s.Position).Select(s => (s.CriterionKey, s.Score!.Value)));
        var assignment = await check.Assignments.SingleAsync(a => a.Id == annotation.AssignmentId);
        Assert.True(assignment.Image0OnLeft);
        Assert.Equal(["comfort", "safety", "accessibility"], assignment.CriteriaShown);

        // With a rater column, one rater answering several pairs is one participant.
        var rated = rows.Select((r, i) => r with { Rater = i % 2 == 0 ? "alice" : "bob" }).ToList();
        var folder2 = DatasetFixtures.WriteMidSpace(Work(), rated);
        await using (var db = tdb.CreateContext())
        using (var bundle = MidSpaceReader.Read(Path.Combine(folder2, "preferences.csv"), key: "mid-space-raters"))
        {
            summary = await StudyImporter.ImportAsync(db, data, bundle, action: "import.mid-space");
        }

        Assert.Equal((2, 14), (summary.Participants, summary.Annotations));
    }

    public static async Task BadMidSpaceIsRefused(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);

        // Missing column.
        var folder = DatasetFixtures.WriteMidSpace(Work(), DatasetFixtures.MidSpaceRows(), lines => lines[0] = lines[0].Replace("label1_score", "score1", StringComparison.Ordinal));
        Assert.Equal(["preferences.csv:1 (label1_score): required column is missing"], Messages(() => MidSpaceReader.Read(folder)));

        // Bad scores, a truncated image, a file that is not an image, a pixel bomb, a duplicate pair.
        folder = DatasetFixtures.WriteMidSpace(Work(), DatasetFixtures.MidSpaceRows(), lines =>
        {
            lines[1] = lines[1].Replace("-0.6", "1.5", StringComparison.Ordinal);
            lines[2] = lines[2].Replace("0.8", "lots", StringComparison.Ordinal);
            lines[4] = lines[4].Replace("images/r1a.jpg", "images/cut.jpg", StringComparison.Ordinal);
            lines[7] = lines[7].Replace("images/m1a.jpg", "images/notes.jpg", StringComparison.Ordinal);
            lines[8] = lines[8].Replace("images/m1b.jpg", "images/huge.png", StringComparison.Ordinal);
            var image = lines[6].IndexOf("images/", StringComparison.Ordinal);
            lines[6] = lines[6][..image] + "../" + lines[6][image..];
            lines.Add(lines[3]);
        });
        var jpeg = DatasetFixtures.Image(5, SkiaSharp.SKEncodedImageFormat.Jpeg, 256, 192);
        File.WriteAllBytes(Path.Combine(folder, "images", "cut.jpg"), jpeg[..(jpeg.Length * 7 / 10)]);
        File.WriteAllText(Path.Combine(folder, "images", "notes.jpg"), "not an image\n");
        File.WriteAllBytes(Path.Combine(folder, "images", "huge.png"), ImportBombs.Png(16384, 16384));
        // The path that climbs out of the release names a real image there: refused all the same.
        var outside = Path.Combine(Path.GetDirectoryName(folder)!, "images");
        Directory.CreateDirectory(outside);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(folder, "images")))
        {
            File.Copy(file, Path.Combine(outside, Path.GetFileName(file)), overwrite: true);
        }

        var errors = Messages(() => MidSpaceReader.Read(folder));
        Assert.Contains(errors, m => m.StartsWith("preferences.csv:7:", StringComparison.Ordinal) && m.Contains("outside the bundle", StringComparison.Ordinal));
        Assert.Contains("preferences.csv:2:6 (label1_score): 1.5 is outside [-1, 1]", errors);
        Assert.Contains(errors, m => m.StartsWith("preferences.csv:3:6 (label1_score): ", StringComparison.Ordinal) && m.Contains("'lots'", StringComparison.Ordinal));
        Assert.Contains("preferences.csv:5:3 (image1): images/cut.jpg is a JPEG image whose data ends too early (a truncated file)", errors);
        Assert.Contains(errors, m => m.StartsWith("preferences.csv:8:3 (image1): images/notes.jpg is not a PNG, JPEG or WebP image", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.StartsWith("preferences.csv:9:3 (image1): images/huge.png is 16384×16384 pixels", StringComparison.Ordinal));
        Assert.Contains("preferences.csv:16:1 (pair_id): pair p3 appears twice (line 4); without a rater_id column each pair id is one comparison", errors);

        // A valid release under a key that exists: refused when writing, nothing written.
        var good = DatasetFixtures.WriteMidSpace(Work(), DatasetFixtures.MidSpaceRows());
        await using (var db = tdb.CreateContext())
        {
            db.Studies.Add(new Study { Key = "mid-space", Title = LocalizedText.Of("x", "x"), CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        before = await RichStudy.CountsAsync(tdb);
        var data = RichStudy.TempData();
        await using (var db = tdb.CreateContext())
        using (var bundle = MidSpaceReader.Read(good))
        {
            var e = await Assert.ThrowsAsync<BundleException>(() => StudyImporter.ImportAsync(db, data, bundle, action: "import.mid-space"));
            Assert.Contains(e.Errors, x => x.Message.StartsWith("a study with key 'mid-space' already exists", StringComparison.Ordinal));
        }

        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
        Assert.False(Directory.Exists(data.ImagesPath) && Directory.EnumerateFiles(data.ImagesPath, "*", SearchOption.AllDirectories).Any());
    }

    // Pairs and participants are written as the second pass first meets them, 2,000 answers at a time: over several
    // chunks every answer must still point at its own pair and rater, and a rater met again in a later chunk is not made twice.
    public static async Task MidSpaceOverSeveralChunksKeepsEveryReference(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var fixture = DatasetFixtures.MidSpaceRows();
        // Row i: pair p{i mod 1500} (3 answers each, in chunks 1, 2 and 3), rater r{i mod 700}.
        var rows = Enumerable.Range(0, 4500).Select(i => fixture[i % 1500 % fixture.Count] with
        {
            PairId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p{i % 1500}"),
            Rater = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"r{i % 700}"),
        }).ToList();
        var folder = DatasetFixtures.WriteMidSpace(Work(), rows);
        var data = RichStudy.TempData();
        ImportSummary summary;
        await using (var db = tdb.CreateContext())
        using (var bundle = MidSpaceReader.Read(folder))
        {
            summary = await StudyImporter.ImportAsync(db, data, bundle, action: "import.mid-space");
        }

        Assert.Equal((3, 6, 6, 1500, 700, 4500), (summary.Prompts, summary.Images, summary.ImageFiles, summary.Pairs, summary.Participants, summary.Annotations));
        await using var check = tdb.CreateContext();
        var study = (await StudyStore.FindAsync(check, "mid-space"))!;
        var pairs = await check.Pairs.Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.ExternalId);
        var people = await check.Participants.Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.Pseudonym);
        var images = await check.Images.Where(i => i.StudyId == study.Id).ToDictionaryAsync(i => i.Id, i => i.ExternalId);
        var prompts = await check.Prompts.Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.Id, p => p.Text);
        Assert.Equal(700, people.Values.Distinct().Count());
        Assert.All(await check.Images.Where(i => i.StudyId == study.Id).ToListAsync(), i => Assert.Contains(i.PromptId, prompts.Keys));
        var answers = await check.Annotations.Where(a => pairs.Keys.Contains(a.PairId)).Select(a => new { a.ClientRequestId, a.PairId, a.ParticipantId }).ToListAsync();
        Assert.Equal(4500, answers.Count);
        var stored = await check.Pairs.Where(p => p.StudyId == study.Id).ToDictionaryAsync(p => p.ExternalId!);
        for (var i = 0; i < rows.Count; i += 7)
        {
            var row = rows[i];
            var answer = answers.Single(a => a.ClientRequestId == $"mid-space:{row.PairId}:{row.Rater}");
            Assert.Equal(row.PairId, pairs[answer.PairId]);
            // Raters are numbered in order of first appearance: r{k} is the (k+1)-th.
            Assert.Equal($"mid-space-{int.Parse(row.Rater![1..], System.Globalization.CultureInfo.InvariantCulture) + 1}", people[answer.ParticipantId]);
            Assert.Equal((row.Image1, row.Image2), (images[stored[row.PairId].Image0Id], images[stored[row.PairId].Image1Id]));
        }
    }

    // Participants met in a later chunk are checked against the database too: a taken pseudonym refuses the whole import.
    public static async Task MidSpaceTakenPseudonymIsRefused(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var fixture = DatasetFixtures.MidSpaceRows();
        var rows = Enumerable.Range(0, 4500).Select(i => fixture[i % fixture.Count] with { PairId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p{i}") }).ToList();
        var folder = DatasetFixtures.WriteMidSpace(Work(), rows);
        await using (var db = tdb.CreateContext())
        {
            db.Participants.Add(new Participant { Pseudonym = "mid-space-4321", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var before = await RichStudy.CountsAsync(tdb);
        var data = RichStudy.TempData();
        await using (var db = tdb.CreateContext())
        using (var bundle = MidSpaceReader.Read(folder))
        {
            var e = await Assert.ThrowsAsync<BundleException>(() => StudyImporter.ImportAsync(db, data, bundle, action: "import.mid-space"));
            Assert.Equal(["participant mid-space-4321 already exists in this database (pseudonyms are unique across studies)"], e.Errors.Select(x => x.Message));
        }

        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
        Assert.False(Directory.Exists(data.ImagesPath) && Directory.EnumerateFiles(data.ImagesPath, "*", SearchOption.AllDirectories).Any());
    }

    // The answers are read again from the CSV while they are written: a file changed in between is refused whole.
    public static async Task MidSpaceChangedDuringImportIsRefused(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);
        var folder = DatasetFixtures.WriteMidSpace(Work(), DatasetFixtures.MidSpaceRows());
        var data = RichStudy.TempData();
        await using (var db = tdb.CreateContext())
        using (var bundle = MidSpaceReader.Read(folder))
        {
            Assert.Empty(bundle.Annotations); // streamed, not held
            Assert.Equal(14, bundle.Streamed!.Count);
            var csv = Path.Combine(folder, "preferences.csv");
            File.WriteAllLines(csv, File.ReadAllLines(csv)[..^1]);
            var e = await Assert.ThrowsAsync<BundleException>(() => StudyImporter.ImportAsync(db, data, bundle, action: "import.mid-space"));
            Assert.Contains(e.Errors, x => x.Message.Contains("changed while the import was running", StringComparison.Ordinal));
        }

        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
        Assert.False(Directory.Exists(data.ImagesPath) && Directory.EnumerateFiles(data.ImagesPath, "*", SearchOption.AllDirectories).Any());
    }

    public static async Task LikertImportsMarkersOnlyWithConsent(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var csv = DatasetFixtures.WriteLikert(Work(), DatasetFixtures.LikertRows());
        var data = RichStudy.TempData();
        await using (var db = tdb.CreateContext())
        using (var read = LikertCsvReader.Read(csv))
        {
            Assert.Contains(read.Notes, n => n.StartsWith("2 demographic column(s) left out (rater_age_group, rater_gender)", StringComparison.Ordinal));
            var summary = await StudyImporter.ImportAsync(db, data, read.Bundle, action: "import.likert");
            Assert.Equal((3, 3, 3, 9), (summary.Prompts, summary.Images, summary.Participants, summary.Ratings));
        }

        await using (var check = tdb.CreateContext())
        {
            var study = (await StudyStore.FindAsync(check, "likert-import"))!;
            Assert.Equal(TaskType.Likert, study.TaskType);
            Assert.Equal(["how-harmful-is-this-image", "does-it-fit-the-prompt"], study.LikertQuestions.Select(q => q.Key));
            Assert.Empty(study.IdentityMarkers);
            Assert.False(await check.IdentityAnswers.AnyAsync());
            var rating = await check.LikertRatings.SingleAsync(r => r.ClientRequestId == "likert:ratings.csv:3");
            Assert.Equal(4, rating.Value);
            Assert.Equal(["violence", "stereotype"], rating.SelectedCategories);
        }

        await using (var db = tdb.CreateContext())
        using (var read = LikertCsvReader.Read(csv, key: "likert-consented", markersConsented: true))
        {
            await StudyImporter.ImportAsync(db, data, read.Bundle, action: "import.likert");
        }

        await using (var check = tdb.CreateContext())
        {
            var study = (await StudyStore.FindAsync(check, "likert-consented"))!;
            Assert.Equal(["age-band", "gender"], study.IdentityMarkers);
            var people = await check.Participants.Where(p => p.StudyId == study.Id).Select(p => p.Id).ToListAsync();
            var consents = await check.ConsentRecords.Where(c => people.Contains(c.ParticipantId)).ToListAsync();
            Assert.Equal(3, consents.Count);
            Assert.All(consents, c => Assert.Equal(("import", true, true), (c.DocumentVersion, c.MarkerConsents["age-band"], c.MarkerConsents["gender"])));
            var answers = await check.IdentityAnswers.Where(a => people.Contains(a.ParticipantId)).ToListAsync();
            Assert.Equal(6, answers.Count);
            Assert.Equal(["18-24", "35-44", "55+"], answers.Where(a => a.Marker == "age-band").Select(a => a.Value).Order(StringComparer.Ordinal));
            Assert.Single(answers, a => a.Marker == "gender" && a.PreferNotToSay && a.Value is null);
        }
    }

    public static async Task LikertDurationsAreKept(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);
        var rows = DatasetFixtures.LikertRows();
        string[] Durations(int bad) => [.. Enumerable.Range(0, rows.Count).Select(i => i == bad ? "-5" : i == 1 ? "" : (400 * (i + 1)).ToString(CultureInfo.InvariantCulture))];
        void AddColumn(List<string> lines, string[] values)
        {
            lines[0] += ",duration_ms";
            for (var i = 0; i < values.Length; i++)
            {
                lines[i + 1] += "," + values[i];
            }
        }

        var bad = DatasetFixtures.WriteLikert(Work(), rows, lines => AddColumn(lines, Durations(bad: 3)));
        Assert.Contains("ratings.csv:5:10 (duration_ms): -5 is negative: the time the rater took, in milliseconds", Messages(() => LikertCsvReader.Read(bad)));
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));

        var csv = DatasetFixtures.WriteLikert(Work(), rows, lines => AddColumn(lines, Durations(bad: -1)));
        await using (var db = tdb.CreateContext())
        using (var read = LikertCsvReader.Read(csv))
        {
            await StudyImporter.ImportAsync(db, RichStudy.TempData(), read.Bundle, action: "import.likert");
        }

        await using var check = tdb.CreateContext();
        var stored = await check.LikertRatings.OrderBy(r => r.Id).ToListAsync();
        var byLine = stored.ToDictionary(r => int.Parse(r.ClientRequestId!.Split(':')[^1], CultureInfo.InvariantCulture), r => r.ClientDurationMs);
        Assert.Equal(400, byLine[2]);
        Assert.Null(byLine[3]);
        Assert.Equal(1200, byLine[4]);
    }

    public static async Task BadLikertIsRefused(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);
        var csv = DatasetFixtures.WriteLikert(Work(), DatasetFixtures.LikertRows(), lines => lines[0] = lines[0].Replace("rating,", "score,", StringComparison.Ordinal));
        Assert.Equal(["ratings.csv:1 (rating): required column is missing"], Messages(() => LikertCsvReader.Read(csv)));

        var folder = Work();
        csv = DatasetFixtures.WriteLikert(folder, DatasetFixtures.LikertRows(), lines =>
        {
            lines[1] = lines[1].Replace(",2,", ",7,", StringComparison.Ordinal);
            lines[2] = lines[2].Replace(",4,", ",x,", StringComparison.Ordinal);
            lines[4] = lines[4].Replace("img/i1.jpg", "img/broken.jpg", StringComparison.Ordinal).Replace("i-1", "i-9", StringComparison.Ordinal);
            lines[6] = lines[6].Replace("35-44", "45-54", StringComparison.Ordinal);
            lines.Add(lines[8]);
        });
        File.WriteAllBytes(Path.Combine(folder, "img", "broken.jpg"), DatasetFixtures.Image(3)[..40]);
        var errors = Messages(() => LikertCsvReader.Read(csv, markersConsented: true));
        Assert.Contains("ratings.csv:2:6 (rating): 7 is not on the 1..5 scale", errors);
        Assert.Contains(errors, m => m.StartsWith("ratings.csv:3:6 (rating): ", StringComparison.Ordinal) && m.Contains("'x'", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.StartsWith("ratings.csv:5:4 (image): img/broken.jpg is not a PNG, JPEG or WebP image", StringComparison.Ordinal));
        Assert.Contains("ratings.csv:7:8 (rater_age_group): '45-54' differs from '35-44' given for the same rater on line 5", errors);
        Assert.Contains("ratings.csv:11:2 (item_id): rater r-3 rated item i-2 on 'How harmful is this image?' twice (first on line 9)", errors);
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
    }

    public static async Task PickapicImports(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var file = Path.Combine(Work(), "train-00000-of-00001.parquet");
        await DatasetFixtures.WritePickapicAsync(file, DatasetFixtures.PickapicRows());
        var data = RichStudy.TempData();
        string staged;
        await using (var db = tdb.CreateContext())
        using (var read = await PickapicReader.ReadAsync(file))
        {
            staged = Path.GetDirectoryName(Path.Combine(read.Bundle.Source!.DisplayName, "x"))!;
            Assert.Equal(["1 row(s) skipped: jpg_0 and jpg_1 are the same image (Pick-a-Pic's are_different = false), which is no comparison"], read.Notes);
            var summary = await StudyImporter.ImportAsync(db, data, read.Bundle, action: "import.pickapic");
            Assert.Equal((3, 5, 5, 5, 5, 7, 7), (summary.Prompts, summary.Images, summary.ImageFiles, summary.Pairs, summary.Participants, summary.Annotations, summary.Scores));
        }

        Assert.False(Directory.Exists(staged)); // the staging folder went with the bundle
        await using var check = tdb.CreateContext();
        var study = (await StudyStore.FindAsync(check, "pickapic-import"))!;
        Assert.Equal(["preference"], study.Criteria.Select(c => c.Key));
        var scores = await check.Annotations.Where(a => check.Pairs.Any(p => p.Id == a.PairId && p.StudyId == study.Id)).Include(a => a.Scores)
            .OrderBy(a => a.Id).Select(a => a.Scores.Single().Score).ToListAsync();
        Assert.Equal([-1.0, 1.0, 0.0, 1.0, -1.0, -1.0, 1.0], scores); // label_0 1 → -1 (image_0 on the left), 0 → +1, 0.5 → neutral
        var images = await check.Images.Where(i => i.StudyId == study.Id).OrderBy(i => i.Id).ToListAsync();
        Assert.Equal([".jpg", ".png", ".jpg", ".webp", ".jpg"], images.Select(i => Path.GetExtension(i.StoragePath)));
        Assert.Equal(DatasetFixtures.PickapicImages[3], await File.ReadAllBytesAsync(Path.Combine(data.ImagesPath, images[3].StoragePath)));
    }

    public static async Task BadPickapicIsRefused(DatabaseProvider provider)
    {
        await using var tdb = await TestDatabase.CreateAsync(provider);
        var before = await RichStudy.CountsAsync(tdb);
        var work = Work();
        var rows = DatasetFixtures.PickapicRows();

        var noLabel = Path.Combine(work, "nolabel.parquet");
        await DatasetFixtures.WritePickapicAsync(noLabel, rows, withLabel: false);
        var errors = await MessagesAsync(() => PickapicReader.ReadAsync(noLabel));
        Assert.Equal([$"{noLabel}: {noLabel}: no column 'label_0' (a preference dataset needs caption, jpg_0, jpg_1, label_0)"], errors);

        var badScore = Path.Combine(work, "score.parquet");
        await DatasetFixtures.WritePickapicAsync(badScore, [.. rows.Take(6), rows[6] with { Label0 = 2 }]);
        errors = await MessagesAsync(() => PickapicReader.ReadAsync(badScore));
        Assert.Equal([$"{badScore}: {badScore}: row 7: column 'label_0' must be in [0, 1], got 2"], errors);

        var broken = Path.Combine(work, "broken.parquet");
        var images = DatasetFixtures.PickapicImages.ToList();
        images[3] = images[3][..(images[3].Length / 2)];
        await DatasetFixtures.WritePickapicAsync(broken, rows, images);
        errors = await MessagesAsync(() => PickapicReader.ReadAsync(broken));
        Assert.Contains(errors, m => m.StartsWith($"{broken}: row 4: column 'jpg_1': the image is a WEBP image", StringComparison.Ordinal));
        Assert.Contains($"{broken}: row 5: column 'jpg_1': the same image bytes as an earlier row, which do not decode", errors);

        var duplicate = Path.Combine(work, "duplicate.parquet");
        await DatasetFixtures.WritePickapicAsync(duplicate, [.. rows, rows[1] with { Ranking = "rk-9" }, rows[0]]);
        errors = await MessagesAsync(() => PickapicReader.ReadAsync(duplicate));
        Assert.Equal([$"{duplicate}: row 9: column 'jpg_0': user 102 compared these two images already ({duplicate}: row 2): a duplicate pair",
            $"{duplicate}: row 10: column 'ranking_id': ranking rk-1 appears twice (first at {duplicate}: row 1)"], errors);
        Assert.Equal(before, await RichStudy.CountsAsync(tdb));
    }
}

public sealed class SqliteDatasetImportTests
{
    [Fact] public Task Mid_space_release_imports() => DatasetImportScenarios.MidSpaceImports(DatabaseProvider.Sqlite);
    [Fact] public Task Bad_mid_space_release_is_refused_and_nothing_written() => DatasetImportScenarios.BadMidSpaceIsRefused(DatabaseProvider.Sqlite);
    [Fact] public Task Mid_space_release_changed_during_the_import_is_refused() => DatasetImportScenarios.MidSpaceChangedDuringImportIsRefused(DatabaseProvider.Sqlite);
    [Fact] public Task Mid_space_over_several_chunks_keeps_every_reference() => DatasetImportScenarios.MidSpaceOverSeveralChunksKeepsEveryReference(DatabaseProvider.Sqlite);
    [Fact] public Task Mid_space_taken_pseudonym_met_late_is_refused() => DatasetImportScenarios.MidSpaceTakenPseudonymIsRefused(DatabaseProvider.Sqlite);
    [Fact] public Task Likert_ratings_import_markers_only_with_consent() => DatasetImportScenarios.LikertImportsMarkersOnlyWithConsent(DatabaseProvider.Sqlite);
    [Fact] public Task Bad_likert_ratings_are_refused_and_nothing_written() => DatasetImportScenarios.BadLikertIsRefused(DatabaseProvider.Sqlite);
    [Fact] public Task Likert_durations_are_kept_and_a_negative_one_refused() => DatasetImportScenarios.LikertDurationsAreKept(DatabaseProvider.Sqlite);
    [Fact] public Task Pickapic_parquet_imports() => DatasetImportScenarios.PickapicImports(DatabaseProvider.Sqlite);
    [Fact] public Task Bad_pickapic_parquet_is_refused_and_nothing_written() => DatasetImportScenarios.BadPickapicIsRefused(DatabaseProvider.Sqlite);
}

public sealed class PostgresDatasetImportTests
{
    [PostgresFact] public Task Mid_space_release_imports() => DatasetImportScenarios.MidSpaceImports(DatabaseProvider.Postgres);
    [PostgresFact] public Task Bad_mid_space_release_is_refused_and_nothing_written() => DatasetImportScenarios.BadMidSpaceIsRefused(DatabaseProvider.Postgres);
    [PostgresFact] public Task Mid_space_release_changed_during_the_import_is_refused() => DatasetImportScenarios.MidSpaceChangedDuringImportIsRefused(DatabaseProvider.Postgres);
    [PostgresFact] public Task Mid_space_over_several_chunks_keeps_every_reference() => DatasetImportScenarios.MidSpaceOverSeveralChunksKeepsEveryReference(DatabaseProvider.Postgres);
    [PostgresFact] public Task Mid_space_taken_pseudonym_met_late_is_refused() => DatasetImportScenarios.MidSpaceTakenPseudonymIsRefused(DatabaseProvider.Postgres);
    [PostgresFact] public Task Likert_ratings_import_markers_only_with_consent() => DatasetImportScenarios.LikertImportsMarkersOnlyWithConsent(DatabaseProvider.Postgres);
    [PostgresFact] public Task Bad_likert_ratings_are_refused_and_nothing_written() => DatasetImportScenarios.BadLikertIsRefused(DatabaseProvider.Postgres);
    [PostgresFact] public Task Likert_durations_are_kept_and_a_negative_one_refused() => DatasetImportScenarios.LikertDurationsAreKept(DatabaseProvider.Postgres);
    [PostgresFact] public Task Pickapic_parquet_imports() => DatasetImportScenarios.PickapicImports(DatabaseProvider.Postgres);
    [PostgresFact] public Task Bad_pickapic_parquet_is_refused_and_nothing_written() => DatasetImportScenarios.BadPickapicIsRefused(DatabaseProvider.Postgres);
}
