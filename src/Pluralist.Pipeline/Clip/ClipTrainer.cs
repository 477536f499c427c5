using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pluralist.Core.Text;
using Pluralist.Files;
using Pluralist.Pipeline.Embedders;
using Pluralist.Tensors;
using Pluralist.World.Imaging;
using Pluralist.World.Prompts;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Pipeline.Clip;

/// <summary>Trains a CLIP-style byte-level BPE vocabulary (the layout of CLIP's vocab.json and merges.txt) on a corpus.</summary>
public static class ClipBpe
{
    /// <summary>
    /// Learns up to <paramref name="maxMerges"/> merges, most frequent pair first (ties: ordinal order of the pair), until
    /// no pair occurs <paramref name="minCount"/> times. The vocabulary is CLIP's: the 256 byte characters, the same
    /// with "&lt;/w&gt;", one token per merge, then the start and end tokens (the end token has the largest id).
    /// </summary>
    public static (Dictionary<string, int> Vocab, List<(string Left, string Right)> Merges) Train(IEnumerable<string> texts, int maxMerges, int minCount = 2)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var w in ClipTokenizer.PreTokenize(text))
            {
                counts[w] = counts.GetValueOrDefault(w) + 1;
            }
        }

        var words = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: kv.Key.Select((c, i) => i == kv.Key.Length - 1 ? c + "</w>" : c.ToString()).ToList(), kv.Value)).ToList();
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var b in ClipTokenizer.ByteCharacters)
        {
            vocab[b] = vocab.Count;
        }

        foreach (var b in ClipTokenizer.ByteCharacters)
        {
            vocab[b + "</w>"] = vocab.Count;
        }

        var merges = new List<(string, string)>();
        while (merges.Count < maxMerges)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, n) in words)
            {
                for (int i = 0; i < symbols.Count - 1; i++)
                {
                    var p = (symbols[i], symbols[i + 1]);
                    pairs[p] = pairs.GetValueOrDefault(p) + n;
                }
            }

            if (pairs.Count == 0)
            {
                break;
            }

            var best = pairs.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < minCount)
            {
                break;
            }

            var (left, right) = best.Key;
            merges.Add((left, right));
            vocab.TryAdd(left + right, vocab.Count);
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i < symbols.Count - 1; i++)
                {
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = left + right;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }

        vocab[ClipTokenizer.StartToken] = vocab.Count;
        vocab[ClipTokenizer.EndToken] = vocab.Count;
        return (vocab, merges);
    }

    /// <summary>Writes <c>vocab.json</c> (ordered by id) and <c>merges.txt</c> (a <c>#version</c> line, then one merge per line), together and durably (<see cref="DurableFile.WriteAll"/>).</summary>
    public static void Save(string folder, IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        var json = new JsonObject();
        foreach (var (token, id) in vocab.OrderBy(kv => kv.Value))
        {
            json[token] = id;
        }

        var vocabJson = json.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var sb = new StringBuilder("#version: 0.2 (trained by Pluralist ClipBpe)\n");
        foreach (var (l, r) in merges)
        {
            sb.Append(l).Append(' ').Append(r).Append('\n');
        }

        // The two files belong together: both are complete on disk before either replaces its old version.
        var utf8 = new UTF8Encoding(false);
        DurableFile.WriteAll(folder,
        [
            ("vocab.json", stream => stream.Write(utf8.GetBytes(vocabJson))),
            ("merges.txt", stream => stream.Write(utf8.GetBytes(sb.ToString()))),
        ]);
    }
}

/// <summary>A rendered image with its caption.</summary>
public sealed record CaptionedImage(RgbaImage Image, string Caption, GeneratedScene Scene);

/// <summary>Captioned renders of the procedural world, the training and evaluation data of world-clip.</summary>
public static class WorldCaptions
{
    /// <summary>First seed of the training renders; held-out renders use <see cref="HeldOutSeed"/> onwards, so the two never overlap.</summary>
    public const int TrainSeed = 1_000_000;

