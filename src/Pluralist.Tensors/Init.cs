namespace Pluralist.Tensors;

/// <summary>Parameter initialisation matching PyTorch's defaults (Kaiming-uniform with a = sqrt 5).</summary>
public static class Init
{
    /// <summary>U(-1/sqrt(fanIn), 1/sqrt(fanIn)), PyTorch's default for linear and conv weights and biases.</summary>
    public static Parameter UniformFanIn(Generator g, int fanIn, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(g);
        float bound = 1f / MathF.Sqrt(fanIn);
        return new Parameter(g.Uniform(-bound, bound, shape));
    }
}
