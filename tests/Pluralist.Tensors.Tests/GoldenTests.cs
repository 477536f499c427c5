using Pluralist.Testing;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

/// <summary>Parity with PyTorch 1.13 golden values written by tools/golden/make_golden.py (tolerance 1e-4 of each tensor's scale).</summary>
public class GoldenTests
{
    private const double Tol = 1e-4;
    private static readonly Lazy<Dictionary<string, Tensor>> Golden = new(() =>
        Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Golden", "golden.safetensors")).Tensors);

    private static Tensor G(string name) => Golden.Value[name].Clone();

    public static TheoryData<string> Ops => new()
    {
        "matmul", "linear", "conv2d", "conv2d_s2", "conv2d_dil_groups", "upsample", "avgpool", "groupnorm", "layernorm",
        "silu", "gelu", "gelu_tanh", "softmax", "log_softmax", "logsigmoid", "sum_axis1", "mean_axis2", "var_axis1",
        "max_axis1", "broadcast_mul_add", "div", "exp_log_sqrt", "permute", "cat", "attention_causal", "attention_cross",
        "mse", "cross_entropy", "embedding",
    };

    private static Tensor Apply(string op, Tensor[] x) => op switch
    {
        "matmul" => F.Matmul(x[0], x[1]),
        "linear" => F.Linear(x[0], x[1], x[2]),
        "conv2d" => F.Conv2d(x[0], x[1], x[2], stride: 1, padding: 1),
        "conv2d_s2" => F.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1),
        "conv2d_dil_groups" => F.Conv2d(x[0], x[1], x[2], stride: 1, padding: 2, dilation: 2, groups: 2),
        "upsample" => F.UpsampleNearest2d(x[0], 2),
        "avgpool" => F.AvgPool2d(x[0], 2),
        "groupnorm" => F.GroupNorm(x[0], 2, x[1], x[2]),
        "layernorm" => F.LayerNorm(x[0], x[1], x[2]),
        "silu" => F.Silu(x[0]),
        "gelu" => F.Gelu(x[0]),
        "gelu_tanh" => F.Gelu(x[0], approximateTanh: true),
        "softmax" => F.Softmax(x[0], -1),
        "log_softmax" => F.LogSoftmax(x[0], -1),
        "logsigmoid" => F.LogSigmoid(x[0]),
        "sum_axis1" => F.Sum(x[0], 1),
        "mean_axis2" => F.Mean(x[0], 2, keepDim: true),
        "var_axis1" => F.Var(x[0], 1),
        "max_axis1" => F.Max(x[0], 1),
        "broadcast_mul_add" => F.Add(F.Mul(x[0], x[1]), x[2]),
        "div" => F.Div(x[0], x[1]),
        "exp_log_sqrt" => F.Add(F.Add(F.Exp(x[0]), F.Log(F.Add(F.Abs(x[0]), 1))), F.Sqrt(F.Add(F.Abs(x[0]), 1))),
        "permute" => F.Reshape(F.Permute(x[0], 2, 0, 1), 4, 6),
        "cat" => F.Cat([x[0], x[1]], 1),
        "attention_causal" => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true),
        "attention_cross" => F.ScaledDotProductAttention(x[0], x[1], x[2], mask: new Tensor(Enumerable.Repeat(1f, 18).ToArray(), 3, 6)),
        "mse" => F.MseLoss(x[0], x[1]),
        "cross_entropy" => F.CrossEntropy(x[0], Ints("cross_entropy.targets")),
        "embedding" => F.Embedding(x[0], Ints("embedding.indices"), 2, 3),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static int[] Ints(string name) => G(name).Data.Select(v => (int)v).ToArray();

