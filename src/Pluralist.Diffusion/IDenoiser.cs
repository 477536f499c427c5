using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>
/// A noise-prediction network eps_theta(x_t, t, c) (Ho et al. 2020): what Diffusion-DPO trains and the samplers query.
/// </summary>
public interface IDenoiser
{
    /// <summary>
    /// Predicts the noise in <paramref name="noisy"/> x_t (B, C, H, W) at integer training steps
    /// <paramref name="timesteps"/> (B) given text conditioning <paramref name="context"/> (B, L, D) whose valid tokens
    /// <paramref name="contextMask"/> (B, L) marks with 1 (null = all valid). Returns eps (B, C, H, W).
    /// </summary>
    Tensor PredictNoise(Tensor noisy, int[] timesteps, Tensor context, Tensor? contextMask);
}
