namespace Pluralist.Diffusion;

/// <summary>What one DPO optimiser step logged (averages over the batch).</summary>
/// <param name="Step">1-based step.</param>
/// <param name="Loss">The objective's loss (DPO, group-robust DPO, KTO or MaPO).</param>
/// <param name="ImplicitAccuracy">mean(inside_term &gt; 0) + mean(inside_term == 0) / 2 (ties count half, as the reference trainers); for MaPO, which has no reference, the share of pairs with positive log odds (the winner denoised better in absolute terms).</param>
/// <param name="ModelMse">Mean denoising MSE of the trained model on winners and losers.</param>
/// <param name="ReferenceMse">Same for the reference (NaN for MaPO: no reference pass).</param>
/// <param name="ModelMseWinner">Model MSE on winners.</param>
/// <param name="ModelMseLoser">Model MSE on losers.</param>
/// <param name="LearningRate">The rate used in this step (after scaling and warmup).</param>
/// <param name="GradNorm">Gradient L2 norm before clipping.</param>
/// <param name="StepTime">Wall time of the step.</param>
/// <param name="WorstGroup">Group-robust DPO: the group with the highest mean loss term in the batch (null for the other objectives).</param>
/// <param name="WorstGroupLoss">Its mean loss term (NaN for the other objectives).</param>
/// <param name="GroupWeights">Group-robust DPO: the group weights after this step's update, in <see cref="DpoPreparation.Groups"/> order.</param>
public sealed record DpoStepLog(int Step, float Loss, float ImplicitAccuracy, float ModelMse, float ReferenceMse, float ModelMseWinner, float ModelMseLoser, float LearningRate, float GradNorm, TimeSpan StepTime, string? WorstGroup = null, float WorstGroupLoss = float.NaN, IReadOnlyList<double>? GroupWeights = null);
