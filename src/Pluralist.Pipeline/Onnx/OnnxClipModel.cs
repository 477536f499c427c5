using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Onnx;

/// <summary>Settings of <see cref="OnnxClipModel.Load"/>.</summary>
public sealed record OnnxClipOptions
{
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;

    /// <summary>
    /// exp(logit_scale), the factor of image-text logits. Default: read from the whole-model export's
    /// <c>logits_per_image</c>; for split text/vision files (which do not carry it) 100, the value OpenAI CLIP, PickScore
    /// and HPSv2 end training at (CLIP clamps it there).
    /// </summary>
    public double? LogitScale { get; init; }

    /// <summary>ONNX Runtime's intra-op threads (default: its own choice, one per core).</summary>
    public int? IntraOpThreads { get; init; }
}

/// <summary>
/// A CLIP-architecture model exported to ONNX, run by ONNX Runtime, with its own preprocessing and tokenizer. A model
/// folder holds either the whole model as optimum exports it, <c>model.onnx</c> (inputs <c>input_ids</c>,
/// <c>pixel_values</c>, <c>attention_mask</c>; outputs <c>text_embeds</c>, <c>image_embeds</c>, <c>logits_per_image</c>),
/// or separate towers as transformers.js exports them, <c>text_model.onnx</c> (<c>input_ids</c>
/// [, <c>attention_mask</c>] → <c>text_embeds</c>) and <c>vision_model.onnx</c> (<c>pixel_values</c> →
/// <c>image_embeds</c>), either at the top or under <c>onnx/</c>; plus <c>preprocessor_config.json</c>,
/// <c>vocab.json</c> and <c>merges.txt</c>. The whole model is preferred when both are present. Embeddings are
/// returned L2-normalised. With the whole model, an image-only call feeds one two-token text and a text-only call one
/// blank image (the graph needs every input); their outputs are dropped.
/// </summary>
public sealed class OnnxClipModel : IDisposable
{
    private readonly InferenceSession? _whole;
    private readonly InferenceSession? _text;
    private readonly InferenceSession? _vision;
    private readonly TextInputs _textInputs;
    private readonly RunOptions _run = new();

    private OnnxClipModel(string folder, string layout, string provider, ClipImageProcessor processor, ClipTextTokenizer tokenizer,
        InferenceSession? whole, InferenceSession? text, InferenceSession? vision)
    {
        Folder = folder;
        Layout = layout;
        ExecutionProvider = provider;
        Processor = processor;
        Tokenizer = tokenizer;
        _whole = whole;
        _text = text;
        _vision = vision;
        _textInputs = TextInputs.Read(whole ?? text!, Path.Combine(folder, layout));
    }

    public string Folder { get; }

    /// <summary>Which files run: <c>model.onnx</c>, or <c>onnx/text_model.onnx + onnx/vision_model.onnx</c>.</summary>
    public string Layout { get; }

    /// <summary>The ONNX Runtime execution provider the sessions were created on (CPUExecutionProvider or CUDAExecutionProvider).</summary>
    public string ExecutionProvider { get; }

    public ClipImageProcessor Processor { get; }

    public ClipTextTokenizer Tokenizer { get; }

    /// <summary>exp(logit_scale): image-text logits are LogitScale · cosine.</summary>
    public double LogitScale { get; private set; } = 100;

    /// <summary>Where <see cref="LogitScale"/> came from: <c>logits_per_image</c>, <c>option</c> or <c>default</c>.</summary>
    public string LogitScaleSource { get; private set; } = "default";

    /// <summary>Embedding size (the projection dimension).</summary>
    public int Dimension { get; private set; }

