using Pluralist.Pipeline.Clip;

namespace Pluralist.Pipeline.Tests.Clip;

/// <summary>The shipped models/world-clip weights (copied beside the test assembly by the build).</summary>
public sealed class ShippedWorldClipTests
{
    internal static WorldClip Load() => WorldClip.Load(Path.Combine(AppContext.BaseDirectory, "models", "world-clip"));

    [Fact]
    public void The_shipped_model_loads_with_its_tokenizer_and_config()
    {
        var clip = Load();
        Assert.Equal(32, clip.Model.Config.ImageSize);
        Assert.Equal(clip.Tokenizer.VocabularySize, clip.Model.Config.VocabularySize);
        Assert.Equal(clip.Tokenizer.VocabularySize - 1, clip.Tokenizer.EndId);
        Assert.Equal(["a</w>", "park</w>", "at</w>", "night</w>"], clip.Tokenizer.Tokenize("A park at night"));
    }

    [Fact]
    public void On_fresh_renders_image_text_retrieval_beats_chance_clearly_in_both_directions()
    {
        // Seeds far from the training seeds and from the evaluation of docs/pipeline.md.
        var items = WorldCaptions.Render(40, WorldCaptions.HeldOutSeed + 500_000, 32);
        var scores = RetrievalScores.ImageText(Load(), items);
        Assert.True(scores.ImageToTextTop5 >= 3 * scores.ChanceTop5, $"{scores}");
        Assert.True(scores.TextToImageTop5 >= 3 * scores.ChanceTop5, $"{scores}");
        Assert.True(scores.ImageToTextTop1 >= 3 * scores.ChanceTop1, $"{scores}");
    }

    [Fact]
    public void Same_scene_retrieval_with_world_clip_beats_chance()
    {
        var items = WorldCaptions.Render(30, WorldCaptions.HeldOutSeed + 600_000, 32);
        var (top1, _) = RetrievalScores.SameScene(Load().ImageEmbedder(), items);
        Assert.True(top1 >= 5.0 / items.Count, $"top-1 {top1}");
    }
}
