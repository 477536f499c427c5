namespace Pluralist.Diffusion;

/// <summary>What one group-robust DPO step computed.</summary>
/// <param name="Dpo">The weighted DPO loss (its <c>Loss</c> carries the gradient) and the DPO diagnostics of the batch.</param>
/// <param name="GroupLoss">Per group, the batch's mean DPO term over its pairs; NaN for a group absent from the batch.</param>
/// <param name="WorstGroup">The group with the highest loss in the batch.</param>
/// <param name="WorstGroupLoss">Its loss (logged: the quantity the objective keeps down).</param>
/// <param name="Weights">The group weights after this step's update (sum 1).</param>
public sealed record GroupRobustDpoResult(DpoLossResult Dpo, double[] GroupLoss, int WorstGroup, double WorstGroupLoss, double[] Weights);