    /// <summary>First seed of held-out renders.</summary>
    public const int HeldOutSeed = 900_000_000;

    /// <summary>
    /// <paramref name="count"/> scenes drawn from the world's prior (guidance 0: the prompt is ignored, every typology,
    /// time, weather and furnishing can appear), seeds <paramref name="firstSeed"/> onwards, rendered at
    /// <paramref name="size"/> pixels, with their English captions (SceneCaption).
    /// </summary>
    public static List<CaptionedImage> Render(int count, int firstSeed, int size, IProgress<int>? progress = null)
    {
        var list = new List<CaptionedImage>(count);
        for (int i = 0; i < count; i++)
        {
            int px = Math.Max(size, World.Scenes.SceneRenderer.MinSize); // smaller models get the render downscaled by ClipPreprocess
            var g = WorldGenerator.Generate(new World.Prompts.GenerationRequest("a public space", firstSeed + i, Guidance: 0, Steps: 30, Width: px, Height: px, Language: "en"));
            list.Add(new CaptionedImage(g.Image, g.CaptionEn, g));
            progress?.Report(i + 1);
        }

        return list;
    }

    /// <summary>The same scene rendered again with another seed (people, animals and litter move; the place stays).</summary>
    public static RgbaImage RenderAgain(CaptionedImage item, int seed)
    {
        ArgumentNullException.ThrowIfNull(item);
        var r = item.Scene.Request with { Seed = seed };
        return WorldGenerator.FromSpec(r, item.Scene.Prompt, item.Scene.Spec, item.Scene.Honoured).Image;
    }
}

/// <summary>Sizes and schedule of a contrastive CLIP training run.</summary>
public sealed record ClipTrainOptions
{
    public int Steps { get; init; } = 1500;

    public int BatchSize { get; init; } = 64;

    /// <summary>Training renders (drawn once, then sampled in batches).</summary>
    public int Examples { get; init; } = 4000;

    public float LearningRate { get; init; } = 1e-3f;

    public int WarmupSteps { get; init; } = 100;

    public float WeightDecay { get; init; } = 0.05f;

    public ulong Seed { get; init; } = 1;

    /// <summary>Checkpoint (weights, optimizer, step) every this many steps, and at the end.</summary>
    public int CheckpointEvery { get; init; } = 100;

    public int ImageSize { get; init; } = 32;

    public int PatchSize { get; init; } = 4;

    public int VisionWidth { get; init; } = 96;

    public int VisionLayers { get; init; } = 2;

    public int VisionHeads { get; init; } = 4;

    public int TextWidth { get; init; } = 64;

    public int TextLayers { get; init; } = 2;

    public int TextHeads { get; init; } = 4;

    public int ContextLength { get; init; } = 77;

    public int ProjectionDim { get; init; } = 64;

    /// <summary>BPE merges learned from the training captions.</summary>
    public int Merges { get; init; } = 1000;

    public void Validate()
    {
        if (Steps < 1 || BatchSize < 2 || Examples < BatchSize || CheckpointEvery < 1 || Merges < 0)
        {
            throw new ArgumentException($"steps ({Steps}) and checkpoint interval ({CheckpointEvery}) must be >= 1, batch ({BatchSize}) >= 2 and examples ({Examples}) >= batch");
        }
    }
}

/// <summary>Progress of a training run: the step just finished, its loss and the seconds it took.</summary>
public sealed record ClipTrainProgress(string Phase, int Step, int Steps, double Loss, double Seconds);

/// <summary>What a run did.</summary>
public sealed record ClipTrainResult(int StartStep, int Steps, double FirstLoss, double LastLoss, double MeanStepSeconds);

