namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>Rows of weight (V, D) picked by indices of shape <paramref name="indexShape"/> -> (indexShape..., D).</summary>
    public static Tensor Embedding(Tensor weight, int[] indices, params int[] indexShape)
    {
        using var op = Profiler.Op("embedding");
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(indices);
        var shape = indexShape.Length == 0 ? [indices.Length] : indexShape;
        var rows = IndexSelect(weight, 0, indices);
        return Reshape(rows, [.. shape, weight.Shape[1]]);
    }

    /// <summary>
    /// Sinusoidal timestep embedding (Vaswani et al. 2017; DDPM, Ho et al. 2020) as diffusers'
    /// <c>get_timestep_embedding</c>: t (N) -> (N, dim) with f_i = exp(-ln(maxPeriod) i / (half - shift)),
    /// halves [cos(t f), sin(t f)] when <paramref name="flipSinToCos"/> (Stable Diffusion's UNet), else [sin, cos].
    /// Timesteps are data, so no gradient is recorded.
    /// </summary>
    public static Tensor TimestepEmbedding(float[] timesteps, int dim, bool flipSinToCos = true, float downscaleFreqShift = 0f, float maxPeriod = 10000f)
    {
        using var op = Profiler.Op("timestep embedding");
        ArgumentNullException.ThrowIfNull(timesteps);
        int half = dim / 2;
        var y = TensorScope.OutputZeroed(timesteps.Length * dim);
        for (int n = 0; n < timesteps.Length; n++)
        {
            for (int i = 0; i < half; i++)
            {
                float f = MathF.Exp(-MathF.Log(maxPeriod) * i / (half - downscaleFreqShift));
                float a = timesteps[n] * f;
                float s = MathF.Sin(a), c = MathF.Cos(a);
                y[(n * dim) + i] = flipSinToCos ? c : s;
                y[(n * dim) + half + i] = flipSinToCos ? s : c;
            }
        }

        return new Tensor(y, timesteps.Length, dim);
    }
}
