using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Embedders;
using Pluralist.Tensors;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Tests.Clip;

public sealed class ClipModelTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-clip-");

    public void Dispose() => _dir.Delete(true);

    private string Save(Dictionary<string, Tensor> w, string name = "tiny.safetensors", StoredType type = StoredType.F32)
    {
        var path = Path.Combine(_dir.FullName, name);
        Safetensors.Save(path, w, type);
        return path;
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void Config_is_read_from_the_tensor_shapes()
    {
        var model = ClipModel.Load(Save(TinyClip.Weights(1)), TinyClip.TextHeads, TinyClip.VisionHeads);
        Assert.Equal(
            new ClipConfig(TinyClip.Vocab, TinyClip.Context, new ClipTowerConfig(8, 2, 2, 16), 8, 4, new ClipTowerConfig(12, 1, 3, 24), 6),
            model.Config);
        Assert.Equal(2.6592f, model.LogitScale.Item());
        Assert.Equal((12, 3), ClipConfig.ReadHeads("{\"text_config\": {\"num_attention_heads\": 12}, \"vision_config\": {\"num_attention_heads\": 3}}"));
    }

    [Fact]
    public void Text_tower_matches_the_scalar_reference_and_pools_at_the_largest_id()
    {
        var w = TinyClip.Weights(2);
        var model = ClipModel.Load(Save(w), TinyClip.TextHeads, TinyClip.VisionHeads);
        // Two sequences; 9 (largest id) plays the end token, followed by padding.
        int[] ids = [8, 3, 5, 9, 9, 9, 8, 1, 2, 4, 7, 9];
        var emb = model.EncodeText(ids, 2); // (2, Proj)
        Assert.Equal([2, TinyClip.Proj], emb.Shape);
        AssertClose(TinyClip.TextReference(w, ids[..6]), emb.Data[..6]);
        AssertClose(TinyClip.TextReference(w, ids[6..]), emb.Data[6..]);

        // Causal attention: what follows the end token cannot change the pooled embedding; what precedes it does.
        var padded = model.EncodeText([8, 3, 5, 9, 0, 4], 1);
        Assert.Equal(emb.Data[..6], padded.Data);
        var changed = model.EncodeText([8, 2, 5, 9, 9, 9], 1);
        Assert.NotEqual(emb.Data[..6], changed.Data);
    }

    [Fact]
    public void Vision_tower_matches_the_scalar_reference()
    {
        var w = TinyClip.Weights(3);
        var model = ClipModel.Load(Save(w), TinyClip.TextHeads, TinyClip.VisionHeads);
        var g = new Generator(9);
        var pixels = g.Normal(0, 1, 2, 3, TinyClip.Image, TinyClip.Image); // (2, 3, 8, 8)
        var emb = model.EncodeImage(pixels); // (2, Proj)
        int per = 3 * TinyClip.Image * TinyClip.Image;
        AssertClose(TinyClip.ImageReference(w, pixels.Data[..per]), emb.Data[..6]);
        AssertClose(TinyClip.ImageReference(w, pixels.Data[per..]), emb.Data[6..]);
    }

    [Fact]
    public void Half_precision_checkpoints_load_with_rounded_weights()
    {
        var w = TinyClip.Weights(4);
        var model = ClipModel.Load(Save(w, "tiny-f16.safetensors", StoredType.F16), TinyClip.TextHeads, TinyClip.VisionHeads);
        var reference = TinyClip.TextReference(w, [1, 2, 3, 9, 9, 9]);
        var got = model.EncodeText([1, 2, 3, 9, 9, 9], 1).Data;
        for (int i = 0; i < got.Length; i++)
        {
            Assert.True(Math.Abs(reference[i] - got[i]) < 0.05 * Math.Max(1, Math.Abs(reference[i])), $"[{i}] {reference[i]} vs {got[i]}");
        }
    }

    [Theory]
    [InlineData("vision_model.encoder.layers.0.mlp.fc2.bias")]
    [InlineData("text_model.final_layer_norm.weight")]
    [InlineData("logit_scale")]
    public void A_missing_tensor_is_named(string name)
    {
        var w = TinyClip.Weights(5);
        w.Remove(name);
        var ex = Assert.Throws<InvalidDataException>(() => ClipModel.Load(Save(w), TinyClip.TextHeads, TinyClip.VisionHeads));
        Assert.Equal($"tiny.safetensors: tensor '{name}' is missing", ex.Message);
    }

    [Fact]
    public void A_misshapen_or_unknown_tensor_is_named_and_position_ids_are_ignored()
    {
        var w = TinyClip.Weights(6);
        w["text_model.encoder.layers.1.self_attn.k_proj.weight"] = new Tensor(new float[56], 8, 7);
        var ex = Assert.Throws<InvalidDataException>(() => ClipModel.Load(Save(w), TinyClip.TextHeads, TinyClip.VisionHeads));
        Assert.Equal("tiny.safetensors: tensor 'text_model.encoder.layers.1.self_attn.k_proj.weight' has shape [8, 7], expected [8, 8]", ex.Message);

        w = TinyClip.Weights(6);
        w["text_model.embeddings.position_ids"] = new Tensor(new float[6], 1, 6);
        ClipModel.Load(Save(w, "ok.safetensors"), TinyClip.TextHeads, TinyClip.VisionHeads);
        w["text_model.encoder.layers.0.self_attn.qkv.weight"] = new Tensor(new float[4], 2, 2);
        ex = Assert.Throws<InvalidDataException>(() => ClipModel.Load(Save(w, "odd.safetensors"), TinyClip.TextHeads, TinyClip.VisionHeads));
        Assert.StartsWith("odd.safetensors: unexpected tensor 'text_model.encoder.layers.0.self_attn.qkv.weight'", ex.Message, StringComparison.Ordinal);

        w = TinyClip.Weights(6);
        w["vision_model.embeddings.position_embedding.weight"] = new Tensor(new float[4 * 12], 4, 12);
        ex = Assert.Throws<InvalidDataException>(() => ClipModel.Load(Save(w, "grid.safetensors"), TinyClip.TextHeads, TinyClip.VisionHeads));
        Assert.Contains("'vision_model.embeddings.position_embedding.weight' has 4 positions", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocess_crops_the_centre_area_averages_and_normalises()
    {
        // 16 x 24 (W x H) image: the centre 16 x 16 is kept (rows 4..19), halved to 8 x 8 by 2 x 2 averaging.
        var rgba = new byte[16 * 24 * 4];
        for (int y = 0; y < 24; y++)
        {
            for (int x = 0; x < 16; x++)
            {
                int o = (y * 16 + x) * 4;
                rgba[o] = (byte)(y < 4 || y >= 20 ? 255 : (x / 2 + y / 2) % 2 * 200); // 2 x 2 checker blocks inside the crop
                rgba[o + 1] = 100;
                rgba[o + 2] = (byte)(x < 8 ? 0 : 255);
                rgba[o + 3] = 255;
            }
        }

        var pixels = new float[3 * 8 * 8];
        ClipPreprocess.ToPixels(new RgbaImage(16, 24, rgba), 8, pixels, 0);
        for (int y = 0; y < 8; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                double r = (x + (y * 2 + 4) / 2) % 2 * 200; // block (x, y) of the crop
                Assert.Equal((r / 255 - ClipPreprocess.Mean[0]) / ClipPreprocess.Std[0], pixels[(0 * 8 + y) * 8 + x], 4);
                Assert.Equal((100 / 255.0 - ClipPreprocess.Mean[1]) / ClipPreprocess.Std[1], pixels[(1 * 8 + y) * 8 + x], 4);
                Assert.Equal(((x < 4 ? 0 : 1) - ClipPreprocess.Mean[2]) / ClipPreprocess.Std[2], pixels[(2 * 8 + y) * 8 + x], 4);
            }
        }
    }

    [Fact]
    public void Clip_embedders_give_unit_vectors_and_match_the_towers()
    {
        var w = TinyClip.Weights(7);
        var model = ClipModel.Load(Save(w), TinyClip.TextHeads, TinyClip.VisionHeads);
        var img = new RgbaImage(20, 12, Enumerable.Range(0, 20 * 12 * 4).Select(i => (byte)(i * 37 % 251)).ToArray());
        var embedder = new ClipImageEmbedder(model, batchSize: 2);
        var vs = embedder.Embed([img, img, new RgbaImage(8, 8, new byte[256])]);
        Assert.Equal(3, vs.Count);
        Assert.All(vs, v => Assert.Equal(1, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        Assert.Equal(vs[0], vs[1]); // the same image in two batches
        Assert.NotEqual(vs[0], vs[2]);

        var pixels = new float[3 * 8 * 8];
        ClipPreprocess.ToPixels(img, 8, pixels, 0);
        var reference = TinyClip.ImageReference(w, pixels);
        double norm = Math.Sqrt(reference.Sum(x => x * x));
        AssertClose(reference.Select(x => x / norm).ToArray(), vs[0]);
    }
}

public sealed class ClipTextEmbedderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pl-clipt-");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void Text_embeddings_run_only_up_to_the_last_end_token_and_equal_the_full_length_result()
    {
        // Vocabulary of the tiny model: ids 0..9 with the end token as the largest id (9), as in real CLIP vocabularies.
        var tokens = new[] { "a</w>", "b</w>", "c</w>", "d</w>", "e</w>", "f</w>", "g</w>", "h</w>", "<|startoftext|>", "<|endoftext|>" };
        File.WriteAllText(Path.Combine(_dir.FullName, "vocab.json"), System.Text.Json.JsonSerializer.Serialize(tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i)));
        File.WriteAllLines(Path.Combine(_dir.FullName, "merges.txt"), ["#version: 0.2"]);
        var tok = ClipTokenizer.Load(Path.Combine(_dir.FullName, "vocab.json"), Path.Combine(_dir.FullName, "merges.txt"), contextLength: TinyClip.Context);
        var w = TinyClip.Weights(11);
        var model = ClipModel.FromStateDict(w, "tiny", TinyClip.TextHeads, TinyClip.VisionHeads);

        var got = new ClipTextEmbedder(model, tok).Embed(["a b", "c", "h g f e"]);
        var full = model.EncodeText(tok.EncodeBatch(["a b", "c", "h g f e"]), 3); // (3, Proj), all 6 positions
        for (int i = 0; i < 3; i++)
        {
            var row = full.Data.Skip(i * TinyClip.Proj).Take(TinyClip.Proj).Select(x => (double)x).ToArray();
            double n = Math.Sqrt(row.Sum(x => x * x));
            for (int j = 0; j < TinyClip.Proj; j++)
            {
                Assert.Equal(row[j] / n, got[i][j], 5);
            }
        }

        var reference = TinyClip.TextReference(w, [8, 2, 9, 9, 9, 9]); // "c"
        double rn = Math.Sqrt(reference.Sum(x => x * x));
        Assert.Equal(reference.Select(x => x / rn).ToArray(), got[1].Select(x => (double)x).ToArray(), new ToleranceComparer(1e-4));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
