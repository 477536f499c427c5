using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Participation;

namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist study pool add</c> and <c>study pairs build</c>: generator output becomes a pool, pairs, answers and a report, with no hand-written pool file.</summary>
public class StudyPoolCommandTests
{
    private static readonly string[] Data = ["--data", "d"];

    /// <summary>Human and template prompts, rendered by the world backend, narrowed by selection; the pool keeps where each prompt came from.</summary>
    private static string Generate()
    {
        var dir = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(dir, "p.txt"), "A park with benches under trees\nA plaza with a fountain at night\n");
        Assert.Equal(0, CliRunner.Run(dir, "prompts", "import", "p.txt", "--out", "prompts").Code);
        Assert.Equal(0, CliRunner.Run(dir, "prompts", "augment", "prompts", "--strategy", "template", "--variants", "1").Code);
        var (code, _, err) = CliRunner.Run(dir, "images", "generate", "prompts", "--backend", "world", "--variants", "4", "--size", "32", "--out", "run");
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(dir, "images", "select", "run", "--k", "3", "--embedder", "color-layout", "--random-draws", "5");
        Assert.True(code == 0, err);
        Assert.Equal(0, CliRunner.Run(dir, ["init", .. Data]).Code);
        return dir;
    }

    private static DatabaseOptions Options(string dir) => new(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir, "d", "pluralist.db")}");

    [Fact]
    public async Task Generated_and_selected_images_become_a_pool_pairs_answers_and_a_report_by_prompt_source()
    {
        var dir = Generate();
        var (code, output, err) = CliRunner.Run(dir, ["study", "pool", "add", "livs-default", "run", .. Data]);
        Assert.True(code == 0, err);
        Assert.Contains("added 12 images of 4 prompts to study livs-default (prompt sources: human 6, template 6; generators: pluralist-world/1)", output, StringComparison.Ordinal);
        (code, output, err) = CliRunner.Run(dir, ["study", "pairs", "build", "livs-default", .. Data]);
        Assert.True(code == 0, err);
        Assert.Contains("built 12 pairs in study livs-default", output, StringComparison.Ordinal);

        await using (var db = PluralistDatabase.CreateContext(Options(dir)))
        {
            var study = await db.Studies.Include(s => s.Batches).Include(s => s.Criteria).SingleAsync(s => s.Key == "livs-default");
            var images = await db.Images.Where(i => i.StudyId == study.Id).ToListAsync();
            var prompts = await db.Prompts.Where(p => p.StudyId == study.Id).ToListAsync();
            Assert.Equal([PromptSource.Human, PromptSource.Template], prompts.Select(p => p.Source).Distinct().Order());
            Assert.All(images, i => Assert.Equal("pluralist-world/1", i.Generator));
            Assert.All(images, i => Assert.NotNull(i.Seed));
            Assert.All(images, i => Assert.StartsWith("{", i.Parameters, StringComparison.Ordinal));
            Assert.Single(await db.AuditEntries.Where(a => a.Action == "images.upload" && a.ActorParticipantId == null).ToListAsync());

            // A participant answers every pair offered through the participation use cases, so that both prompt
            // sources have answers (two random pairs were both of human prompts about one run in four).
            var participant = new Participant { StudyId = study.Id, Pseudonym = "P-POOL", PreferredLanguage = "en", CreatedAt = DateTimeOffset.UtcNow };
            db.Participants.Add(participant);
            await db.SaveChangesAsync();
            db.ConsentRecords.Add(new ConsentRecord { ParticipantId = participant.Id, DocumentVersion = "1", Language = "en", ConsentedAt = DateTimeOffset.UtcNow, MarkerConsents = [] });
            await db.SaveChangesAsync();
            var store = new ParticipationStore(db, TimeProvider.System);
            using var counts = new CriteriaCounts();
            var sessions = new SessionProgress(store);
            var quotas = new QuotaPlaces(store, counts);
            var next = new NextAssignment(store, sessions, quotas, new NextRating(store, sessions, quotas, new LikertItemTokens(new NoItems())), counts);
            var answered = 0;
            while (await next.NextAsync(participant, study, "en", CancellationToken.None) is NextStep.Task task)
            {
                var i = answered++;
                var request = new SubmitRequest($"answer-{i}", [.. task.Criteria.Select((c, k) => new ScoreInput(c.Key, k == 0 ? 0.5 : -0.25))], null, 1500);
                Assert.Empty(SubmitAnswer.Validate(task.Assignment, request, study.SliderSteps));
                await new SubmitAnswer(store).SubmitAsync(task.Assignment, study, request, "en", CancellationToken.None);
                Assert.True(answered <= 12, "more tasks than pairs");
            }

            var answeredSources = await (from a in db.Annotations
                                         join pair in db.Pairs on a.PairId equals pair.Id
                                         join image in db.Images on pair.Image0Id equals image.Id
                                         join prompt in db.Prompts on image.PromptId equals prompt.Id
                                         where a.ParticipantId == participant.Id
                                         select prompt.Source).Distinct().ToListAsync();
            Assert.Equal([PromptSource.Human, PromptSource.Template], answeredSources.Order());
        }

        (code, output, err) = CliRunner.Run(dir, ["analyze", "study", "livs-default", "--out", "report.html", "--tables", "tables", "--permutations", "20", "--bootstrap", "20", .. Data]);
        Assert.True(code == 0, err);
        var perSource = File.ReadAllText(Path.Combine(dir, "tables", "answers_per_prompt_source.csv"));
        Assert.Contains("human", perSource, StringComparison.Ordinal);
        Assert.Contains("template", perSource, StringComparison.Ordinal);
        Assert.Contains("template", File.ReadAllText(Path.Combine(dir, "report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_or_altered_image_or_one_over_the_pixel_limit_is_located_and_nothing_is_stored()
    {
        var dir = Generate();
        var selection = File.ReadAllLines(Path.Combine(dir, "run", "selection.csv"));
        var victim = selection[2].Split(',')[2];
        var manifest = File.ReadAllLines(Path.Combine(dir, "run", "manifest.csv"));
        var line = Array.FindIndex(manifest, l => l.Contains(victim, StringComparison.Ordinal)) + 1;

        var (code, _, err) = CliRunner.RunWith(new Dictionary<string, string> { ["Pluralist__Imports__MaxImagePixels"] = "100" }, dir, ["study", "pool", "add", "livs-default", "run", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("manifest.csv:", err, StringComparison.Ordinal);
        Assert.Contains("pixel", err, StringComparison.OrdinalIgnoreCase);

        File.WriteAllBytes(Path.Combine(dir, "run", victim), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        (code, _, err) = CliRunner.Run(dir, ["study", "pool", "add", "livs-default", "run", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains($"manifest.csv:{line}", err, StringComparison.Ordinal);
        Assert.Contains($"{victim} cannot be read as an image", err, StringComparison.Ordinal);

        // A selection naming a file the manifest does not list as rendered.
        File.WriteAllLines(Path.Combine(dir, "run", "selection.csv"), [.. selection, "9,0,images/9/000.png,,1,color-layout/1,greedy"]);
        (code, _, err) = CliRunner.Run(dir, ["study", "pool", "add", "livs-default", "run", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains($"selection.csv:{selection.Length + 1}", err, StringComparison.Ordinal);
        Assert.Contains("images/9/000.png is not an image the manifest lists as rendered", err, StringComparison.Ordinal);

        await using var db = PluralistDatabase.CreateContext(Options(dir));
        Assert.Equal(0, await db.Images.CountAsync(i => i.Generator == "pluralist-world/1"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir, "d"), "*.png", SearchOption.AllDirectories));
    }

    private sealed class NoItems : IItemProtector
    {
        public string Protect(string payload, TimeSpan lifetime) => throw new InvalidOperationException("a pairwise study rates no images");

        public string? Unprotect(string token) => null;
    }
}
