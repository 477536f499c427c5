using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;

namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist study evaluation</c>: matched seeds per prompt, held-out prompts checked against the training dataset.</summary>
public class StudyEvaluationCommandTests
{
    private static readonly string[] Data = ["--data", "d"];

    private static DatabaseOptions Options(string dir) => new(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir, "d", "pluralist.db")}");

    /// <summary>
    /// Three prompts: "a quiet park" with base seeds 1, 2, 3 and aligned seeds 2, 3, 4 (two in common); "a busy plaza" with
    /// base seed 5 and aligned seed 6 (none in common); "a street at night" without seeds (two images each).
    /// </summary>
    private static async Task<string> StudyAsync()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, ["init", .. Data]).Code);
        await using var db = PluralistDatabase.CreateContext(Options(dir));
        var study = await db.Studies.SingleAsync(s => s.Key == "livs-default");
        var now = DateTimeOffset.UtcNow;
        var hash = 0;
        var prompts = new Dictionary<string, Prompt>();
        foreach (var text in new[] { "A quiet park", "A busy plaza", "A street at night" })
        {
            prompts[text] = db.Prompts.Add(new Prompt { StudyId = study.Id, Text = text, CreatedAt = now }).Entity;
        }

        await db.SaveChangesAsync();
        void Add(string prompt, string generator, long? seed) => db.Images.Add(new Image
        {
            StudyId = study.Id,
            PromptId = prompts[prompt].Id,
            Generator = generator,
            Seed = seed,
            Width = 8,
            Height = 8,
            ContentHash = (++hash).ToString("x64", System.Globalization.CultureInfo.InvariantCulture),
            StoragePath = $"img/{hash}.png",
            CreatedAt = now,
        });

        foreach (var seed in new long[] { 1, 2, 3 })
        {
            Add("A quiet park", "base", seed);
        }

        foreach (var seed in new long[] { 4, 3, 2 })
        {
            Add("A quiet park", "aligned", seed);
        }

        Add("A busy plaza", "base", 5);
        Add("A busy plaza", "aligned", 6);
        Add("A street at night", "base", null);
        Add("A street at night", "base", null);
        Add("A street at night", "aligned", null);
        Add("A street at night", "aligned", null);
        await db.SaveChangesAsync();
        return dir;
    }

    [Fact]
    public async Task Pairs_share_their_seed_prompts_without_a_common_seed_get_none_and_nothing_is_made_twice()
    {
        var dir = await StudyAsync();
        var (code, output, err) = CliRunner.Run(dir, ["study", "evaluation", "livs-default", "--aligned", "aligned", "--base", "base", "--seeds", "3", .. Data]);
        Assert.True(code == 0, err);
        Assert.Contains("created 4 evaluation pairs over 2 prompts in study livs-default: 2 with the same seed for both models, 2 of images without seeds", output, StringComparison.Ordinal);
        Assert.Contains("no seed in common, no pair: 'A busy plaza'", output, StringComparison.Ordinal);

        await using (var db = PluralistDatabase.CreateContext(Options(dir)))
        {
            var texts = await db.Prompts.ToDictionaryAsync(p => p.Id, p => p.Text);
            var images = await db.Images.ToDictionaryAsync(i => i.Id);
            var pairs = await db.Pairs.Where(p => p.Kind == PairKind.Evaluation).ToListAsync();
            var park = pairs.Where(p => texts[images[p.Image0Id].PromptId] == "A quiet park").ToList();
            Assert.Equal([2L, 3L], park.Select(p => images[p.Image0Id].Seed!.Value).Order());
            Assert.All(park, p => Assert.Equal(images[p.Image0Id].Seed, images[p.Image1Id].Seed));
            Assert.All(pairs, p => Assert.Equal(("base", "aligned"), (images[p.Image0Id].Generator, images[p.Image1Id].Generator)));
            Assert.Equal(2, pairs.Count(p => texts[images[p.Image0Id].PromptId] == "A street at night"));
        }

        // Again, with one seed per prompt: every pair it would make exists already.
        (code, output, err) = CliRunner.Run(dir, ["study", "evaluation", "livs-default", "--aligned", "aligned", "--base", "base", .. Data]);
        Assert.True(code == 0, err);
        Assert.Contains("created 0 evaluation pairs", output, StringComparison.Ordinal);
        Assert.Contains("2 existed already", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_of_the_training_split_is_refused_by_name_and_nothing_is_stored_unless_left_out()
    {
        var dir = await StudyAsync();
        var training = Path.Combine(dir, "trained");
        Directory.CreateDirectory(training);
        File.WriteAllLines(Path.Combine(training, "pairs.jsonl"),
        [
            """{"caption": "a  QUIET park ", "jpg_0": "images/1.png", "jpg_1": "images/2.png", "label_0": 1, "split": "train"}""",
            """{"caption": "A street at night", "jpg_0": "images/3.png", "jpg_1": "images/4.png", "label_0": 0, "split": "test"}""",
        ]);

        var (code, _, err) = CliRunner.Run(dir, ["study", "evaluation", "livs-default", "--aligned", "aligned", "--base", "base", "--training", "trained", .. Data]);
        Assert.Equal(1, code);
        Assert.Contains("1 prompt(s) of the evaluation are in the training dataset's train split", err, StringComparison.Ordinal);
        Assert.Contains("'A quiet park'", err, StringComparison.Ordinal);
        Assert.DoesNotContain("street", err, StringComparison.Ordinal); // a test-split caption is held out
        await using (var db = PluralistDatabase.CreateContext(Options(dir)))
        {
            Assert.False(await db.Pairs.AnyAsync(p => p.Kind == PairKind.Evaluation));
        }

        string output;
        (code, output, err) = CliRunner.Run(dir, ["study", "evaluation", "livs-default", "--aligned", "aligned", "--base", "base", "--training", "trained", "--skip-trained", .. Data]);
        Assert.True(code == 0, err);
        Assert.Contains("in the training dataset, left out: 'A quiet park'", output, StringComparison.Ordinal);
        Assert.Contains("created 1 evaluation pairs over 1 prompts", output, StringComparison.Ordinal);

        // Bad input: a missing training folder, --skip-trained alone, an unknown generator.
        (code, _, err) = CliRunner.Run(dir, ["study", "evaluation", "livs-default", "--aligned", "aligned", "--base", "base", "--training", "nowhere", .. Data]);
        Assert.Equal((1, true), (code, err.Contains("--training nowhere: no such folder", StringComparison.Ordinal)));
        (code, _, err) = CliRunner.Run(dir, ["study", "evaluation", "livs-default", "--aligned", "aligned", "--base", "base", "--skip-trained", .. Data]);
        Assert.Equal((1, true), (code, err.Contains("--skip-trained needs --training", StringComparison.Ordinal)));
        (code, _, err) = CliRunner.Run(dir, ["study", "evaluation", "livs-default", "--aligned", "sdxl-lora", "--base", "base", .. Data]);
        Assert.Equal((1, true), (code, err.Contains("'sdxl-lora' made no image of study 'livs-default'", StringComparison.Ordinal)));
    }
}
