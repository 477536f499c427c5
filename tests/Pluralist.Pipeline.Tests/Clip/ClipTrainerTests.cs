using Pluralist.Pipeline.Clip;

namespace Pluralist.Pipeline.Tests.Clip;

public sealed class ClipTrainerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-clip-train-");

    public void Dispose() => _dir.Delete(true);

    private static ClipTrainOptions Tiny(int steps) => new()
    {
        Steps = steps,
        BatchSize = 16,
        Examples = 48,
        LearningRate = 3e-3f,
        WarmupSteps = 3,
        CheckpointEvery = 10,
        ImageSize = 16,
        PatchSize = 8,
        VisionWidth = 16,
        VisionLayers = 1,
        VisionHeads = 2,
        TextWidth = 16,
        TextLayers = 1,
        TextHeads = 2,
        ProjectionDim = 16,
        Merges = 200,
    };

    [Fact]
    public void Bpe_learns_frequent_words_as_single_tokens_in_the_clip_vocabulary_layout()
    {
        var (vocab, merges) = ClipBpe.Train(["a park with trees", "a park at night", "the park"], maxMerges: 50, minCount: 1);
        ClipBpe.Save(_dir.FullName, vocab, merges);
        var tok = ClipTokenizer.Load(Path.Combine(_dir.FullName, "vocab.json"), Path.Combine(_dir.FullName, "merges.txt"));
        Assert.Equal(["a</w>", "park</w>", "with</w>"], tok.Tokenize("A park with"));
        Assert.Equal(vocab.Count - 1, tok.EndId); // the end token has the largest id, as the text tower's pooling expects
        Assert.Equal(512, vocab["<|startoftext|>"] - merges.Select(m => m.Left + m.Right).Distinct().Count());
        Assert.Equal("a park at night", tok.Decode(tok.Encode("a park at night")));
    }

    [Fact]
    public void A_tiny_model_trained_a_few_steps_lowers_the_contrastive_loss_resumes_and_loads_as_a_clip_checkpoint()
    {
        var progress = new List<ClipTrainProgress>();
        var first = ClipTrainer.Train(_dir.FullName, Tiny(10), new SyncProgress<ClipTrainProgress>(progress.Add));
        Assert.Equal(0, first.StartStep);
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "checkpoint.safetensors")));
        // A longer run in another folder: the loss falls clearly.
        var resumed = ClipTrainer.Train(Path.Combine(_dir.FullName, "long"), Tiny(60));
        var losses = File.ReadAllLines(Path.Combine(_dir.FullName, "long", "train.log")).Where(l => l.Length > 0 && char.IsDigit(l[0]))
            .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(60, losses.Length);
        Assert.True(losses[^5..].Average() < losses[..5].Average() - 0.3, $"loss {losses[..5].Average():0.###} -> {losses[^5..].Average():0.###}");
        Assert.True(resumed.LastLoss < resumed.FirstLoss);
        Assert.Contains(progress, p => p.Phase == "train" && p.Step == 10);

        var clip = WorldClip.Load(Path.Combine(_dir.FullName, "long"));
        Assert.Equal(16, clip.Model.Config.ImageSize);
        Assert.Equal("world-clip", clip.ImageEmbedder().Name);
        // On its own training renders, retrieval beats chance (1/48 top-1) clearly.
        var train = WorldCaptions.Render(48, WorldCaptions.TrainSeed, 16);
        var scores = RetrievalScores.ImageText(clip, train);
        Assert.True(scores.ImageToTextTop5 + scores.TextToImageTop5 > 2 * 2 * scores.ChanceTop5, $"{scores}");
    }

    [Fact]
    public void An_interrupted_run_resumes_from_its_checkpoint_with_the_same_batches()
    {
        var full = Path.Combine(_dir.FullName, "full");
        var cut = Path.Combine(_dir.FullName, "cut");
        ClipTrainer.Train(full, Tiny(20));
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => ClipTrainer.Train(cut, Tiny(20), new SyncProgress<ClipTrainProgress>(p =>
        {
            if (p.Phase == "train" && p.Step == 12)
            {
                cts.Cancel();
            }
        }), cts.Token));
        Assert.True(File.Exists(Path.Combine(cut, "checkpoint.safetensors")));
        var r = ClipTrainer.Train(cut, Tiny(20));
        Assert.Equal(10, r.StartStep);
        var a = Pluralist.Tensors.Safetensors.Load(Path.Combine(full, "model.safetensors")).Tensors;
        var b = Pluralist.Tensors.Safetensors.Load(Path.Combine(cut, "model.safetensors")).Tensors;
        foreach (var (name, t) in a)
        {
            Assert.Equal(t.ToArray(), b[name].ToArray());
        }
    }

    [Fact]
    public void Loading_a_folder_without_the_model_or_with_a_broken_one_names_the_file()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => WorldClip.Load(_dir.FullName));
        Assert.Contains("model.safetensors", ex.Message, StringComparison.Ordinal);
        foreach (var f in new[] { "config.json", "vocab.json", "merges.txt" })
        {
            File.WriteAllText(Path.Combine(_dir.FullName, f), "{}");
        }

        File.WriteAllBytes(Path.Combine(_dir.FullName, "model.safetensors"), [1, 2, 3]);
        var bad = Assert.Throws<InvalidDataException>(() => WorldClip.Load(_dir.FullName));
        Assert.Contains("model.safetensors", bad.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