/// <summary>
/// Contrastive training of a small CLIP (the <see cref="ClipModel"/> architecture with checkpoint names) on captioned
/// world renders: symmetric InfoNCE (Radford et al. 2021) over a batch, loss = (CE(s·I·Tᵀ, diag) + CE(s·T·Iᵀ, diag)) / 2
/// with unit-normalised embeddings and a learned temperature s = exp(logit_scale), clamped at 100. AdamW with linear
/// warmup and cosine decay. The folder receives <c>vocab.json</c>, <c>merges.txt</c> (BPE learned from the training
/// captions), <c>config.json</c> (Hugging Face layout, so <see cref="ClipConfig.ReadHeads"/> reads it),
/// <c>train.log</c> (one line per step) and <c>checkpoint.safetensors</c> every <see cref="ClipTrainOptions.CheckpointEvery"/>
/// steps; a rerun resumes from the checkpoint with the same batches. At the end <c>model.safetensors</c> holds the
/// weights (loadable with <see cref="ClipModel.Load"/>) and the checkpoint is removed.
/// </summary>
public static class ClipTrainer
{
    public static ClipTrainResult Train(string folder, ClipTrainOptions options, IProgress<ClipTrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(folder);
        var data = WorldCaptions.Render(options.Examples, WorldCaptions.TrainSeed, options.ImageSize,
            new Progress<int>(i => { if (i % 250 == 0) { progress?.Report(new ClipTrainProgress("render", i, options.Examples, double.NaN, 0)); } }));

        var vocabPath = Path.Combine(folder, "vocab.json");
        var mergesPath = Path.Combine(folder, "merges.txt");
        var checkpoint = Path.Combine(folder, "checkpoint.safetensors");
        if (!File.Exists(checkpoint) || !File.Exists(vocabPath) || !File.Exists(mergesPath))
        {
            var (vocab, merges) = ClipBpe.Train(data.Select(d => d.Caption), options.Merges);
            ClipBpe.Save(folder, vocab, merges);
        }

        var tokenizer = ClipTokenizer.Load(vocabPath, mergesPath, options.ContextLength);
        var config = new ClipConfig(tokenizer.VocabularySize, options.ContextLength,
            new ClipTowerConfig(options.TextWidth, options.TextLayers, options.TextHeads, 4 * options.TextWidth),
            options.ImageSize, options.PatchSize,
            new ClipTowerConfig(options.VisionWidth, options.VisionLayers, options.VisionHeads, 4 * options.VisionWidth),
            options.ProjectionDim);
        var model = new ClipModel(config, options.Seed);
        model.Train();
        var optimizer = Adam.AdamW(model.Parameters(), options.LearningRate, options.WeightDecay);
        var schedule = new LearningRateSchedule(options.LearningRate, options.WarmupSteps, options.Steps, DecayKind.Cosine);
        int start = 0;
        if (File.Exists(checkpoint))
        {
            start = LoadCheckpoint(checkpoint, model, optimizer);
        }
        else
        {
            DurableFile.WriteAllText(Path.Combine(folder, "config.json"), ConfigJson(config));
        }

        int s = options.ImageSize, plane = 3 * s * s, n = data.Count;
        var pixels = new float[n * plane];
        for (int i = 0; i < n; i++)
        {
            ClipPreprocess.ToPixels(data[i].Image, s, pixels, i * plane);
        }

        var ids = tokenizer.EncodeBatch(data.Select(d => d.Caption).ToList()); // (n, L)
        int l = options.ContextLength;
        var logPath = Path.Combine(folder, "train.log");
        using var log = new StreamWriter(logPath, append: start > 0, StrictUtf8.Encoding);
        if (start == 0)
        {
            log.WriteLine($"# world-clip contrastive training; options {JsonSerializer.Serialize(options)}; vocabulary {tokenizer.VocabularySize}; parameters {model.Parameters().Sum(p => (long)p.Numel)}");
            log.WriteLine("step,loss,lr,logit_scale,seconds");
        }
        else
        {
            log.WriteLine($"# resumed at step {start}; options {JsonSerializer.Serialize(options)}");
        }

        double first = double.NaN, last = double.NaN, totalSeconds = 0;
        int b = options.BatchSize;
        for (int step = start; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            // The batch of a step depends only on the seed and the step: a resumed run sees the same batches.
            var rng = new Random(unchecked((int)options.Seed * 7919 + step));
            var picks = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(b).ToArray();
            var px = new float[b * plane];
            for (int i = 0; i < b; i++)
            {
                Array.Copy(pixels, picks[i] * plane, px, i * plane, plane);
            }

            var batchIds = TrimmedIds(ids, picks, l, out int used);
            optimizer.LearningRate = schedule.At(step);
            optimizer.ZeroGrad();
            var loss = InfoNce(model, new Tensor(px, b, 3, s, s), batchIds, b);
            loss.Backward();
            optimizer.Step();
            model.LogitScale.Data[0] = Math.Min(model.LogitScale.Data[0], MathF.Log(100f));
            double value = loss.Item();
            first = double.IsNaN(first) ? value : first;
            last = value;
            double seconds = watch.Elapsed.TotalSeconds;
            totalSeconds += seconds;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{step + 1},{value:0.#####},{optimizer.LearningRate:0.######},{MathF.Exp(model.LogitScale.Data[0]):0.###},{seconds:0.###}"));
            if ((step + 1) % options.CheckpointEvery == 0 || step + 1 == options.Steps)
            {
                log.Flush();
                SaveCheckpoint(checkpoint, model, optimizer, step + 1);
            }

            progress?.Report(new ClipTrainProgress("train", step + 1, options.Steps, value, seconds));
        }

        log.Flush();
        model.Eval();
        SaveModel(model, Path.Combine(folder, "model.safetensors"));
        File.Delete(checkpoint);
        int ran = options.Steps - start;
        return new ClipTrainResult(start, options.Steps, first, last, ran == 0 ? 0 : totalSeconds / ran);
    }

    /// <summary>Symmetric InfoNCE over a batch of B matching (image, text) pairs, recording gradients.</summary>
    internal static Tensor InfoNce(ClipModel model, Tensor pixels, int[] ids, int batch)
    {
        var img = Normalize(model.ImageForward(pixels)); // (B, E)
        var txt = Normalize(model.TextForward(ids, batch)); // (B, E)
        var logits = F.Mul(F.Matmul(img, F.Transpose(txt, 0, 1)), F.Exp(model.LogitScale)); // (B, B)
        var targets = Enumerable.Range(0, batch).ToArray();
        var a = F.CrossEntropy(logits, targets);
        var t = F.CrossEntropy(F.Transpose(logits, 0, 1), targets);
        return F.Mul(F.Add(a, t), 0.5f);
    }

    private static Tensor Normalize(Tensor x) => F.Div(x, F.Sqrt(F.Add(F.Sum(F.Mul(x, x), 1, keepDim: true), 1e-12f)));

    /// <summary>The picked rows of (n, L) ids cut after the batch's last end token (the tower is causal and pooled there).</summary>
    private static int[] TrimmedIds(int[] ids, int[] picks, int l, out int used)
    {
        used = 1;
        foreach (var p in picks)
        {
            int at = 0;
            for (int i = 1; i < l; i++)
            {
                if (ids[p * l + i] > ids[p * l + at])
                {
                    at = i;
                }
            }

            used = Math.Max(used, at + 1);
        }

        var result = new int[picks.Length * used];
        for (int r = 0; r < picks.Length; r++)
        {
            Array.Copy(ids, picks[r] * l, result, r * used, used);
        }

        return result;
    }

    /// <summary>Writes the weights with checkpoint names in F32, durably and atomically (<see cref="DurableFile.WriteVia"/>).</summary>
    public static void SaveModel(ClipModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        DurableFile.WriteVia(path, temp => Safetensors.Save(temp, model.StateDict(), StoredType.F32, new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "pluralist world-clip" }));
    }

