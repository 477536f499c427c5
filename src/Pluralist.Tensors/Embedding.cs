using F = Pluralist.Tensors.Functional;

namespace Pluralist.Tensors;

/// <summary>Lookup table (V, D), initialised N(0, 1) as PyTorch.</summary>
public sealed class Embedding : Module
{
    public Embedding(int count, int dim, Generator? generator = null)
    {
        Weight = RegisterParameter("weight", new Parameter((generator ?? new Generator(0)).Normal(0, 1, count, dim)));
    }

    public Parameter Weight { get; }

    /// <summary>indices (shape) -> (shape..., D).</summary>
    public Tensor Forward(int[] indices, params int[] shape) => F.Embedding(Weight, indices, shape);
}
