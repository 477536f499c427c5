using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors;

/// <summary>Layer normalisation over the last dimension.</summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(int features, float eps = 1e-5f)
    {
        Eps = eps;
        Weight = RegisterParameter("weight", new Parameter(Enumerable.Repeat(1f, features).ToArray(), features));
        Bias = RegisterParameter("bias", new Parameter(new float[features], features));
    }

    public float Eps { get; }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    /// <summary>x (..., D) -> same shape.</summary>
    public Tensor Forward(Tensor x) => F.LayerNorm(x, Weight, Bias, Eps);
}
