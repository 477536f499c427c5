using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Embedders;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Selection;

namespace Pluralist.Pipeline.Tests.Selection;

/// <summary>Selection on real generator output: world renders of a few prompts, 12 variants each on the default grid.</summary>
public sealed class WorldSelectionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-world-sel-");

    public void Dispose() => _dir.Delete(true);

    private async Task RenderAsync()
    {
        var prompts = new[]
        {
            new GenerationPrompt("1", "a park with benches under trees"),
            new GenerationPrompt("2", "a plaza with a fountain and cafe tables"),
            new GenerationPrompt("3", "a bus stop with a shelter at night"),
            new GenerationPrompt("4", "une ruelle verte avec des enfants"),
        };
        var summary = await new GenerationJob(new WorldImageGenerator(), new GenerationJobOptions { OutputFolder = _dir.FullName, Variants = 12, Width = 48, Height = 48, Seed = 3 }).RunAsync(prompts);
        Assert.Equal(48, summary.Generated);
    }

    [Fact]
    public async Task On_world_renders_the_greedy_fours_have_a_higher_vendi_score_than_random_fours_on_average()
    {
        await RenderAsync();
        var report = FolderSelection.Run(_dir.FullName, new ColorLayoutEmbedder(), new SelectionOptions { K = 4, RandomDraws = 50, Seed = 1 });
        Assert.Equal(4, report.Results.Count);
        Assert.True(report.MeanVendiSelected > report.MeanVendiRandom, $"selected {report.MeanVendiSelected} vs random {report.MeanVendiRandom}");
        Assert.All(report.Results, r => Assert.True(r.VendiSelected >= r.VendiRandomMean, $"prompt {r.PromptId}: {r.VendiSelected} vs {r.VendiRandomMean}"));
    }

    [Fact]
    public async Task With_the_shipped_world_clip_the_greedy_fours_beat_random_and_quality_weighting_reads_the_prompt_texts()
    {
        await RenderAsync();
        var clip = Clip.ShippedWorldClipTests.Load();
        var greedy = FolderSelection.Run(_dir.FullName, clip.ImageEmbedder(), new SelectionOptions { K = 4, RandomDraws = 50, Seed = 1 });
        Assert.True(greedy.MeanVendiSelected > greedy.MeanVendiRandom, $"selected {greedy.MeanVendiSelected} vs random {greedy.MeanVendiRandom}");

        var scores = new List<double>();
        var quality = ClipQuality.ImageText(_dir.FullName, clip.Model, clip.Tokenizer);
        var weighted = FolderSelection.Run(_dir.FullName, clip.ImageEmbedder(), new SelectionOptions { K = 4, Method = SelectionMethod.QualityWeighted, RandomDraws = 10 }, quality: r =>
        {
            var q = quality(r);
            scores.Add(q);
            return q;
        });
        Assert.Equal(48, scores.Count);
        Assert.True(scores.Distinct().Count() > 10, "every image gets its own image-text score");
        Assert.All(scores, q => Assert.InRange(q, 0, 1));
        Assert.Equal(4, weighted.Results.Count);
        Assert.Contains("world-clip", File.ReadAllText(Path.Combine(_dir.FullName, "selection.csv")), StringComparison.Ordinal);
    }
}
