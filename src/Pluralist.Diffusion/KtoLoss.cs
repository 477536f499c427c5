using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// Diffusion-KTO (Li et al., "Aligning Diffusion Models by Optimizing Human Utility", NeurIPS 2024), as the authors'
/// training script computes it: per image, the implicit reward g_i = mse_ref,i - mse_model,i (how much better the model
/// denoises it than the reference); a reference point kl = max(0, mean_i g_i) taken without gradient; the utility
/// h_i = sigmoid(s_i beta (g_i - kl)) with s_i = +1 for a desirable image and -1 for an undesirable one; the loss
/// mean_i w_i (1 - h_i) with w = lambda_D for desirable images and lambda_U for undesirable ones. It needs one
/// judgement per image, not pairs, so single-image answers and Likert ratings can train.
/// </summary>
public static class KtoLoss
{
    /// <summary>
    /// modelPred, refPred and target (N, C, H, W); <paramref name="desirable"/> one flag per image. <paramref name="weights"/>
    /// (N), when given, multiplies each image's term (a pair's criterion and dataset weights); the sum is divided by
    /// <paramref name="normalizer"/> (default N), so that gradient accumulation can divide by the whole batch.
    /// </summary>
    public static KtoLossResult Compute(Tensor modelPred, Tensor refPred, Tensor target, IReadOnlyList<bool> desirable, float beta, float desirableWeight = 1f, float undesirableWeight = 1f, float[]? weights = null, int? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(modelPred);
        ArgumentNullException.ThrowIfNull(refPred);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(desirable);
        int n = modelPred.Shape[0];
        if (modelPred.Numel != target.Numel || refPred.Numel != target.Numel || n == 0)
        {
            throw new ArgumentException("model, reference and target must be (N, ...) of one shape");
        }

        if (desirable.Count != n)
        {
            throw new ArgumentException($"one desirable/undesirable flag per image is needed ({n})", nameof(desirable));
        }

        if (weights is not null && (weights.Length != n || weights.Any(w => !(w >= 0) || float.IsInfinity(w))))
        {
            throw new ArgumentException($"weights need one finite value >= 0 per image ({n})", nameof(weights));
        }

        if (normalizer is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(normalizer), "the normalizer must be at least 1");
        }

        if (!(beta > 0) || !(desirableWeight >= 0) || !(undesirableWeight >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), "beta must be > 0 and the weights >= 0");
        }

        var diff = F.Sub(modelPred, target);
        var modelMse = F.Mean(F.Reshape(F.Mul(diff, diff), n, -1), 1); // (N)
        float[] refMse;
        using (Autograd.NoGrad())
        {
            var rd = F.Sub(refPred, target);
            refMse = F.Mean(F.Reshape(F.Mul(rd, rd), n, -1), 1).Data;
        }

        double meanGain = 0;
        for (int i = 0; i < n; i++)
        {
            meanGain += refMse[i] - modelMse.Data[i];
        }

        float kl = (float)Math.Max(0, meanGain / n);

        // z_i = s_i beta (ref_i - model_i - kl) = (-s_i beta) model_i + s_i beta (ref_i - kl)
        var scale = new float[n];
        var offset = new float[n];
        var weight = new float[n];
        for (int i = 0; i < n; i++)
        {
            float s = desirable[i] ? 1f : -1f;
            scale[i] = -s * beta;
            offset[i] = s * beta * (refMse[i] - kl);
            weight[i] = (desirable[i] ? desirableWeight : undesirableWeight) * (weights?[i] ?? 1f);
        }

        var z = F.Add(F.Mul(modelMse, new Tensor(scale, n)), new Tensor(offset, n));
        var oneMinusH = F.Sigmoid(F.Neg(z)); // 1 - sigmoid(z) = sigmoid(-z)
        var loss = F.Mul(F.Sum(F.Mul(oneMinusH, new Tensor(weight, n))), 1f / (normalizer ?? n));
        float agree = z.Data.Count(v => v > 0);
        return new KtoLossResult(loss, kl, agree / n, z.ToArray());
    }
}