    /// <summary>Opens a model folder (see the class summary); a missing or unusable file is named.</summary>
    public static OnnxClipModel Load(string folder, OnnxClipOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new OnnxClipOptions();
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder}: no such model folder");
        }

        string? whole = null, text = null, vision = null;
        foreach (var dir in new[] { folder, Path.Combine(folder, "onnx") })
        {
            whole ??= File.Exists(Path.Combine(dir, "model.onnx")) ? Path.Combine(dir, "model.onnx") : null;
            if (text is null && File.Exists(Path.Combine(dir, "text_model.onnx")) && File.Exists(Path.Combine(dir, "vision_model.onnx")))
            {
                (text, vision) = (Path.Combine(dir, "text_model.onnx"), Path.Combine(dir, "vision_model.onnx"));
            }
        }

        if (whole is null && text is null)
        {
            throw new FileNotFoundException($"{Path.Combine(folder, "model.onnx")} not found: no ONNX model in the folder (expected model.onnx, or text_model.onnx and vision_model.onnx, at the top or under onnx/)", Path.Combine(folder, "model.onnx"));
        }

        var ppPath = Path.Combine(folder, "preprocessor_config.json");
        if (!File.Exists(ppPath))
        {
            throw new FileNotFoundException($"{ppPath} not found (the model's image preprocessing: resize, crop, mean, std)", ppPath);
        }

        var processor = ClipImageProcessor.Load(ppPath);
        var tokenizer = ClipTextTokenizer.Load(folder);
        var sessions = new List<InferenceSession>();
        try
        {
            OnnxClipModel model;
            string provider;
            if (whole is not null)
            {
                var (s, p) = OnnxSessions.Create(whole, options.Device, options.IntraOpThreads);
                sessions.Add(s);
                provider = p;
                Require(s, whole, ["input_ids", "pixel_values"], ["text_embeds", "image_embeds"]);
                model = new OnnxClipModel(folder, Path.GetRelativePath(folder, whole), provider, processor, tokenizer, s, null, null);
            }
            else
            {
                var (t, p) = OnnxSessions.Create(text!, options.Device, options.IntraOpThreads);
                sessions.Add(t);
                var (v, _) = OnnxSessions.Create(vision!, options.Device, options.IntraOpThreads);
                sessions.Add(v);
                provider = p;
                Require(t, text!, ["input_ids"], ["text_embeds"]);
                Require(v, vision!, ["pixel_values"], ["image_embeds"]);
                model = new OnnxClipModel(folder, $"{Path.GetRelativePath(folder, text!)} + {Path.GetRelativePath(folder, vision!)}", provider, processor, tokenizer, null, t, v);
            }

            model.CheckImageInput(ppPath);
            model.Probe(options.LogitScale);
            sessions.Clear();
            return model;
        }
        finally
        {
            foreach (var s in sessions)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>L2-normalised image embeddings, batched by <paramref name="batchSize"/>.</summary>
    public IReadOnlyList<float[]> EmbedImages(IReadOnlyList<RgbaImage> images, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int h = Processor.OutputHeight, w = Processor.OutputWidth, per = 3 * h * w;
        var result = new List<float[]>(images.Count);
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int b = Math.Min(batchSize, images.Count - start);
            var pixels = new float[b * per]; // (B, 3, H, W)
            for (int i = 0; i < b; i++)
            {
                Processor.Preprocess(images[start + i], pixels, i * per);
            }

            result.AddRange(EmbedPixels(pixels, b));
        }

        return result;
    }

    /// <summary>Image embeddings of preprocessed pixel_values (B, 3, H, W), L2-normalised.</summary>
    public IReadOnlyList<float[]> EmbedPixels(float[] pixelValues, int batch)
    {
        ArgumentNullException.ThrowIfNull(pixelValues);
        if (batch == 0)
        {
            return [];
        }

        if (_whole is not null)
        {
            var dummy = DummyText();
            return Run(dummy.Ids, dummy.Mask, 1, dummy.Length, pixelValues, batch).Images;
        }

        using var px = PixelTensor(pixelValues, batch);
        using var outputs = _vision!.Run(_run, new Dictionary<string, OrtValue> { ["pixel_values"] = px }, ["image_embeds"]);
        return Rows(outputs[0], batch);
    }

    /// <summary>L2-normalised text embeddings (texts padded to the longest of each batch).</summary>
    public IReadOnlyList<float[]> EmbedTexts(IReadOnlyList<string> texts, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new List<float[]>(texts.Count);
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            var batch = texts.Skip(start).Take(batchSize).ToArray();
            var (ids, mask, l) = Tokenizer.EncodeBatch(batch);
            result.AddRange(EmbedTokenIds(ids, mask, batch.Length, l));
        }

        return result;
    }

    /// <summary>Text embeddings of token ids and attention mask (B, L) row-major, L2-normalised.</summary>
    public IReadOnlyList<float[]> EmbedTokenIds(long[] ids, long[] mask, int batch, int length)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(mask);
        if (batch == 0)
        {
            return [];
        }

        if (_whole is not null)
        {
            return Run(ids, mask, batch, length, new float[3 * Processor.OutputHeight * Processor.OutputWidth], 1).Texts;
        }

        var inputs = _textInputs.Create(ids, mask, batch, length);
        try
        {
            using var outputs = _text!.Run(_run, inputs, ["text_embeds"]);
            return Rows(outputs[0], batch);
        }
        finally
        {
            foreach (var v in inputs.Values)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>
    /// Image-text logits LogitScale · cos(image_i, text_j): (images, texts). With the whole model these are its own
    /// <c>logits_per_image</c>.
    /// </summary>
    public double[,] Logits(IReadOnlyList<RgbaImage> images, IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        var img = EmbedImages(images);
        var txt = EmbedTexts(texts);
        var logits = new double[img.Count, txt.Count];
        for (int i = 0; i < img.Count; i++)
        {
            for (int j = 0; j < txt.Count; j++)
            {
                logits[i, j] = LogitScale * Dot(img[i], txt[j]);
            }
        }

        return logits;
    }

    public void Dispose()
    {
        _whole?.Dispose();
        _text?.Dispose();
        _vision?.Dispose();
        _run.Dispose();
    }

    internal static double Dot(float[] a, float[] b)
    {
        double d = 0;
        for (int k = 0; k < a.Length; k++)
        {
            d += (double)a[k] * b[k];
        }

        return d;
    }

    private (long[] Ids, long[] Mask, int Length) DummyText() => ([Tokenizer.StartId, Tokenizer.EndId], [1, 1], 2);

    /// <summary>Runs the whole model: texts (Bt, L) and images (Bi, 3, H, W) -> normalised embeddings and logits (Bi, Bt).</summary>
    private (IReadOnlyList<float[]> Texts, IReadOnlyList<float[]> Images, float[]? Logits) Run(long[] ids, long[] mask, int textBatch, int length, float[] pixels, int imageBatch)
    {
        var inputs = _textInputs.Create(ids, mask, textBatch, length);
        inputs["pixel_values"] = PixelTensor(pixels, imageBatch);
        try
        {
            bool hasLogits = _whole!.OutputMetadata.ContainsKey("logits_per_image");
            string[] names = hasLogits ? ["text_embeds", "image_embeds", "logits_per_image"] : ["text_embeds", "image_embeds"];
            using var outputs = _whole.Run(_run, inputs, names);
            return (Rows(outputs[0], textBatch), Rows(outputs[1], imageBatch), hasLogits ? outputs[2].GetTensorDataAsSpan<float>().ToArray() : null);
        }
        finally
        {
            foreach (var v in inputs.Values)
            {
                v.Dispose();
            }
        }
    }

    private OrtValue PixelTensor(float[] pixels, int batch)
    {
        int h = Processor.OutputHeight, w = Processor.OutputWidth;
        if (pixels.Length != batch * 3 * h * w)
        {
            throw new ArgumentException($"{pixels.Length} pixel values do not form {batch} images of 3 x {h} x {w}", nameof(pixels));
        }

        return OrtValue.CreateTensorValueFromMemory(pixels, [batch, 3, h, w]);
    }

    private float[][] Rows(OrtValue value, int batch)
    {
        var shape = value.GetTensorTypeAndShape().Shape;
        if (shape.Length != 2 || shape[0] != batch)
        {
            throw new InvalidDataException($"{Path.Combine(Folder, Layout)}: an embedding output has shape [{string.Join(", ", shape)}], expected [{batch}, E]");
        }

        int e = (int)shape[1];
        var data = value.GetTensorDataAsSpan<float>();
        var rows = new float[batch][];
        for (int i = 0; i < batch; i++)
        {
            rows[i] = Normalize(data.Slice(i * e, e).ToArray());
        }

        return rows;
    }

    private static float[] Normalize(float[] v)
    {
        double n = 0;
        foreach (var x in v)
        {
            n += (double)x * x;
        }

        if (n > 0)
        {
            double inv = 1 / Math.Sqrt(n);
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = (float)(v[i] * inv);
            }
        }

        return v;
    }

    private static void Require(InferenceSession s, string path, string[] inputs, string[] outputs)
    {
        foreach (var i in inputs.Where(i => !s.InputMetadata.ContainsKey(i)))
        {
            throw new InvalidDataException($"{path}: the model has no input '{i}' (inputs: {string.Join(", ", s.InputMetadata.Keys)}); is this a CLIP export?");
        }

        foreach (var o in outputs.Where(o => !s.OutputMetadata.ContainsKey(o)))
        {
            throw new InvalidDataException($"{path}: the model has no output '{o}' (outputs: {string.Join(", ", s.OutputMetadata.Keys)}); export it with projections (CLIPModel, or CLIPTextModelWithProjection / CLIPVisionModelWithProjection)");
        }

        if (s.InputMetadata.TryGetValue("pixel_values", out var px) && px.ElementDataType != TensorElementType.Float)
        {
            throw new InvalidDataException($"{path}: input 'pixel_values' is {px.ElementDataType}; only float32 exports are supported");
        }
    }

    private void CheckImageInput(string ppPath)
    {
        var s = _whole ?? _vision!;
        var dims = s.InputMetadata["pixel_values"].Dimensions;
        int h = Processor.OutputHeight, w = Processor.OutputWidth;
        if (dims.Length != 4 || (dims[1] > 0 && dims[1] != 3) || (dims[2] > 0 && dims[2] != h) || (dims[3] > 0 && dims[3] != w))
        {
            throw new InvalidDataException($"{ppPath}: the preprocessing gives 3 x {h} x {w} images but {Path.Combine(Folder, Layout)} takes pixel_values [{string.Join(", ", dims)}]");
        }
    }

    /// <summary>
    /// One small run: learns the embedding size and, for the whole model, exp(logit_scale) = logits_per_image / cos from
    /// the image-text pair whose cosine is largest in magnitude (two texts × two images, so it is well away from 0).
    /// </summary>
    private void Probe(double? logitScale)
    {
        int per = 3 * Processor.OutputHeight * Processor.OutputWidth;
        var pixels = new float[2 * per];
        for (int i = 0; i < per; i++)
        {
            pixels[per + i] = (i % 7) / 3f - 1;
        }

        var (ids, mask, l) = Tokenizer.EncodeBatch(["a photo", "a"]);
        if (_whole is not null)
        {
            var (texts, images, logits) = Run(ids, mask, 2, l, pixels, 2);
            Dimension = images[0].Length;
            if (logitScale is null && logits is not null)
            {
                double bestCos = 0, scale = double.NaN;
                for (int i = 0; i < 2; i++)
                {
                    for (int j = 0; j < 2; j++)
                    {
                        double cos = Dot(images[i], texts[j]);
                        if (Math.Abs(cos) > Math.Abs(bestCos))
                        {
                            (bestCos, scale) = (cos, logits[i * 2 + j] / cos);
                        }
                    }
                }

                if (double.IsFinite(scale) && scale > 0)
                {
                    (LogitScale, LogitScaleSource) = (scale, "logits_per_image");
                }
            }
        }
        else
        {
            Dimension = EmbedPixels(pixels, 2)[0].Length;
            if (EmbedTokenIds(ids, mask, 2, l)[0].Length != Dimension)
            {
                throw new InvalidDataException($"{Path.Combine(Folder, Layout)}: the text and image embeddings have different sizes");
            }
        }

        if (logitScale is { } given)
        {
            (LogitScale, LogitScaleSource) = (given, "option");
        }
    }

    /// <summary>Describes the model in one line: folder, files, provider, embedding size, logit scale.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Folder}: {Layout} on {ExecutionProvider}, {Dimension}-d embeddings, logit scale {LogitScale:0.###} ({LogitScaleSource})");

    /// <summary>The text inputs a graph takes and their element types (int64 as optimum exports, or int32).</summary>
    private sealed record TextInputs(bool Ids64, bool HasMask, bool Mask64)
    {
        public static TextInputs Read(InferenceSession s, string path)
        {
            var ids = s.InputMetadata["input_ids"].ElementDataType;
            if (ids is not (TensorElementType.Int64 or TensorElementType.Int32))
            {
                throw new InvalidDataException($"{path}: input 'input_ids' is {ids}, expected int64 or int32");
            }

            bool hasMask = s.InputMetadata.TryGetValue("attention_mask", out var m);
            return new TextInputs(ids == TensorElementType.Int64, hasMask, !hasMask || m!.ElementDataType == TensorElementType.Int64);
        }

        public Dictionary<string, OrtValue> Create(long[] ids, long[] mask, int batch, int length)
        {
            long[] shape = [batch, length];
            var inputs = new Dictionary<string, OrtValue>(StringComparer.Ordinal)
            {
                ["input_ids"] = Ids64 ? OrtValue.CreateTensorValueFromMemory(ids, shape) : OrtValue.CreateTensorValueFromMemory(ids.Select(i => (int)i).ToArray(), shape),
            };
            if (HasMask)
            {
                inputs["attention_mask"] = Mask64 ? OrtValue.CreateTensorValueFromMemory(mask, shape) : OrtValue.CreateTensorValueFromMemory(mask.Select(i => (int)i).ToArray(), shape);
            }

            return inputs;
        }
    }
}
