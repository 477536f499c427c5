using System.Globalization;
using System.Text.Json;
using Pluralist.Tensors;
using Pluralist.World.Imaging;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Pipeline.Clip;

/// <summary>Sizes of one CLIP transformer tower.</summary>
public sealed record ClipTowerConfig(int Width, int Layers, int Heads, int MlpWidth);

/// <summary>
/// Sizes of a CLIP model. <see cref="FromStateDict"/> reads every size from the tensors' shapes except the head counts,
/// which come from the Hugging Face <c>config.json</c> (<see cref="ReadHeads"/>) or default to width / 64 (true of every
/// public OpenAI CLIP: ViT-B/32 text 512/8, vision 768/12; ViT-L/14 text 768/12, vision 1024/16).
/// </summary>
public sealed record ClipConfig(
    int VocabularySize,
    int ContextLength,
    ClipTowerConfig Text,
    int ImageSize,
    int PatchSize,
    ClipTowerConfig Vision,
    int ProjectionDim,
    float LayerNormEps = 1e-5f)
{
    /// <summary>Infers the sizes from the checkpoint tensors; throws naming the first tensor that is missing or has the wrong rank.</summary>
    public static ClipConfig FromStateDict(IReadOnlyDictionary<string, Tensor> state, int? textHeads = null, int? visionHeads = null, string file = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(state);
        int[] Shape(string name, int rank)
        {
            if (!state.TryGetValue(name, out var t))
            {
                throw new InvalidDataException($"{file}: tensor '{name}' is missing");
            }

            if (t.Rank != rank)
            {
                throw new InvalidDataException($"{file}: tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected rank {rank}");
            }

            return t.Shape;
        }

        int CountLayers(string prefix)
        {
            int n = 0;
            while (state.ContainsKey($"{prefix}.encoder.layers.{n}.self_attn.q_proj.weight"))
            {
                n++;
            }

            return n;
        }

        var tok = Shape("text_model.embeddings.token_embedding.weight", 2);
        var tpos = Shape("text_model.embeddings.position_embedding.weight", 2);
        var tfc1 = Shape("text_model.encoder.layers.0.mlp.fc1.weight", 2);
        var cls = Shape("vision_model.embeddings.class_embedding", 1);
        var patch = Shape("vision_model.embeddings.patch_embedding.weight", 4);
        var vpos = Shape("vision_model.embeddings.position_embedding.weight", 2);
        var vfc1 = Shape("vision_model.encoder.layers.0.mlp.fc1.weight", 2);
        var proj = Shape("text_projection.weight", 2);
        int grid = (int)Math.Round(Math.Sqrt(vpos[0] - 1));
        if (grid * grid != vpos[0] - 1)
        {
            throw new InvalidDataException($"{file}: tensor 'vision_model.embeddings.position_embedding.weight' has {vpos[0]} positions, expected a square grid plus one");
        }

        int th = textHeads ?? Math.Max(1, tok[1] / 64), vh = visionHeads ?? Math.Max(1, cls[0] / 64);
        return new ClipConfig(tok[0], tpos[0], new ClipTowerConfig(tok[1], CountLayers("text_model"), th, tfc1[0]),
            grid * patch[2], patch[2], new ClipTowerConfig(cls[0], CountLayers("vision_model"), vh, vfc1[0]), proj[0]);
    }

    /// <summary>Reads <c>text_config.num_attention_heads</c> and <c>vision_config.num_attention_heads</c> from a Hugging Face config.json.</summary>
    public static (int? Text, int? Vision) ReadHeads(string configJson)
    {
        using var doc = JsonDocument.Parse(configJson);
        int? Get(string section) => doc.RootElement.TryGetProperty(section, out var s) && s.TryGetProperty("num_attention_heads", out var h) ? h.GetInt32() : null;
        return (Get("text_config"), Get("vision_config"));
    }
}

/// <summary>A pre-layer-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)) with quick_gelu.</summary>
internal sealed class ClipEncoderLayer : Module
{
    public ClipEncoderLayer(ClipTowerConfig c, float eps, Generator g)
    {
        Heads = c.Heads;
        SelfAttn = RegisterModule("self_attn", new ClipAttention(c.Width, g));
        LayerNorm1 = RegisterModule("layer_norm1", new LayerNorm(c.Width, eps));
        Mlp = RegisterModule("mlp", new ClipMlp(c.Width, c.MlpWidth, g));
        LayerNorm2 = RegisterModule("layer_norm2", new LayerNorm(c.Width, eps));
    }