    private static void SaveCheckpoint(string path, ClipModel model, Optimizer optimizer, int step)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in model.StateDict())
        {
            tensors["model." + k] = v;
        }

        foreach (var (k, v) in optimizer.StateDict())
        {
            tensors["optim." + k] = v;
        }

        DurableFile.WriteVia(path, temp => Safetensors.Save(temp, tensors, StoredType.F32, new Dictionary<string, string> { ["step"] = step.ToString(CultureInfo.InvariantCulture) }));
    }

    private static int LoadCheckpoint(string path, ClipModel model, Optimizer optimizer)
    {
        var (tensors, meta) = Safetensors.Load(path);
        var own = model.StateDict();
        foreach (var (k, target) in own)
        {
            if (!tensors.TryGetValue("model." + k, out var t) || !t.Shape.AsSpan().SequenceEqual(target.Shape))
            {
                throw new InvalidDataException($"{path}: tensor 'model.{k}' is missing or has another shape; was it written with other sizes?");
            }

            target.CopyFrom(t);
        }

        optimizer.LoadStateDict(tensors.Where(kv => kv.Key.StartsWith("optim.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["optim.".Length..], kv => kv.Value));
        return int.Parse(meta["step"], CultureInfo.InvariantCulture);
    }

    /// <summary>A Hugging Face style config.json with the sizes and head counts.</summary>
    public static string ConfigJson(ClipConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("CLIPModel"),
            ["model_type"] = "clip",
            ["projection_dim"] = c.ProjectionDim,
            ["text_config"] = new JsonObject
            {
                ["vocab_size"] = c.VocabularySize,
                ["max_position_embeddings"] = c.ContextLength,
                ["hidden_size"] = c.Text.Width,
                ["intermediate_size"] = c.Text.MlpWidth,
                ["num_hidden_layers"] = c.Text.Layers,
                ["num_attention_heads"] = c.Text.Heads,
                ["hidden_act"] = "quick_gelu",
            },
            ["vision_config"] = new JsonObject
            {
                ["image_size"] = c.ImageSize,
                ["patch_size"] = c.PatchSize,
                ["hidden_size"] = c.Vision.Width,
                ["intermediate_size"] = c.Vision.MlpWidth,
                ["num_hidden_layers"] = c.Vision.Layers,
                ["num_attention_heads"] = c.Vision.Heads,
                ["hidden_act"] = "quick_gelu",
            },
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}

/// <summary>A trained world-clip folder: the model and its tokenizer.</summary>
public sealed record WorldClip(ClipModel Model, ClipTokenizer Tokenizer)
{
    /// <summary>Embedder name recorded with selections.</summary>
    public const string Name = "world-clip";

    /// <summary>Loads <c>model.safetensors</c>, <c>config.json</c>, <c>vocab.json</c> and <c>merges.txt</c> from a folder; a missing file is named.</summary>
    public static WorldClip Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        foreach (var f in new[] { "model.safetensors", "config.json", "vocab.json", "merges.txt" })
        {
            if (!File.Exists(Path.Combine(folder, f)))
            {
                throw new FileNotFoundException($"{Path.Combine(folder, f)} not found (a world-clip folder holds model.safetensors, config.json, vocab.json and merges.txt)", Path.Combine(folder, f));
            }
        }

        int? th, vh;
        try
        {
            (th, vh) = ClipConfig.ReadHeads(File.ReadAllText(Path.Combine(folder, "config.json")));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{Path.Combine(folder, "config.json")}: not JSON ({ex.Message})", ex);
        }

        ClipModel model;
        try
        {
            model = ClipModel.Load(Path.Combine(folder, "model.safetensors"), th, vh);
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"{Path.Combine(folder, "model.safetensors")}: {ex.Message}", ex);
        }

        var tokenizer = ClipTokenizer.Load(Path.Combine(folder, "vocab.json"), Path.Combine(folder, "merges.txt"), model.Config.ContextLength);
        return new WorldClip(model, tokenizer);
    }

    public ClipImageEmbedder ImageEmbedder(int batchSize = 32) => new(Model, batchSize, Name);

    public ClipTextEmbedder TextEmbedder() => new(Model, Tokenizer);
}

/// <summary>Top-1 and top-5 retrieval accuracy in both directions over N matching pairs (chance: 1/N and 5/N).</summary>
public sealed record RetrievalScores(int N, double ImageToTextTop1, double ImageToTextTop5, double TextToImageTop1, double TextToImageTop5)
{
    public double ChanceTop1 => 1.0 / N;

    public double ChanceTop5 => Math.Min(1.0, 5.0 / N);

    /// <summary>Scores from query and gallery embeddings (unit vectors): query i matches gallery i. Ties count against the match.</summary>
    public static (double Top1, double Top5) Directional(IReadOnlyList<float[]> queries, IReadOnlyList<float[]> gallery)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(gallery);
        int n = queries.Count, top1 = 0, top5 = 0;
        for (int i = 0; i < n; i++)
        {
            double own = Dot(queries[i], gallery[i]);
            int better = 0;
            for (int j = 0; j < n; j++)
            {
                if (j != i && Dot(queries[i], gallery[j]) >= own)
                {
                    better++;
                }
            }

            top1 += better == 0 ? 1 : 0;
            top5 += better < 5 ? 1 : 0;
        }

        return ((double)top1 / n, (double)top5 / n);
    }

    /// <summary>Image-text retrieval of a model on captioned images.</summary>
    public static RetrievalScores ImageText(WorldClip clip, IReadOnlyList<CaptionedImage> items)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(items);
        var img = clip.ImageEmbedder().Embed(items.Select(i => i.Image).ToList());
        var txt = new List<float[]>();
        foreach (var chunk in items.Chunk(32))
        {
            txt.AddRange(clip.TextEmbedder().Embed(chunk.Select(i => i.Caption).ToList()));
        }

        var (it1, it5) = Directional(img, txt);
        var (ti1, ti5) = Directional(txt, img);
        return new RetrievalScores(items.Count, it1, it5, ti1, ti5);
    }

    /// <summary>
    /// Same-scene image retrieval, for any image embedder: every item is rendered again with another seed (people,
    /// animals and litter move; the place stays) and each first render must find its own scene among the second renders.
    /// </summary>
    public static (double Top1, double Top5) SameScene(IImageEmbedder embedder, IReadOnlyList<CaptionedImage> items)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(items);
        var queries = embedder.Embed(items.Select(i => i.Image).ToList());
        var gallery = embedder.Embed(items.Select(i => WorldCaptions.RenderAgain(i, i.Scene.Request.Seed + 1)).ToList());
        return Directional(queries, gallery);
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++)
        {
            s += a[k] * b[k];
        }

        return s;
    }
}

/// <summary>A CLIP image-text score as the quality of a generated image, for MMR and quality-weighted selection.</summary>
public static class ClipQuality
{
    /// <summary>
    /// quality(row) = max(0, cos(image, prompt text)), with the text from the manifest's <c>text</c> column (text
    /// embeddings cached per text). A row without text gets 1, so such a manifest behaves as without a scorer.
    /// </summary>
    public static Func<Images.ManifestRow, double> ImageText(string folder, ClipModel model, ClipTokenizer tokenizer)
    {
        var image = new ClipImageEmbedder(model, 1);
        var text = new ClipTextEmbedder(model, tokenizer);
        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        return row =>
        {
            if (string.IsNullOrEmpty(row.Text))
            {
                return 1;
            }

            if (!cache.TryGetValue(row.Text, out var t))
            {
                t = text.Embed([row.Text])[0];
                cache[row.Text] = t;
            }

            var i = image.EmbedImageFiles([Path.Combine(folder, row.File)])[0];
            double dot = 0;
            for (int k = 0; k < i.Length; k++)
            {
                dot += i[k] * t[k];
            }

            return Math.Max(0, dot);
        };
    }
}
