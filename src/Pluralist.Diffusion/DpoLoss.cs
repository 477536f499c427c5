using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// The Diffusion-DPO objective (Wallace et al. 2023, Eq. 14, as computed by the reference trainers
/// SalesforceAIResearch/DiffusionDPO train.py and diffusers' train_diffusion_dpo.py):
/// L = -mean_i log sigmoid(-0.5 beta ((||eps_w - eps_theta(x_w,t)||^2 - ||eps_w - eps_ref(x_w,t)||^2) - (same for l))),
/// with per-sample MSE meaning the mean over channels and pixels.
/// </summary>
public static class DpoLoss
{
    /// <summary>
    /// modelPred and target (2B, C, H, W) with the B winners first, then the B losers (the reference trainers' layout
    /// torch.cat(pixel_values.chunk(2, dim=1))); refPred the same from the frozen reference (no gradient taken).
    /// <paramref name="weights"/> (B) multiplies each pair's term (soft-label margin 2p - 1 and criterion weights; null = 1).
    /// <paramref name="softLabels"/> (B), when given, replaces -log sigmoid(x) by the soft binary cross-entropy
    /// -(p log sigmoid(x) + (1 - p) log sigmoid(-x)) with p = P(winner preferred).
    /// The sum of the pair terms is divided by <paramref name="normalizer"/> (default B), so that gradient accumulation
    /// over micro-batches can divide by the full batch.
    /// <paramref name="margins"/> (B), when given, asks each pair for a margin: the pair's term uses inside - margin
    /// (a stronger slider answer can ask the model to move further; the implicit accuracy still uses the inside term).
    /// </summary>
    public static DpoLossResult Compute(Tensor modelPred, Tensor refPred, Tensor target, float beta, float[]? weights = null, float[]? softLabels = null, int? normalizer = null, float[]? margins = null)
    {
        ArgumentNullException.ThrowIfNull(modelPred);
        ArgumentNullException.ThrowIfNull(refPred);
        ArgumentNullException.ThrowIfNull(target);
        if (modelPred.Numel != target.Numel || refPred.Numel != target.Numel || modelPred.Shape[0] % 2 != 0)
        {
            throw new ArgumentException("model, reference and target must be (2B, ...) of one shape");
        }

        int b = modelPred.Shape[0] / 2;
        if ((weights is not null && weights.Length != b) || (softLabels is not null && softLabels.Length != b) || (margins is not null && margins.Length != b))
        {
            throw new ArgumentException($"weights, soft labels and margins need one value per pair ({b})");
        }

        if (margins is not null && margins.Any(m => !float.IsFinite(m)))
        {
            throw new ArgumentException("margins must be finite numbers", nameof(margins));
        }

        if (!(beta > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), "beta must be > 0");
        }

        // Per-sample MSE = mean over (C, H, W) of (eps_theta - eps)^2 -> (2B)
        var diff = F.Sub(modelPred, target);
        var modelLosses = F.Mean(F.Reshape(F.Mul(diff, diff), 2 * b, -1), 1); // (2B)
        var mseW = F.Slice(modelLosses, 0, 0, b); // (B)
        var mseL = F.Slice(modelLosses, 0, b, b); // (B)
        var modelDiff = F.Sub(mseW, mseL); // (B)

        float[] refLosses; // (2B), no gradient; the same arithmetic as the model's, so model = reference gives 0 exactly
        using (Autograd.NoGrad())
        {
            var rd = F.Sub(refPred, target);
            refLosses = F.Mean(F.Reshape(F.Mul(rd, rd), 2 * b, -1), 1).Data;
        }

        var refDiff = new float[b];
        for (int i = 0; i < b; i++)
        {
            refDiff[i] = refLosses[i] - refLosses[b + i];
        }

        // inside_term = -0.5 beta (model_diff - ref_diff)
        var inside = F.Mul(F.Sub(modelDiff, new Tensor(refDiff, b)), -0.5f * beta); // (B)
        var shifted = margins is null ? inside : F.Sub(inside, new Tensor((float[])margins.Clone(), b));
        Tensor terms; // (B): per-pair loss
        if (softLabels is null)
        {
            terms = F.Neg(F.LogSigmoid(shifted)); // -log sigmoid(inside - margin)
        }
        else
        {
            var p = new Tensor((float[])softLabels.Clone(), b);
            var q = new Tensor(softLabels.Select(v => 1 - v).ToArray(), b);
            terms = F.Neg(F.Add(F.Mul(p, F.LogSigmoid(shifted)), F.Mul(q, F.LogSigmoid(F.Neg(shifted)))));
        }

        if (weights is not null)
        {
            terms = F.Mul(terms, new Tensor((float[])weights.Clone(), b));
        }

        var loss = F.Mul(F.Sum(terms), 1f / (normalizer ?? b));

        // implicit_acc = (inside_term > 0).sum() / B + 0.5 (inside_term == 0).sum() / B: a tie counts half
        float correct = inside.Data.Count(v => v > 0) + (0.5f * inside.Data.Count(v => v == 0));
        return new DpoLossResult(
            loss,
            correct / b,
            Mean(modelLosses.Data, 0, 2 * b),
            Mean(refLosses, 0, 2 * b),
            Mean(modelLosses.Data, 0, b),
            Mean(modelLosses.Data, b, b),
            inside.ToArray());
    }

    /// <summary>
    /// One pair's term as <see cref="Compute"/> takes it, from its inside term: -log sigmoid(inside - margin), or with a soft
    /// label p, -(p log sigmoid(inside - margin) + (1 - p) log sigmoid(margin - inside)). In double precision, for logs and
    /// the group weights of group-robust DPO.
    /// </summary>
    public static double PairTerm(float inside, float? softLabel = null, float margin = 0)
    {
        double x = (double)inside - margin;
        double p = softLabel ?? 1f;
        return -((p * LogSigmoid(x)) + ((1 - p) * LogSigmoid(-x)));
    }

    private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    private static float Mean(float[] v, int start, int count)
    {
        double s = 0;
        for (int i = start; i < start + count; i++)
        {
            s += v[i];
        }

        return (float)(s / count);
    }
}
