using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Onnx;
using Pluralist.Tensors;

namespace Pluralist.Pipeline.Tests.Onnx;

/// <summary>The ONNX Runtime path against PyTorch's golden values (tools/onnx/make_tiny_clip.py); no Python needed.</summary>
public sealed class OnnxClipParityTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void The_tokenizer_gives_the_reference_ids_for_the_English_and_French_captions()
    {
        var tok = ClipTextTokenizer.Load(Golden.ModelFolder);
        Assert.Equal(77, tok.ContextLength);
        var captions = Golden.Captions;
        Assert.Contains(captions, c => c.Language == "fr");
        Assert.Contains(captions, c => c.Mask.Sum() == 77); // one caption is truncated
        foreach (var c in captions)
        {
            var (ids, mask, l) = tok.EncodeBatch([c.Text], 77);
            Assert.Equal(77, l);
            Assert.True(c.Ids.SequenceEqual(ids.Select(i => (int)i)), $"'{c.Text}': expected [{string.Join(' ', c.Ids)}], got [{string.Join(' ', ids)}]");
            Assert.True(c.Mask.SequenceEqual(mask.Select(i => (int)i)), $"'{c.Text}': attention mask");
        }

        // The engine path's own tokenizer agrees too, except that it does not apply NFC (the decomposed "e\u0301").
        var own = ClipTokenizer.Load(Path.Combine(Golden.ModelFolder, "vocab.json"), Path.Combine(Golden.ModelFolder, "merges.txt"));
        foreach (var c in captions)
        {
            bool nfc = c.Text.IsNormalized(System.Text.NormalizationForm.FormC);
            Assert.Equal(nfc, c.Ids.SequenceEqual(own.Encode(c.Text)));
        }
    }

    [Fact]
    public void Preprocessing_gives_the_reference_pixel_values_for_square_and_non_square_images()
    {
        var processor = ClipImageProcessor.Load(Path.Combine(Golden.ModelFolder, "preprocessor_config.json"));
        Assert.Equal(ResampleFilter.Bicubic, processor.Resample);
        Assert.Equal(0.55f, processor.Mean[2]);
        var images = Golden.Images;
        Assert.Contains(images, i => i.Width != i.Height);
        foreach (var (file, w, h) in images)
        {
            var image = ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, file));
            Assert.Equal((w, h), (image.Width, image.Height));
            var ours = new float[3 * 32 * 32];
            processor.Preprocess(image, ours, 0);
            var reference = Golden.Pixels(file).Data;
            double max = ours.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
            // PNG and lossless WebP decode to the same bytes everywhere and the resampling is PIL's to the bit, so the
            // values are identical; JPEG decoders may differ by a level (they agree here: Skia's and Debian's
            // libjpeg-turbo), so it is allowed 1/255 over the smallest std 0.25.
            double allowed = file.EndsWith(".jpg", StringComparison.Ordinal) ? 1 / 255.0 / 0.25 + 1e-6 : 0;
            Assert.True(max <= allowed, $"{file}: max |difference| {max}");
        }
    }

    [Fact]
    public void The_whole_model_export_gives_PyTorch_embeddings_and_logits_from_the_reference_inputs()
    {
        using var model = OnnxClipModel.Load(Golden.ModelFolder);
        Assert.Equal("model.onnx", model.Layout);
        Assert.Equal(OnnxSessions.CpuProvider, model.ExecutionProvider);
        Assert.Equal(16, model.Dimension);
        var captions = Golden.Captions;
        var ids = captions.SelectMany(c => c.Ids.Select(i => (long)i)).ToArray();
        var mask = captions.SelectMany(c => c.Mask.Select(i => (long)i)).ToArray();
        var text = model.EmbedTokenIds(ids, mask, captions.Count, 77);
        var images = model.EmbedPixels(Golden.AllPixels(), Golden.Images.Count);
        Assert.True(Golden.MaxAbsDiff(text, Golden.Matrix("text_embeds")) <= Tolerance, $"text {Golden.MaxAbsDiff(text, Golden.Matrix("text_embeds"))}");
        Assert.True(Golden.MaxAbsDiff(images, Golden.Matrix("image_embeds")) <= Tolerance, $"image {Golden.MaxAbsDiff(images, Golden.Matrix("image_embeds"))}");
        Assert.Equal("logits_per_image", model.LogitScaleSource);
        Assert.Equal(Golden.LogitScale, model.LogitScale, Golden.LogitScale * 1e-5);
    }

    [Fact]
    public void From_image_files_and_caption_text_the_embeddings_match_PyTorch()
    {
        using var model = OnnxClipModel.Load(Golden.ModelFolder);
        var files = Golden.Images.Where(i => !i.File.EndsWith(".jpg", StringComparison.Ordinal)).ToArray();
        var expected = Golden.Matrix("image_embeds");
        var all = Golden.Images.Select(i => i.File).ToList();
        var images = model.EmbedImages(files.Select(f => ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, f.File))).ToArray(), batchSize: 3);
        Assert.True(Golden.MaxAbsDiff(images, files.Select(f => expected[all.IndexOf(f.File)]).ToArray()) <= Tolerance);
        // Padded to the longest caption of each batch instead of 77: the causal tower pooled at the end token gives the same.
        var text = model.EmbedTexts(Golden.Captions.Select(c => c.Text).ToArray(), batchSize: 5);
        Assert.True(Golden.MaxAbsDiff(text, Golden.Matrix("text_embeds")) <= Tolerance, $"{Golden.MaxAbsDiff(text, Golden.Matrix("text_embeds"))}");
    }

    [Fact]
    public void Split_text_and_vision_exports_give_the_same_embeddings()
    {
        var folder = CopyWithout(Golden.ModelFolder, "model.onnx");
        try
        {
            using var model = OnnxClipModel.Load(folder);
            Assert.Equal($"onnx{Path.DirectorySeparatorChar}text_model.onnx + onnx{Path.DirectorySeparatorChar}vision_model.onnx", model.Layout);
            Assert.Equal("default", model.LogitScaleSource);
            Assert.Equal(100, model.LogitScale);
            var text = model.EmbedTexts(Golden.Captions.Select(c => c.Text).ToArray());
            var images = model.EmbedPixels(Golden.AllPixels(), Golden.Images.Count);
            Assert.True(Golden.MaxAbsDiff(text, Golden.Matrix("text_embeds")) <= Tolerance);
            Assert.True(Golden.MaxAbsDiff(images, Golden.Matrix("image_embeds")) <= Tolerance);
            using var scaled = OnnxClipModel.Load(folder, new OnnxClipOptions { LogitScale = Golden.LogitScale });
            var logits = scaled.Logits([ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, "wide.png"))], Golden.Captions.Select(c => c.Text).ToArray());
            var expected = Golden.Matrix("logits_per_image")[0];
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.Equal(expected[j], logits[0, j], 1e-4 * Golden.LogitScale);
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Our_own_engine_loads_the_same_weights_and_matches_PyTorch()
    {
        // Pluralist's tensor-engine CLIP (safetensors with Hugging Face names) on the same tiny model.
        var clip = WorldClip.Load(Golden.ModelFolder);
        var emb = clip.Model.EncodeImage(new Tensor(Golden.AllPixels(), Golden.Images.Count, 3, 32, 32));
        var rows = Enumerable.Range(0, Golden.Images.Count).Select(i => Unit(emb.Data.AsSpan(i * 16, 16).ToArray())).ToArray();
        Assert.True(Golden.MaxAbsDiff(rows, Golden.Matrix("image_embeds")) <= Tolerance, $"{Golden.MaxAbsDiff(rows, Golden.Matrix("image_embeds"))}");
        var captions = Golden.Captions;
        var temb = clip.Model.EncodeText(captions.SelectMany(c => c.Ids).ToArray(), captions.Count);
        var trows = Enumerable.Range(0, captions.Count).Select(i => Unit(temb.Data.AsSpan(i * 16, 16).ToArray())).ToArray();
        Assert.True(Golden.MaxAbsDiff(trows, Golden.Matrix("text_embeds")) <= Tolerance, $"{Golden.MaxAbsDiff(trows, Golden.Matrix("text_embeds"))}");
        Assert.Equal(Math.Log(Golden.LogitScale), clip.Model.LogitScale.Data[0], 1e-6);
    }

    internal static float[] Unit(float[] v)
    {
        double n = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => (float)(x / n)).ToArray();
    }

    internal static string CopyWithout(string folder, params string[] skip)
    {
        var target = Path.Combine(Path.GetTempPath(), "pluralist-onnx-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(folder, file);
            if (skip.Contains(rel.Replace(Path.DirectorySeparatorChar, '/')))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, rel))!);
            File.Copy(file, Path.Combine(target, rel));
        }

        return target;
    }
}