    public int Heads { get; }

    public ClipAttention SelfAttn { get; }

    public LayerNorm LayerNorm1 { get; }

    public ClipMlp Mlp { get; }

    public LayerNorm LayerNorm2 { get; }

    /// <summary>x (B, L, D) -> (B, L, D).</summary>
    public Tensor Forward(Tensor x, bool causal)
    {
        x = F.Add(x, SelfAttn.Forward(LayerNorm1.Forward(x), Heads, causal));
        return F.Add(x, Mlp.Forward(LayerNorm2.Forward(x)));
    }
}

internal sealed class ClipAttention : Module
{
    public ClipAttention(int d, Generator g)
    {
        Q = RegisterModule("q_proj", new Linear(d, d, true, g));
        K = RegisterModule("k_proj", new Linear(d, d, true, g));
        V = RegisterModule("v_proj", new Linear(d, d, true, g));
        Out = RegisterModule("out_proj", new Linear(d, d, true, g));
    }

    public Linear Q { get; }

    public Linear K { get; }

    public Linear V { get; }

    public Linear Out { get; }

    /// <summary>x (B, L, D) -> (B, L, D); softmax(q k^T / sqrt(D/H)) v per head.</summary>
    public Tensor Forward(Tensor x, int heads, bool causal)
    {
        int b = x.Shape[0], l = x.Shape[1], d = x.Shape[2], hd = d / heads;
        Tensor Split(Tensor t) => F.Permute(F.Reshape(t, b, l, heads, hd), 0, 2, 1, 3); // (B, H, L, Dh)
        var a = F.ScaledDotProductAttention(Split(Q.Forward(x)), Split(K.Forward(x)), Split(V.Forward(x)), isCausal: causal); // (B, H, L, Dh)
        return Out.Forward(F.Reshape(F.Permute(a, 0, 2, 1, 3), b, l, d));
    }
}

internal sealed class ClipMlp : Module
{
    public ClipMlp(int d, int hidden, Generator g)
    {
        Fc1 = RegisterModule("fc1", new Linear(d, hidden, true, g));
        Fc2 = RegisterModule("fc2", new Linear(hidden, d, true, g));
    }

    public Linear Fc1 { get; }

    public Linear Fc2 { get; }

    /// <summary>fc2(quick_gelu(fc1(x))), quick_gelu(h) = h sigmoid(1.702 h) (CLIP's activation).</summary>
    public Tensor Forward(Tensor x)
    {
        var h = Fc1.Forward(x);
        return Fc2.Forward(F.Mul(h, F.Sigmoid(F.Mul(h, 1.702f))));
    }
}

internal sealed class ClipEncoder : Module
{
    private readonly List<ClipEncoderLayer> _layers = [];

    public ClipEncoder(ClipTowerConfig c, float eps, Generator g)
    {
        var list = RegisterModule("layers", new LayerList());
        for (int i = 0; i < c.Layers; i++)
        {
            _layers.Add(list.Add(new ClipEncoderLayer(c, eps, g)));
        }
    }

    public Tensor Forward(Tensor x, bool causal)
    {
        foreach (var layer in _layers)
        {
            x = layer.Forward(x, causal);
        }

        return x;
    }

    /// <summary>Names children 0, 1, … as PyTorch's ModuleList.</summary>
    private sealed class LayerList : Module
    {
        private int _count;

        public ClipEncoderLayer Add(ClipEncoderLayer layer) => RegisterModule((_count++).ToString(CultureInfo.InvariantCulture), layer);
    }
}

internal sealed class ClipTextEmbeddings : Module
{
    public ClipTextEmbeddings(ClipConfig c, Generator g)
    {
        Token = RegisterModule("token_embedding", new Embedding(c.VocabularySize, c.Text.Width, g));
        Position = RegisterModule("position_embedding", new Embedding(c.ContextLength, c.Text.Width, g));
    }

    public Embedding Token { get; }

    public Embedding Position { get; }
}

internal sealed class ClipTextTransformer : Module
{
    public ClipTextTransformer(ClipConfig c, Generator g)
    {
        Embeddings = RegisterModule("embeddings", new ClipTextEmbeddings(c, g));
        Encoder = RegisterModule("encoder", new ClipEncoder(c.Text, c.LayerNormEps, g));
        FinalLayerNorm = RegisterModule("final_layer_norm", new LayerNorm(c.Text.Width, c.LayerNormEps));
    }

