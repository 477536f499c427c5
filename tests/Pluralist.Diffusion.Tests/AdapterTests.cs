using Pluralist.Tensors;
using Pluralist.Testing;

namespace Pluralist.Diffusion.Tests;

public class AdapterTests
{
    private static (DiffusionModel Model, LoraAdapterBank Bank, Func<Tensor> Eps) Setup()
    {
        var model = new DiffusionModel(TestUtil.TinyConfig(), new WordTokenizer(["park"]));
        var bank = LoraAdapterBank.Attach(model.UNet, 2, 2f, new Generator(4));
        var x = new Generator(1).Normal(0, 1, 2, 3, 8, 8);
        var (ctx, mask) = model.EncodeText(["park", "a park"]);
        return (model, bank, () =>
        {
            using var _ = Autograd.NoGrad();
            return model.UNet.PredictNoise(x, [100, 700], ctx, mask);
        }
        );
    }

    private static void Randomize(LoraAdapterBank bank, ulong seed)
    {
        var g = new Generator(seed);
        foreach (var p in bank.Parameters())
        {
            p.CopyFrom(g.Normal(0, 0.3f, p.Shape));
        }
    }

    [Fact]
    public void Adapters_switch_disable_and_mix_exactly()
    {
        var (_, bank, eps) = Setup();
        var baseOut = eps().ToArray();
        Assert.Equal(baseOut, eps().Data); // fresh adapters (B = 0) change nothing
        Assert.All(bank.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Equal(bank.Parameters().Count, bank.UNet.TrainableParameters().Count);

        Randomize(bank, 1);
        bank.Store("group-a");
        var outA = eps().ToArray();
        Randomize(bank, 2);
        bank.Store("group-b");
        var outB = eps().ToArray();
        Assert.NotEqual(outA, outB);

        bank.SetEnabled(false);
        Assert.Equal(baseOut, eps().Data);
        bank.Activate("group-a");
        Assert.Equal(outA, eps().Data);

        bank.Mix(new Dictionary<string, float> { ["group-a"] = 1f, ["group-b"] = 0f });
        NumericAssert.Close(outA, eps().Data, 1e-4, "mix 1/0 = adapter a");
        bank.Mix(new Dictionary<string, float> { ["group-a"] = 0f, ["group-b"] = 0f });
        NumericAssert.Close(baseOut, eps().Data, 1e-6, "mix 0/0 = base");
        bank.Mix(new Dictionary<string, float> { ["group-a"] = 0.5f, ["group-b"] = 0.5f });
        var half = eps().ToArray();
        Assert.NotEqual(outA, half);
        bank.Activate("group-b");
        Assert.Equal(outB, eps().Data); // the mix is undone exactly
        Assert.Throws<KeyNotFoundException>(() => bank.Activate("nobody"));
    }

    [Fact]
    public void Adapters_save_and_load()
    {
        var (_, bank, eps) = Setup();
        Randomize(bank, 3);
        bank.Store("safety");
        var expected = eps().ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-lora-{Guid.NewGuid():N}.safetensors");
        try
        {
            bank.Save(path);
            var (_, other, eps2) = Setup();
            other.LoadFile(path);
            Assert.Contains("safety", other.Names);
            other.Activate("safety");
            Assert.Equal(expected, eps2().Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Adapter_files_record_which_layers_they_adapt()
    {
        var model = new DiffusionModel(TestUtil.TinyConfig(), new WordTokenizer(["park"]));
        var bank = LoraAdapterBank.Attach(model.UNet, 2, 2f, new Generator(4), LoraTargets.AllLinear);
        Randomize(bank, 5);
        bank.Store("all");
        var x = new Generator(1).Normal(0, 1, 1, 3, 8, 8);
        Tensor Eps(DiffusionModel m)
        {
            using var _ = Autograd.NoGrad();
            var (ctx, mask) = m.EncodeText(["a park"]);
            return m.UNet.PredictNoise(x, [300], ctx, mask);
        }

        var expected = Eps(model).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-lora-{Guid.NewGuid():N}.safetensors");
        try
        {
            bank.Save(path);
            Assert.Equal("AllLinear", Safetensors.Load(path).Metadata["targets"]);

            // the file says which layers it adapts, so a fresh model gets exactly those adapters back
            var fresh = new DiffusionModel(TestUtil.TinyConfig(), new WordTokenizer(["park"]));
            var loaded = LoraAdapterBank.AttachFromFile(fresh.UNet, path);
            Assert.Equal(LoraTargets.AllLinear, loaded.Targets);
            Assert.Equal(bank.Layers.Select(l => l.Name), loaded.Layers.Select(l => l.Name));
            loaded.Activate("all");
            Assert.Equal(expected, Eps(fresh).Data);

            // a bank on other layers refuses the file instead of loading only the layers it shares with it
            var attentionOnly = LoraAdapterBank.Attach(new DiffusionModel(TestUtil.TinyConfig(), new WordTokenizer(["park"])).UNet, 2, 2f, new Generator(4));
            Assert.Contains("AllLinear", Assert.Throws<FormatException>(() => attentionOnly.LoadFile(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
