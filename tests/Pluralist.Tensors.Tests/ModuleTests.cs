using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

public class ModuleTests
{
    private sealed class Block : Module
    {
        public Block()
        {
            Conv = RegisterModule("conv", new Conv2d(2, 3, 3, padding: 1, generator: new Generator(1)));
            Norm = RegisterModule("norm", new GroupNorm(1, 3));
            Fc = RegisterModule("fc", new Linear(3, 2, generator: new Generator(2)));
            Steps = RegisterBuffer("steps", new Tensor([0f], 1));
        }

        public Conv2d Conv { get; }

        public GroupNorm Norm { get; }

        public Linear Fc { get; }

        public Tensor Steps { get; }

        public Tensor Forward(Tensor x) => Fc.Forward(F.Mean(F.Flatten(F.Silu(Norm.Forward(Conv.Forward(x))), 2), -1));
    }

    [Fact]
    public void Named_parameters_use_dotted_names_in_registration_order()
    {
        var names = new Block().StateDict().Keys.ToList();
        Assert.Equal(new[] { "conv.weight", "conv.bias", "norm.weight", "norm.bias", "fc.weight", "fc.bias", "steps" }, names);
    }

    [Fact]
    public void State_dict_saves_and_loads_through_safetensors_with_name_map()
    {
        var a = new Block();
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-mod-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, a.StateDict().ToDictionary(kv => "model." + kv.Key, kv => kv.Value));
            var b = new Block();
            foreach (var p in b.Parameters())
            {
                Array.Clear(p.Data);
            }

            var (t, _) = Safetensors.Load(path);
            Assert.Throws<InvalidOperationException>(() => b.LoadStateDict(t));
            b.LoadStateDict(t, strict: true, nameMap: n => n.StartsWith("model.", StringComparison.Ordinal) ? n[6..] : null);
            var x = new Generator(3).Normal(0, 1, 1, 2, 4, 4);
            Assert.Equal(a.Forward(x).Data, b.Forward(x).Data);

            t["extra"] = new Tensor([1f], 1);
            t.Remove("model.fc.bias");
            var result = b.LoadStateDict(t, strict: false, nameMap: n => n.StartsWith("model.", StringComparison.Ordinal) ? n[6..] : null);
            Assert.Equal(new[] { "fc.bias" }, result.Missing);
            Assert.Equal(new[] { "extra" }, result.Unexpected);
            t["model.fc.bias"] = new Tensor([1f, 2f, 3f], 3);
            Assert.Throws<ArgumentException>(() => b.LoadStateDict(t, strict: false, nameMap: n => n.StartsWith("model.", StringComparison.Ordinal) ? n[6..] : null));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Freezing_stops_gradients_and_train_eval_propagates()
    {
        var m = new Block();
        m.Conv.Freeze();
        Assert.Equal(4, m.TrainableParameters().Count);
        F.Sum(m.Forward(new Generator(4).Normal(0, 1, 1, 2, 4, 4))).Backward();
        Assert.Null(m.Conv.Weight.Grad);
        Assert.NotNull(m.Fc.Weight.Grad);
        m.Eval();
        Assert.False(m.Fc.Training);
        m.Train();
        Assert.True(m.Conv.Training);
    }

    [Fact]
    public void Linear_lora_starts_as_identity_trains_toggles_and_merges()
    {
        var lin = new Linear(5, 4, generator: new Generator(1));
        var x = new Generator(2).Normal(0, 1, 3, 5);
        var baseOut = lin.Forward(x).ToArray();
        lin.Freeze();
        lin.AddLora(2, 4f, new Generator(3));
        Assert.Equal(new[] { "weight", "bias", "lora_A", "lora_B" }, lin.NamedParameters().Select(p => p.Name));
        Assert.Equal(baseOut, lin.Forward(x).Data); // B = 0: no change
        Assert.Equal(2, lin.TrainableParameters().Count);
        var opt = new Sgd(lin.TrainableParameters(), 0.1f);
        F.Sum(lin.Forward(x)).Backward();
        Assert.Null(lin.Weight.Grad);
        opt.Step();
        var adapted = lin.Forward(x).ToArray();
        Assert.NotEqual(baseOut, adapted);
        lin.LoraEnabled = false;
        Assert.Equal(baseOut, lin.Forward(x).Data);
        lin.LoraEnabled = true;
        lin.MergeLora();
        Assert.Null(lin.LoraA);
        NumericAssert.Close(adapted, lin.Forward(x).Data, 1e-5, "merged");
    }

    [Fact]
    public void Conv_lora_merges_into_the_weight()
    {
        var conv = new Conv2d(3, 4, 3, padding: 1, generator: new Generator(1));
        conv.AddLora(2, 2f, new Generator(2));
        new Generator(5).Normal(0, 1, conv.LoraUp!.Shape).Data.CopyTo(conv.LoraUp.Data, 0);
        var x = new Generator(3).Normal(0, 1, 2, 3, 5, 5);
        var adapted = conv.Forward(x).ToArray();
        conv.LoraEnabled = false;
        Assert.NotEqual(adapted, conv.Forward(x).Data);
        conv.LoraEnabled = true;
        conv.MergeLora();
        Assert.DoesNotContain(conv.NamedParameters(), p => p.Name.StartsWith("lora", StringComparison.Ordinal));
        NumericAssert.Close(adapted, conv.Forward(x).Data, 1e-5, "merged conv");
    }
}
