using Pluralist.Tensors;

namespace Pluralist.Diffusion.Tests;

public class ModelTests
{
    [Fact]
    public void Unet_and_text_encoder_shapes()
    {
        var m = new DiffusionModel(TestUtil.TinyConfig());
        var (ctx, mask) = m.EncodeText(["a green park", string.Empty, "une rue calme"]);
        Assert.Equal([3, 8, 16], ctx.Shape);
        Assert.Equal([3, 8], mask.Shape);
        var x = new Generator(1).Normal(0, 1, 3, 3, 8, 8);
        var eps = m.UNet.PredictNoise(x, [0, 500, 999], ctx, mask);
        Assert.Equal([3, 3, 8, 8], eps.Shape);
        Assert.All(eps.Data, v => Assert.True(float.IsFinite(v)));
        Assert.Throws<ArgumentException>(() => m.UNet.PredictNoise(new Tensor(new float[3 * 3 * 4 * 4], 3, 3, 4, 4), [0, 0, 0], ctx, mask));
    }

    [Fact]
    public void Default_configs_build_and_validate()
    {
        var m32 = new DiffusionModel(DiffusionModelConfig.Default32);
        Assert.InRange(m32.ParameterCount(), 500_000, 5_000_000);
        var m64 = new DiffusionModel(DiffusionModelConfig.Default64);
        var (ctx, mask) = m64.EncodeText(["une place ombragée"]);
        using (Autograd.NoGrad())
        {
            Assert.Equal([1, 3, 64, 64], m64.UNet.PredictNoise(new Tensor(new float[3 * 64 * 64], 1, 3, 64, 64), [10], ctx, mask).Shape);
        }

        var json = DiffusionModelConfig.Default64.ToJson();
        Assert.Contains("\"imageSize\": 64", json, StringComparison.Ordinal);
        Assert.Equal(64, DiffusionModelConfig.FromJson(json).UNet.ImageSize);
        var bad = TestUtil.TinyConfig() with { UNet = TestUtil.TinyConfig().UNet with { ContextDim = 32 } };
        Assert.Contains("contextDim", Assert.Throws<FormatException>(bad.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameter_names_are_stable()
    {
        var names = new DiffusionModel(TestUtil.TinyConfig()).NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal("text_encoder.position_embedding", names[0]);
        Assert.Equal("text_encoder.token_embedding.weight", names[1]);
        Assert.Contains("text_encoder.layers.0.attn1.to_q.weight", names);
        Assert.Contains("unet.time_embedding.linear_1.weight", names);
        Assert.Contains("unet.down.0.res.0.conv1.weight", names);
        Assert.Contains("unet.down.0.downsample.weight", names);
        Assert.Contains("unet.down.1.attn.0.transformer.attn2.to_k.weight", names);
        Assert.Contains("unet.mid.attn.0.transformer.attn1.to_out.bias", names);
        Assert.Contains("unet.up.1.res.1.skip.weight", names);
        Assert.Contains("unet.up.1.upsample.weight", names);
        Assert.Equal("unet.conv_out.bias", names[^1]);
        // a second build gives the same names and the same initial weights
        var again = new DiffusionModel(TestUtil.TinyConfig());
        Assert.Equal(names, again.NamedParameters().Select(p => p.Name));
        Assert.Equal(new DiffusionModel(TestUtil.TinyConfig()).UNet.ConvIn.Weight.Data, again.UNet.ConvIn.Weight.Data);
    }

    [Fact]
    public void Save_and_load_round_trip()
    {
        var tok = new WordTokenizer(["parc", "vert", "green", "park"]);
        var m = new DiffusionModel(TestUtil.TinyConfig(7), tok);
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-diff-{Guid.NewGuid():N}.safetensors");
        try
        {
            m.Save(path);
            var back = DiffusionModel.Load(path);
            Assert.Equal(m.Config.ToJson(), back.Config.ToJson());
            Assert.Equal(tok.Tokens, back.Tokenizer.Tokens);
            foreach (var (name, t) in m.StateDict())
            {
                Assert.Equal(t.Data, back.StateDict()[name].Data);
            }

            var req = new GenerationRequest { Prompts = ["parc vert"], Seed = 5, Sampler = new SamplerOptions { Steps = 3 } };
            Assert.Equal(m.Generate(req).Data, back.Generate(req).Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Generation_is_deterministic_in_the_seed()
    {
        var m = new DiffusionModel(TestUtil.TinyConfig());
        foreach (var kind in new[] { SamplerKind.Ddim, SamplerKind.Ddpm, SamplerKind.Euler })
        {
            var req = new GenerationRequest { Prompts = ["a green park", "une place"], Seed = 9, GuidanceScale = 2.5f, Sampler = new SamplerOptions { Kind = kind, Steps = 4 } };
            var a = m.Generate(req);
            Assert.Equal([2, 3, 8, 8], a.Shape);
            Assert.Equal(a.Data, m.Generate(req).Data);
            Assert.NotEqual(a.Data, m.Generate(req with { Seed = 10 }).Data);
            Assert.All(a.Data, v => Assert.InRange(v, -1f, 1f));
        }

        var rgb = DiffusionModel.ToRgbBytes(m.Generate(new GenerationRequest { Prompts = ["park"], Sampler = new SamplerOptions { Steps = 2 } }), 0);
        Assert.Equal(8 * 8 * 3, rgb.Length);
    }

    [Fact]
    public void Rgb_conversion_round_trips()
    {
        var bytes = Enumerable.Range(0, 2 * 2 * 3).Select(i => (byte)(i * 20)).ToArray();
        var x = DiffusionModel.FromRgbBytes(bytes, 2, 2);
        Assert.Equal(bytes, DiffusionModel.ToRgbBytes(new Tensor(x, 1, 3, 2, 2), 0));
    }
}
