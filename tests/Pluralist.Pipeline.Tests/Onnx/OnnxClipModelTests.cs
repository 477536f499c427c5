using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Onnx;
using Pluralist.World.Imaging;
using SkiaSharp;

namespace Pluralist.Pipeline.Tests.Onnx;

/// <summary>The ONNX model folder's behaviour around the parity: devices, resampling filters, decoding, and named errors.</summary>
public sealed class OnnxClipModelTests : IDisposable
{
    private readonly List<string> _temp = [];

    public void Dispose()
    {
        foreach (var d in _temp)
        {
            Directory.Delete(d, true);
        }
    }

    private string Copy(params string[] skip)
    {
        var d = OnnxClipParityTests.CopyWithout(Golden.ModelFolder, skip);
        _temp.Add(d);
        return d;
    }

    [Fact]
    public void Asking_for_CUDA_where_it_cannot_run_is_a_clear_error_and_not_a_silent_CPU_run()
    {
        Assert.True(ExecutionDevices.TryParse("CUDA", out var d) && d == ExecutionDevice.Cuda);
        Assert.False(ExecutionDevices.TryParse("tpu", out _));
        if (!OnnxSessions.AvailableProviders().Contains(OnnxSessions.CudaProvider))
        {
            // The default CPU package.
            var ex = Assert.Throws<ExecutionDeviceException>(() => OnnxClipModel.Load(Golden.ModelFolder, new OnnxClipOptions { Device = ExecutionDevice.Cuda }));
            Assert.Contains("--device cuda", ex.Message, StringComparison.Ordinal);
            Assert.Contains("no CUDA execution provider", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", ex.Message, StringComparison.Ordinal);
            return;
        }

        // Built with -p:OnnxRuntimeGpu=true: on a GPU machine the model runs on CUDA and says so; without a GPU or the
        // CUDA libraries the provider cannot start, which is an error rather than a CPU run.
        try
        {
            using var model = OnnxClipModel.Load(Golden.ModelFolder, new OnnxClipOptions { Device = ExecutionDevice.Cuda });
            Assert.Equal(OnnxSessions.CudaProvider, model.ExecutionProvider);
            var images = model.EmbedPixels(Golden.AllPixels(), Golden.Images.Count);
            Assert.True(Golden.MaxAbsDiff(images, Golden.Matrix("image_embeds")) <= 1e-4);
        }
        catch (ExecutionDeviceException ex)
        {
            Assert.Contains("the CUDA execution provider could not start", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_PIL_filter_resizes_to_the_same_bytes_as_PIL()
    {
        var cases = Golden.Root.GetProperty("resample").EnumerateArray().ToArray();
        Assert.Equal(18, cases.Length);
        foreach (var c in cases)
        {
            var file = c.GetProperty("file").GetString()!;
            var filter = (ResampleFilter)c.GetProperty("filter").GetInt32();
            int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
            var image = ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, file));
            var rgb = new byte[image.Width * image.Height * 3];
            for (int i = 0; i < image.Width * image.Height; i++)
            {
                rgb[i * 3] = image.Pixels[i * 4];
                rgb[i * 3 + 1] = image.Pixels[i * 4 + 1];
                rgb[i * 3 + 2] = image.Pixels[i * 4 + 2];
            }

            var ours = PilResample.Resize(rgb, image.Width, image.Height, w, h, filter);
            var expected = c.GetProperty("rgb").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
            int mismatches = ours.Zip(expected, (a, b) => a != b ? 1 : 0).Sum();
            Assert.True(mismatches == 0, $"{file} -> {w}x{h} with {filter}: {mismatches} of {expected.Length} bytes differ");
        }
    }

    [Fact]
    public void Skia_decodes_PNG_JPEG_and_WebP_and_names_a_file_that_is_none_of_them()
    {
        var png = ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, "wide.png"));
        var dir = Copy();
        // Lossless WebP written by Skia decodes to the PNG's bytes; JPEG at quality 100 comes close (chroma is subsampled
        // and this small image is mostly noise, so about 9 levels on average; PIL's JPEG is checked exactly elsewhere).
        using (var bitmap = new SKBitmap(new SKImageInfo(png.Width, png.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            png.Pixels.CopyTo(bitmap.GetPixelSpan());
            using var image = SKImage.FromBitmap(bitmap);
            File.WriteAllBytes(Path.Combine(dir, "x.webp"), image.Encode(SKEncodedImageFormat.Webp, 100).ToArray());
            File.WriteAllBytes(Path.Combine(dir, "x.jpg"), image.Encode(SKEncodedImageFormat.Jpeg, 100).ToArray());
        }

        Assert.Equal(png.Pixels, ImageCodec.DecodeFile(Path.Combine(dir, "x.webp")).Pixels);
        var jpg = ImageCodec.DecodeFile(Path.Combine(dir, "x.jpg"));
        double meanError = jpg.Pixels.Zip(png.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanError < 16, $"mean |JPEG - PNG| {meanError}");

        File.WriteAllText(Path.Combine(dir, "notes.png"), "not an image");
        var ex = Assert.Throws<InvalidDataException>(() => ImageCodec.DecodeFile(Path.Combine(dir, "notes.png")));
        Assert.Contains("notes.png", ex.Message, StringComparison.Ordinal);
        var bytes = File.ReadAllBytes(Path.Combine(Golden.ImageFolder, "big.png"));
        File.WriteAllBytes(Path.Combine(dir, "cut.png"), bytes[..(bytes.Length / 2)]);
        ex = Assert.Throws<InvalidDataException>(() => ImageCodec.DecodeFile(Path.Combine(dir, "cut.png")));
        Assert.Contains("cut.png", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Processor_settings_are_read_from_old_and_new_layouts_and_bad_fields_are_named()
    {
        var dir = Copy();
        var path = Path.Combine(dir, "preprocessor_config.json");
        File.WriteAllText(path, """{"size": 48, "crop_size": 40, "resample": 2, "image_mean": 0.5, "image_std": [0.5, 0.5, 0.5]}""");
        var p = ClipImageProcessor.Load(path);
        Assert.Equal((48, 40, 40, ResampleFilter.Bilinear, 0.5f), (p.ShortestEdge!.Value, p.CropHeight, p.CropWidth, p.Resample, p.Mean[1]));
        Assert.Equal((72, 48), p.ResizedSize(150, 100)); // int(48 * 150 / 100)
        Assert.Equal((48, 85), p.ResizedSize(53, 94)); // int(48 * 94 / 53) = 85 (85.13 truncated)

        foreach (var (json, field) in new[]
        {
            ("""{"crop_size": "big"}""", "crop_size"),
            ("""{"size": {"longest_edge": 10}}""", "size"),
            ("""{"resample": 9}""", "resample"),
            ("""{"image_std": [0.2, 0, 0.2]}""", "image_std"),
            ("""{"do_resize": "yes"}""", "do_resize"),
        })
        {
            File.WriteAllText(path, json);
            var ex = Assert.Throws<InvalidDataException>(() => ClipImageProcessor.Load(path));
            Assert.Contains($"preprocessor_config.json ({field})", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_centre_crop_larger_than_the_resized_image_pads_with_zeros_as_transformers_does()
    {
        var p = new ClipImageProcessor { ShortestEdge = 4, CropHeight = 6, CropWidth = 6, DoNormalize = false, DoRescale = false };
        var img = new RgbaImage(4, 4);
        Array.Fill(img.Pixels, (byte)200);
        var output = new float[3 * 6 * 6];
        p.Preprocess(img, output, 0);
        // 4 x 4 inside 6 x 6: a one-pixel zero border on every side (ceil((6 - 4) / 2) = 1 before).
        Assert.Equal(0, output[0]);
        Assert.Equal(200, output[1 * 6 + 1]);
        Assert.Equal(200, output[4 * 6 + 4]);
        Assert.Equal(0, output[5 * 6 + 5]);
    }

    [Fact]
    public void Missing_and_foreign_files_are_named()
    {
        var empty = Path.Combine(Path.GetTempPath(), "pluralist-onnx-empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        _temp.Add(empty);
        var nf = Assert.Throws<FileNotFoundException>(() => OnnxClipModel.Load(empty));
        Assert.Contains("model.onnx", nf.Message, StringComparison.Ordinal);
        Assert.Throws<DirectoryNotFoundException>(() => OnnxClipModel.Load(Path.Combine(empty, "nowhere")));

        nf = Assert.Throws<FileNotFoundException>(() => OnnxClipModel.Load(Copy("preprocessor_config.json")));
        Assert.Contains("preprocessor_config.json", nf.Message, StringComparison.Ordinal);
        nf = Assert.Throws<FileNotFoundException>(() => OnnxClipModel.Load(Copy("merges.txt")));
        Assert.Contains("merges.txt", nf.Message, StringComparison.Ordinal);

        // The vision tower alone as model.onnx: not a whole CLIP export.
        var dir = Copy("model.onnx");
        File.Copy(Path.Combine(dir, "onnx", "vision_model.onnx"), Path.Combine(dir, "model.onnx"));
        var ex = Assert.Throws<InvalidDataException>(() => OnnxClipModel.Load(dir));
        Assert.Contains("model.onnx: the model has no input 'input_ids'", ex.Message, StringComparison.Ordinal);

        // A preprocessing that does not fit the model's image input.
        dir = Copy();
        File.WriteAllText(Path.Combine(dir, "preprocessor_config.json"), """{"size": {"shortest_edge": 64}, "crop_size": {"height": 64, "width": 64}}""");
        ex = Assert.Throws<InvalidDataException>(() => OnnxClipModel.Load(dir));
        Assert.Contains("preprocessor_config.json: the preprocessing gives 3 x 64 x 64 images", ex.Message, StringComparison.Ordinal);

        // Not an ONNX file at all.
        dir = Copy();
        File.WriteAllText(Path.Combine(dir, "model.onnx"), "not a model");
        ex = Assert.Throws<InvalidDataException>(() => OnnxClipModel.Load(dir));
        Assert.Contains("model.onnx: ONNX Runtime cannot load this model", ex.Message, StringComparison.Ordinal);

        // A merges line that is not a pair, and a merge whose result the vocabulary lacks.
        dir = Copy();
        File.AppendAllText(Path.Combine(dir, "merges.txt"), "a b c\n");
        ex = Assert.Throws<InvalidDataException>(() => ClipTextTokenizer.Load(dir));
        Assert.Matches(@"merges\.txt:\d+: expected two symbols", ex.Message);
        dir = Copy();
        File.AppendAllText(Path.Combine(dir, "merges.txt"), "zz qq\n");
        ex = Assert.Throws<InvalidDataException>(() => ClipTextTokenizer.Load(dir));
        Assert.Contains("'zzqq' is not in vocab.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tokenizer_cleans_text_as_CLIP_does_and_truncates_keeping_the_end_token()
    {
        var tok = ClipTextTokenizer.Load(Golden.ModelFolder);
        Assert.Equal("children's playground & a fountain", ClipTextTokenizer.Clean("  Children's   playground &amp;amp; a FOUNTAIN "));
        Assert.Equal("caf\u00e9", ClipTextTokenizer.Clean("Cafe\u0301")); // NFC
        Assert.Equal(tok.Encode("UN CAFÉ"), tok.Encode("un café"));
        var longIds = tok.Encode(string.Join(' ', Enumerable.Repeat("park", 200)));
        Assert.Equal(77, longIds.Length);
        Assert.Equal((tok.StartId, tok.EndId), (longIds[0], longIds[^1]));
        Assert.Equal("a park with benches under maple trees", tok.Decode(tok.Encode("A park with benches under maple trees")));
        Assert.Equal("un parc sous les érables", tok.Decode(tok.Encode("Un parc sous les érables")));
        var (ids, mask, l) = tok.EncodeBatch(["a park", "a park with benches"]);
        Assert.Equal(tok.Encode("a park with benches").Length, l);
        Assert.Equal(tok.EndId, ids[l - 1]); // the shorter row padded with the end token
        Assert.Equal(0, mask[l - 1]);
    }

    [Fact]
    public void The_embedder_selects_distinct_images_with_the_onnx_model()
    {
        using var model = OnnxClipModel.Load(Golden.ModelFolder);
        var embedder = new OnnxClipImageEmbedder(model, batchSize: 4);
        Assert.Equal("onnx-clip:tiny-clip", embedder.Name);
        Assert.Equal(16, embedder.Dimension);
        var img = ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, "wide.png"));
        var other = ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, "big.png"));
        // Two copies of each image among five: greedy max-min keeps one of each look before any duplicate.
        var vectors = embedder.Embed([img, img, other, other, img]);
        var s = Pluralist.Pipeline.Selection.Similarity.Cosine(vectors.ToArray());
        var chosen = Pluralist.Pipeline.Selection.DiverseSelector.Greedy(s, 2);
        Assert.NotEqual(vectors[chosen[0]], vectors[chosen[1]]);
        Assert.Equal(1.0, s[0, 1], 1e-6);
    }
}
