using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors.Tests;

/// <summary>Finite-difference gradient checks of every differentiable operation (float32 forward, double loss; tolerance 2e-2 relative).</summary>
public class GradCheckTests
{
    private static Tensor R(int seed, params int[] shape) => new Generator((ulong)seed).Normal(0, 1, shape);

    public static TheoryData<string> Cases => new()
    {
        "add", "sub", "mul", "div", "scalar", "exp", "expm1", "log", "sqrt", "pow", "tanh", "sigmoid", "relu", "silu", "gelu",
        "gelu_tanh", "logsigmoid", "abs", "sum", "mean", "max", "var", "reshape", "permute", "slice", "chunk", "cat",
        "stack", "index_select", "gather", "expand", "where", "matmul", "matmul_shared", "linear", "conv", "conv_groups",
        "conv_1x1", "upsample", "avgpool", "groupnorm", "groupnorm_rank2", "layernorm", "embedding", "softmax", "softmax_dim0",
        "log_softmax", "attention", "attention_mask", "mse", "cross_entropy",
    };

    private static (Func<Tensor[], Tensor> F, Tensor[] X) C(Func<Tensor[], Tensor> f, params Tensor[] x) => (f, x);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_matches_finite_differences(string name)
    {
        (Func<Tensor[], Tensor> f, Tensor[] x) = name switch
        {
            "add" => C(x => F.Add(x[0], x[1]), R(1, 2, 3), R(2, 3)),
            "sub" => C(x => F.Sub(x[0], x[1]), R(1, 2, 1), R(2, 1, 3)),
            "mul" => C(x => F.Mul(x[0], x[1]), R(1, 2, 3), R(2, 2, 1)),
            "div" => C(x => F.Div(x[0], F.Add(F.Mul(x[1], x[1]), 1)), R(1, 2, 3), R(2, 3)),
            "scalar" => C(x => F.Add(F.Mul(x[0], 3f), 2f), R(1, 4)),
            "exp" => C(x => F.Exp(x[0]), R(1, 5)),
            "expm1" => C(x => F.Expm1(x[0]), R(1, 5)),
            "log" => C(x => F.Log(F.Add(F.Abs(x[0]), 1)), R(1, 5)),
            "sqrt" => C(x => F.Sqrt(F.Add(F.Abs(x[0]), 1)), R(1, 5)),
            "pow" => C(x => F.Pow(F.Add(F.Abs(x[0]), 1), 2.5f), R(1, 5)),
            "tanh" => C(x => F.Tanh(x[0]), R(1, 5)),
            "sigmoid" => C(x => F.Sigmoid(x[0]), R(1, 5)),
            "relu" => C(x => F.Relu(x[0]), R(3, 6)),
            "silu" => C(x => F.Silu(x[0]), R(1, 6)),
            "gelu" => C(x => F.Gelu(x[0]), R(1, 6)),
            "gelu_tanh" => C(x => F.Gelu(x[0], true), R(1, 6)),
            "logsigmoid" => C(x => F.LogSigmoid(x[0]), R(1, 6)),
            "abs" => C(x => F.Abs(x[0]), R(3, 6)),
            "sum" => C(x => F.Add(F.Sum(x[0], 1), F.Sum(x[0])), R(1, 2, 3, 2)),
            "mean" => C(x => F.Mean(x[0], -1, true), R(1, 2, 3)),
            "max" => C(x => F.Max(x[0], 0), R(1, 3, 4)),
            "var" => C(x => F.Var(x[0], 1), R(1, 2, 5)),
            "reshape" => C(x => F.Mul(F.Reshape(x[0], 3, -1), R(9, 3, 2)), R(1, 2, 3)),
            "permute" => C(x => F.Permute(x[0], 1, 2, 0), R(1, 2, 3, 4)),
            "slice" => C(x => F.Slice(x[0], 1, 1, 2), R(1, 2, 4)),
            "chunk" => C(x => F.Mul(F.Chunk(x[0], 2, 0)[0], F.Chunk(x[0], 2, 0)[1]), R(1, 4, 3)),
            "cat" => C(x => F.Cat([x[0], x[1]], 0), R(1, 2, 3), R(2, 1, 3)),
            "stack" => C(x => F.Stack([x[0], x[1]], 1), R(1, 2, 3), R(2, 2, 3)),
            "index_select" => C(x => F.IndexSelect(x[0], 1, [2, 0, 2]), R(1, 2, 3)),
            "gather" => C(x => F.Gather(x[0], 1, [1, 0, 2, 2], 2), R(1, 2, 3)),
            "expand" => C(x => F.Expand(x[0], 2, 3, 4), R(1, 3, 1)),
            "where" => C(x => F.Where(F.Gt(x[0], x[1]), x[0], x[1]), R(1, 3, 4), R(2, 4)),
            "matmul" => C(x => F.Matmul(x[0], x[1]), R(1, 2, 3, 4), R(2, 2, 4, 5)),
            "matmul_shared" => C(x => F.Matmul(x[0], x[1]), R(1, 2, 3, 4), R(2, 4, 5)),
            "linear" => C(x => F.Linear(x[0], x[1], x[2]), R(1, 2, 3, 4), R(2, 5, 4), R(3, 5)),
            "conv" => C(x => F.Conv2d(x[0], x[1], x[2], 2, 1, 1, 1), R(1, 2, 2, 5, 5), R(2, 3, 2, 3, 3), R(3, 3)),
            "conv_groups" => C(x => F.Conv2d(x[0], x[1], null, 1, 2, 2, 2), R(1, 1, 4, 4, 4), R(2, 4, 2, 3, 3)),
            "conv_1x1" => C(x => F.Conv2d(x[0], x[1], x[2]), R(1, 2, 3, 2, 2), R(2, 4, 3, 1, 1), R(3, 4)),
            "upsample" => C(x => F.UpsampleNearest2d(x[0], 2), R(1, 1, 2, 2, 3)),
            "avgpool" => C(x => F.AvgPool2d(x[0], 2), R(1, 1, 2, 4, 4)),
            "groupnorm" => C(x => F.GroupNorm(x[0], 2, x[1], x[2]), R(1, 2, 4, 2, 2), R(2, 4), R(3, 4)),
            "groupnorm_rank2" => C(x => F.GroupNorm(x[0], 2, x[1], x[2]), R(1, 3, 6), R(2, 6), R(3, 6)),
            "layernorm" => C(x => F.LayerNorm(x[0], x[1], x[2]), R(1, 3, 6), R(2, 6), R(3, 6)),
            "embedding" => C(x => F.Embedding(x[0], [1, 3, 1], 3), R(1, 4, 2)),
            "softmax" => C(x => F.Softmax(x[0]), R(1, 3, 5)),
            "softmax_dim0" => C(x => F.Softmax(x[0], 0), R(1, 3, 5)),
            "log_softmax" => C(x => F.LogSoftmax(x[0]), R(1, 3, 5)),
            "attention" => C(x => F.ScaledDotProductAttention(x[0], x[1], x[2]), R(1, 2, 3, 4), R(2, 2, 5, 4), R(3, 2, 5, 2)),
            "attention_mask" => C(x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true), R(1, 1, 4, 3), R(2, 1, 4, 3), R(3, 1, 4, 3)),
            "mse" => C(x => F.MseLoss(x[0], x[1]), R(1, 3, 4), R(2, 3, 4)),
            "cross_entropy" => C(x => F.CrossEntropy(x[0], [2, 0, 1]), R(1, 3, 4)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        TestUtil.GradCheck(f, x);
    }
}