    [Theory]
    [MemberData(nameof(Ops))]
    public void Operation_matches_pytorch_forward_and_backward(string op)
    {
        var inputs = new List<Tensor>();
        for (int i = 0; Golden.Value.ContainsKey($"{op}.x{i}"); i++)
        {
            var t = G($"{op}.x{i}");
            t.RequiresGrad = Golden.Value.ContainsKey($"{op}.grad.x{i}");
            inputs.Add(t);
        }

        var y = Apply(op, [.. inputs]);
        var expected = G($"{op}.out");
        Assert.Equal(expected.Numel, y.Numel);
        NumericAssert.Close(expected.Data, y.Data, Tol, op + " out");
        var w = G($"{op}.w");
        F.Sum(F.Mul(F.Reshape(y, w.Shape), w)).Backward();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (Golden.Value.TryGetValue($"{op}.grad.x{i}", out var g))
            {
                NumericAssert.Close(g.Data, inputs[i].Grad!.Data, Tol, $"{op} grad x{i}");
            }
        }
    }

    [Fact]
    public void Timestep_embedding_matches_the_diffusers_formula_computed_in_pytorch()
    {
        var y = F.TimestepEmbedding(G("timestep.t").Data, 8);
        // arguments reach 999, where float32 sin/cos differ in the last bits: tolerance 1e-4 absolute via scale 1.
        NumericAssert.Close(G("timestep.out").Data, y.Data, Tol, "timestep");
        Assert.Equal(new[] { 4, 8 }, y.Shape);
    }

    /// <summary>The tiny net of make_golden.py: conv, group norm, SiLU, attention, linear.</summary>
    internal sealed class TinyNet : Module
    {
        public TinyNet()
        {
            Conv = RegisterModule("conv", new Conv2d(3, 8, 3, padding: 1));
            Norm = RegisterModule("norm", new GroupNorm(2, 8));
            Q = RegisterModule("q", new Linear(8, 8));
            K = RegisterModule("k", new Linear(8, 8));
            V = RegisterModule("v", new Linear(8, 8));
            Proj = RegisterModule("proj", new Linear(8, 8));
            Head = RegisterModule("head", new Linear(8, 4));
        }

        public Conv2d Conv { get; }

        public GroupNorm Norm { get; }

        public Linear Q { get; }

        public Linear K { get; }

        public Linear V { get; }

        public Linear Proj { get; }

        public Linear Head { get; }

        public Tensor Forward(Tensor x)
        {
            var h = F.Silu(Norm.Forward(Conv.Forward(x)));              // (B, 8, 4, 4)
            var t = F.Transpose(F.Flatten(h, 2), 1, 2);                  // (B, 16, 8)
            var a = F.ScaledDotProductAttention(Q.Forward(t), K.Forward(t), V.Forward(t));
            t = F.Add(t, Proj.Forward(a));
            return Head.Forward(F.Mean(t, 1));                           // (B, 4)
        }
    }

    [Fact]
    public void Tiny_network_loss_gradients_and_adamw_step_match_pytorch()
    {
        var net = new TinyNet();
        var state = Golden.Value.Where(kv => kv.Key.StartsWith("net.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        net.LoadStateDict(state, strict: true, nameMap: n => n[4..]);
        var loss = F.CrossEntropy(net.Forward(G("tiny.x")), Ints("tiny.targets"));
        NumericAssert.Close(G("tiny.loss").Data, loss.Data, Tol, "loss");
        loss.Backward();
        foreach (var (name, p) in net.NamedParameters())
        {
            NumericAssert.Close(G("grad." + name).Data, p.Grad!.Data, Tol, "grad " + name);
        }

        var opt = Adam.AdamW(net.Parameters(), learningRate: 1e-2f, weightDecay: 0.1f);
        opt.Step();
        foreach (var (name, p) in net.NamedParameters())
        {
            var g = G("grad." + name).Data;
            if (g.Max(Math.Abs) < 1e-6f)
            {
                // k.bias: its exact gradient is zero (softmax ignores a per-row constant), so both frameworks hold
                // rounding noise and Adam's normalised step follows the noise's sign. Only the step size is checked:
                // |after - before (1 - lr wd)| <= lr.
                var before = G("net." + name).Data;
                for (int i = 0; i < before.Length; i++)
                {
                    Assert.True(Math.Abs(p.Data[i] - (before[i] * (1 - (1e-2f * 0.1f)))) <= 1e-2f * 1.001f, name);
                }

                continue;
            }

            NumericAssert.Close(G("after." + name).Data, p.Data, Tol, "after " + name);
        }
    }
}
