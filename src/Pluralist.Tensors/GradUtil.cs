namespace Pluralist.Tensors;

/// <summary>Gradient utilities.</summary>
public static class GradUtil
{
    /// <summary>Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping.</summary>
    public static float ClipGradNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        using var op = Profiler.Region("clip grad norm");
        ArgumentNullException.ThrowIfNull(parameters);
        var ps = parameters.Where(p => p.Grad is not null).ToList();
        double sq = 0;
        foreach (var p in ps)
        {
            sq += OptimKernels.SumOfSquares(p.Grad!.Data);
        }

        float norm = (float)Math.Sqrt(sq);
        float coef = maxNorm / (norm + 1e-6f);
        if (coef < 1)
        {
            foreach (var p in ps)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(p.Grad!.Data, coef, p.Grad.Data);
            }
        }

        return norm;
    }
}