    public ClipTextEmbeddings Embeddings { get; }

    public ClipEncoder Encoder { get; }

    public LayerNorm FinalLayerNorm { get; }
}

internal sealed class ClipVisionEmbeddings : Module
{
    public ClipVisionEmbeddings(ClipConfig c, Generator g)
    {
        ClassEmbedding = RegisterParameter("class_embedding", new Parameter(g.Normal(0, 1, c.Vision.Width)));
        PatchEmbedding = RegisterModule("patch_embedding", new Conv2d(3, c.Vision.Width, c.PatchSize, stride: c.PatchSize, bias: false, generator: g));
        int n = (c.ImageSize / c.PatchSize) * (c.ImageSize / c.PatchSize) + 1;
        Position = RegisterModule("position_embedding", new Embedding(n, c.Vision.Width, g));
    }

    public Parameter ClassEmbedding { get; }

    public Conv2d PatchEmbedding { get; }

    public Embedding Position { get; }
}

internal sealed class ClipVisionTransformer : Module
{
    public ClipVisionTransformer(ClipConfig c, Generator g)
    {
        Embeddings = RegisterModule("embeddings", new ClipVisionEmbeddings(c, g));
        PreLayerNorm = RegisterModule("pre_layrnorm", new LayerNorm(c.Vision.Width, c.LayerNormEps)); // sic: the checkpoints' spelling
        Encoder = RegisterModule("encoder", new ClipEncoder(c.Vision, c.LayerNormEps, g));
        PostLayerNorm = RegisterModule("post_layernorm", new LayerNorm(c.Vision.Width, c.LayerNormEps));
    }

    public ClipVisionEmbeddings Embeddings { get; }

    public LayerNorm PreLayerNorm { get; }

    public ClipEncoder Encoder { get; }

    public LayerNorm PostLayerNorm { get; }
}

/// <summary>
/// CLIP (Radford et al. 2021) on the tensor engine, with the parameter names of the Hugging Face <c>CLIPModel</c>
/// checkpoints: <c>text_model.*</c>, <c>vision_model.*</c>, <c>text_projection.weight</c>, <c>visual_projection.weight</c>,
/// <c>logit_scale</c>. Text: token + position embeddings, causal pre-LN transformer, final_layer_norm, pooled at the
/// first position of the largest token id (the end token), projected. Vision: patch convolution, class token, position
/// embeddings, pre_layrnorm, transformer, post_layernorm on the class token, projected. <see cref="ClipTrainer"/>
/// trains one contrastively (the world-clip model).
/// </summary>
public sealed class ClipModel : Module
{
    public ClipModel(ClipConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Text.Width % config.Text.Heads != 0 || config.Vision.Width % config.Vision.Heads != 0)
        {
            throw new ArgumentException($"widths must be divisible by the head counts (text {config.Text.Width}/{config.Text.Heads}, vision {config.Vision.Width}/{config.Vision.Heads})");
        }

        if (config.ImageSize % config.PatchSize != 0)
        {
            throw new ArgumentException($"image size {config.ImageSize} is not a multiple of the patch size {config.PatchSize}");
        }

