using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>What one Diffusion-KTO loss evaluation produced.</summary>
/// <param name="Loss">Scalar loss with gradient to the model prediction.</param>
/// <param name="Kl">The batch's reference point max(0, mean(mse_ref - mse_model)), without gradient.</param>
/// <param name="Accuracy">Share of images whose signed term z is positive (the model moved the way the judgement asks, beyond the reference point).</param>
/// <param name="Z">Per image: s beta (mse_ref - mse_model - kl).</param>
public sealed record KtoLossResult(Tensor Loss, float Kl, float Accuracy, float[] Z);
