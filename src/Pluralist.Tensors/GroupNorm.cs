using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors;

/// <summary>Group normalisation layer with per-channel affine weight (ones) and bias (zeros).</summary>
public sealed class GroupNorm : Module
{
    public GroupNorm(int groups, int channels, float eps = 1e-5f)
    {
        Groups = groups;
        Eps = eps;
        Weight = RegisterParameter("weight", new Parameter(Enumerable.Repeat(1f, channels).ToArray(), channels));
        Bias = RegisterParameter("bias", new Parameter(new float[channels], channels));
    }

    public int Groups { get; }

    public float Eps { get; }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    /// <summary>x (B, C, ...) -> same shape.</summary>
    public Tensor Forward(Tensor x) => F.GroupNorm(x, Groups, Weight, Bias, Eps);
}
