using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>What one Diffusion-DPO loss evaluation produced.</summary>
/// <param name="Loss">Scalar loss with gradient to the model prediction.</param>
/// <param name="ImplicitAccuracy">mean(inside_term &gt; 0) + mean(inside_term == 0) / 2: the share of pairs where the model, relative to the reference, already denoises the winner better than the loser, ties counted half as the reference trainers count them. Exactly 0.5 when every inside term is 0 (model = reference).</param>
/// <param name="ModelMse">Mean per-sample MSE of the trained model over winners and losers (the reference trainer's raw_model_loss).</param>
/// <param name="ReferenceMse">Same for the reference model (raw_ref_loss).</param>
/// <param name="ModelMseWinner">Mean MSE of the model on winners.</param>
/// <param name="ModelMseLoser">Mean MSE of the model on losers.</param>
/// <param name="InsideTerm">Per pair: -0.5 beta ((mse_w - mse_l) - (ref_w - ref_l)).</param>
public sealed record DpoLossResult(Tensor Loss, float ImplicitAccuracy, float ModelMse, float ReferenceMse, float ModelMseWinner, float ModelMseLoser, float[] InsideTerm);
