using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// MaPO, margin-aware preference optimisation without a reference model (Hong et al., 2024), as the authors'
/// <c>compute_loss</c> computes it: with per-sample MSEs m_w (winners) and m_l (losers) and a constant
/// signal-to-noise value a, log_odds = a m_w / (exp(a m_w) - 1) - a m_l / (exp(a m_l) - 1); the margin term
/// logsigmoid(T log_odds) with T the schedule's number of timesteps; loss = mean(m_w) - beta mean(margin term). No
/// reference prediction is needed, so a step costs one model pass instead of two. The authors' defaults: beta 0.1,
/// a = 0.5. Unlike the authors' float32 lines, exp(a m) - 1 is computed without cancellation (see
/// <see cref="Pluralist.Tensors.Functional.Expm1"/>); the golden values are computed in float64.
/// </summary>
public static class MapoLoss
{
    /// <summary>
    /// modelPred and target (2B, C, H, W) with the B winners first. <paramref name="weights"/> (B), when given, multiplies
    /// each pair's term m_w - beta logsigmoid(T log_odds), and the sum is divided by <paramref name="normalizer"/> (default B;
    /// gradient accumulation divides by the whole batch). Without either, the authors' mean(m_w) - beta mean(margin term).
    /// </summary>
    public static MapoLossResult Compute(Tensor modelPred, Tensor target, int timesteps, float beta = 0.1f, float snr = 0.5f, float[]? weights = null, int? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(modelPred);
        ArgumentNullException.ThrowIfNull(target);
        if (modelPred.Numel != target.Numel || modelPred.Shape[0] % 2 != 0 || modelPred.Shape[0] == 0)
        {
            throw new ArgumentException("model and target must be (2B, ...) of one shape");
        }

        if (!(beta >= 0) || !(snr > 0) || timesteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(beta), "beta must be >= 0, snr > 0 and timesteps >= 1");
        }

        int b = modelPred.Shape[0] / 2;
        if (weights is not null && (weights.Length != b || weights.Any(w => !(w >= 0) || float.IsInfinity(w))))
        {
            throw new ArgumentException($"weights need one finite value >= 0 per pair ({b})", nameof(weights));
        }

        if (normalizer is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(normalizer), "the normalizer must be at least 1");
        }

        var diff = F.Sub(modelPred, target);
        var mse = F.Mean(F.Reshape(F.Mul(diff, diff), 2 * b, -1), 1); // (2B)
        var mw = F.Slice(mse, 0, 0, b);
        var ml = F.Slice(mse, 0, b, b);
        var logOdds = F.Sub(OddsTerm(mw, snr), OddsTerm(ml, snr)); // (B)
        var ratio = F.LogSigmoid(F.Mul(logOdds, timesteps));
        Tensor loss;
        if (weights is null && normalizer is null)
        {
            loss = F.Sub(F.Mean(mw), F.Mul(F.Mean(ratio), beta));
        }
        else
        {
            var terms = F.Sub(mw, F.Mul(ratio, beta)); // (B)
            if (weights is not null)
            {
                terms = F.Mul(terms, new Tensor((float[])weights.Clone(), b));
            }

            loss = F.Mul(F.Sum(terms), 1f / (normalizer ?? b));
        }

        float wins = logOdds.Data.Count(v => v > 0) + (0.5f * logOdds.Data.Count(v => v == 0));
        return new MapoLossResult(loss, logOdds.ToArray(), Average(mw.Data), Average(ml.Data), wins / b);
    }

    /// <summary>
    /// a m / (exp(a m) - 1), which tends to 1 as m -> 0 (the MSE is never exactly 0 in practice). The denominator goes
    /// through expm1: exp(a m) - 1 in float loses most digits for the small MSEs of a well-trained model, and T (1,000)
    /// multiplies the difference of two such terms.
    /// </summary>
    private static Tensor OddsTerm(Tensor m, float snr)
    {
        var am = F.Mul(m, snr);
        return F.Div(am, F.Expm1(am));
    }

    private static float Average(float[] v) => v.Length == 0 ? float.NaN : (float)v.Average(x => (double)x);
}
