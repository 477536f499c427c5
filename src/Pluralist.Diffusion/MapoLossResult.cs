using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>What one MaPO loss evaluation produced.</summary>
/// <param name="Loss">Scalar loss with gradient to the model prediction.</param>
/// <param name="LogOdds">Per pair: a m_w / (exp(a m_w) - 1) - a m_l / (exp(a m_l) - 1) (positive when the winner is denoised better).</param>
/// <param name="WinnerMse">Mean MSE on winners (the loss's likelihood term).</param>
/// <param name="LoserMse">Mean MSE on losers.</param>
/// <param name="Accuracy">Share of pairs with positive log odds, ties counted half.</param>
public sealed record MapoLossResult(Tensor Loss, float[] LogOdds, float WinnerMse, float LoserMse, float Accuracy);