        Config = config;
        var g = new Generator(seed);
        Text = RegisterModule("text_model", new ClipTextTransformer(config, g));
        Vision = RegisterModule("vision_model", new ClipVisionTransformer(config, g));
        VisualProjection = RegisterModule("visual_projection", new Linear(config.Vision.Width, config.ProjectionDim, false, g));
        TextProjection = RegisterModule("text_projection", new Linear(config.Text.Width, config.ProjectionDim, false, g));
        LogitScale = RegisterParameter("logit_scale", new Parameter([MathF.Log(1 / 0.07f)]));
        Eval();
    }

    public ClipConfig Config { get; }

    /// <summary>log of the temperature that scales image-text cosine similarities (exp(logit_scale) = 100 in trained models).</summary>
    public Parameter LogitScale { get; }

    internal ClipTextTransformer Text { get; }

    internal ClipVisionTransformer Vision { get; }

    internal Linear VisualProjection { get; }

    internal Linear TextProjection { get; }

    /// <summary>
    /// Loads a safetensors checkpoint (F32, F16 or BF16). Every model tensor must be present with its exact shape; the
    /// error names the file and tensor. <c>*.position_ids</c> buffers of older checkpoints are ignored; any other
    /// unknown tensor is an error (it means a different architecture).
    /// </summary>
    public static ClipModel Load(string path, int? textHeads = null, int? visionHeads = null)
    {
        var (state, _) = Safetensors.Load(path);
        return FromStateDict(state, Path.GetFileName(path), textHeads, visionHeads);
    }

    /// <summary>Builds a model from a state dictionary with checkpoint names (see <see cref="Load"/>).</summary>
    public static ClipModel FromStateDict(IReadOnlyDictionary<string, Tensor> state, string file, int? textHeads = null, int? visionHeads = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var model = new ClipModel(ClipConfig.FromStateDict(state, textHeads, visionHeads, file));
        var own = model.StateDict();
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out var t))
            {
                throw new InvalidDataException($"{file}: tensor '{name}' is missing");
            }

            if (!t.Shape.AsSpan().SequenceEqual(target.Shape))
            {
                throw new InvalidDataException($"{file}: tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", target.Shape)}]");
            }

            target.CopyFrom(t);
        }

        var unknown = state.Keys.Where(k => !own.ContainsKey(k) && !k.EndsWith(".position_ids", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        if (unknown.Length > 0)
        {
            throw new InvalidDataException($"{file}: unexpected tensor '{unknown[0]}'{(unknown.Length > 1 ? $" (and {unknown.Length - 1} more)" : "")}; is this a CLIPModel checkpoint?");
        }

        return model;
    }

    /// <summary>Final hidden states of the text tower: ids (B, L) row-major -> (B, L, Dt), after final_layer_norm.</summary>
    public Tensor TextHidden(int[] ids, int batch)
    {
        using var _ = Autograd.NoGrad();
        return TextHiddenCore(ids, batch);
    }

    private Tensor TextHiddenCore(int[] ids, int batch)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int l = ids.Length / batch;
        if (l * batch != ids.Length || l > Config.ContextLength)
        {
            throw new ArgumentException($"{ids.Length} ids do not form {batch} sequences of at most {Config.ContextLength}");
        }

        foreach (var id in ids)
        {
            if ((uint)id >= (uint)Config.VocabularySize)
            {
                throw new ArgumentException($"token id {id} is outside the vocabulary of {Config.VocabularySize}");
            }
        }

        var x = F.Add(Text.Embeddings.Token.Forward(ids, batch, l), Text.Embeddings.Position.Forward(Enumerable.Range(0, l).ToArray(), l)); // (B, L, Dt)
        x = Text.Encoder.Forward(x, causal: true);
        return Text.FinalLayerNorm.Forward(x);
    }

    /// <summary>Text embeddings: ids (B, L) -> (B, E), pooled at the argmax id of each row (first occurrence), projected, not normalised.</summary>
    public Tensor EncodeText(int[] ids, int batch)
    {
        using var _ = Autograd.NoGrad();
        return TextForward(ids, batch);
    }

    /// <summary><see cref="EncodeText"/> recording gradients (for training): the pooling is a row selection, so it is differentiable.</summary>
    internal Tensor TextForward(int[] ids, int batch)
    {
        var h = TextHiddenCore(ids, batch); // (B, L, Dt)
        int l = ids.Length / batch, d = Config.Text.Width;
        var rows = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            int at = 0;
            for (int i = 1; i < l; i++)
            {
                if (ids[b * l + i] > ids[b * l + at])
                {
                    at = i;
                }
            }

            rows[b] = b * l + at;
        }

        var pooled = F.IndexSelect(F.Reshape(h, batch * l, d), 0, rows); // (B, Dt)
        return TextProjection.Forward(pooled); // (B, E)
    }

    /// <summary>Image embeddings: pixels (B, 3, S, S), normalised as <see cref="ClipPreprocess"/> does -> (B, E), not normalised.</summary>
    public Tensor EncodeImage(Tensor pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        int s = Config.ImageSize;
        if (pixels.Rank != 4 || pixels.Shape[1] != 3 || pixels.Shape[2] != s || pixels.Shape[3] != s)
        {
            throw new ArgumentException($"pixels must be (B, 3, {s}, {s}), got [{string.Join(", ", pixels.Shape)}]");
        }

        using var _ = Autograd.NoGrad();
        return ImageForward(pixels);
    }

    /// <summary><see cref="EncodeImage"/> recording gradients (for training).</summary>
    internal Tensor ImageForward(Tensor pixels)
    {
        int s = Config.ImageSize;
        int b = pixels.Shape[0], d = Config.Vision.Width, n = (s / Config.PatchSize) * (s / Config.PatchSize);
        var patches = Vision.Embeddings.PatchEmbedding.Forward(pixels); // (B, D, S/P, S/P)
        patches = F.Transpose(F.Reshape(patches, b, d, n), 1, 2); // (B, N, D)
        var cls = F.Expand(F.Reshape(Vision.Embeddings.ClassEmbedding, 1, 1, d), b, 1, d); // (B, 1, D)
        var x = F.Cat([cls, patches], 1); // (B, N + 1, D)
        x = F.Add(x, Vision.Embeddings.Position.Forward(Enumerable.Range(0, n + 1).ToArray(), n + 1)); // (B, N + 1, D)
        x = Vision.PreLayerNorm.Forward(x);
        x = Vision.Encoder.Forward(x, causal: false);
        var pooled = Vision.PostLayerNorm.Forward(F.Reshape(F.Slice(x, 1, 0, 1), b, d)); // (B, D): the class token
        return VisualProjection.Forward(pooled); // (B, E)
    }
}

/// <summary>
/// CLIP's image preprocessing: resize so the shorter side is the model's image size (bilinear with area averaging when
/// shrinking; OpenAI uses bicubic, so values differ slightly), centre crop to a square, RGB to [0, 1], then
/// (x - mean) / std per channel with OpenAI's constants. Alpha is ignored.
/// </summary>
public static class ClipPreprocess
{
    public static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>(3, S, S) values for one image, written at <paramref name="offset"/> of <paramref name="output"/>.</summary>
    public static void ToPixels(RgbaImage image, int size, float[] output, int offset)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        double scale = (double)size / Math.Min(image.Width, image.Height);
        double scaledW = image.Width * scale, scaledH = image.Height * scale;
        double left = (scaledW - size) / 2, top = (scaledH - size) / 2;
        Span<double> acc = stackalloc double[3];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                // Source footprint of the output pixel, in source pixel units.
                double x0 = (x + left) / scale, x1 = (x + 1 + left) / scale, y0 = (y + top) / scale, y1 = (y + 1 + top) / scale;
                SampleArea(image, x0, x1, y0, y1, acc);
                for (int c = 0; c < 3; c++)
                {
                    output[offset + (c * size + y) * size + x] = (float)((acc[c] / 255.0 - Mean[c]) / Std[c]);
                }
            }
        }
    }

    private static void SampleArea(Pluralist.World.Imaging.RgbaImage img, double x0, double x1, double y0, double y1, Span<double> acc)
    {
        if (x1 - x0 <= 1 && y1 - y0 <= 1)
        {
            // Enlarging: bilinear at the footprint's centre (pixel centres at i + 0.5).
            double cx = Math.Clamp((x0 + x1) / 2 - 0.5, 0, img.Width - 1), cy = Math.Clamp((y0 + y1) / 2 - 0.5, 0, img.Height - 1);
            int ix = (int)cx, iy = (int)cy, ix1 = Math.Min(ix + 1, img.Width - 1), iy1 = Math.Min(iy + 1, img.Height - 1);
            double fx = cx - ix, fy = cy - iy;
            for (int c = 0; c < 3; c++)
            {
                double top = img.Pixels[(iy * img.Width + ix) * 4 + c] * (1 - fx) + img.Pixels[(iy * img.Width + ix1) * 4 + c] * fx;
                double bottom = img.Pixels[(iy1 * img.Width + ix) * 4 + c] * (1 - fx) + img.Pixels[(iy1 * img.Width + ix1) * 4 + c] * fx;
                acc[c] = top * (1 - fy) + bottom * fy;
            }

            return;
        }

        // Shrinking: area average over the footprint with fractional edge weights.
        double total = 0;
        acc.Clear();
        for (int sy = (int)Math.Floor(y0); sy < Math.Ceiling(y1); sy++)
        {
            double wy = Math.Min(y1, sy + 1) - Math.Max(y0, sy);
            int yy = Math.Clamp(sy, 0, img.Height - 1);
            for (int sx = (int)Math.Floor(x0); sx < Math.Ceiling(x1); sx++)
            {
                double w = wy * (Math.Min(x1, sx + 1) - Math.Max(x0, sx));
                int xx = Math.Clamp(sx, 0, img.Width - 1);
                for (int c = 0; c < 3; c++)
                {
                    acc[c] += w * img.Pixels[(yy * img.Width + xx) * 4 + c];
                }

                total += w;
            }
        }

        for (int c = 0; c < 3; c++)
        {
            acc[c] /= total;
        }
    }
}
