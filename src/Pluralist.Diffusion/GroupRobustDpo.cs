using Pluralist.Tensors;

namespace Pluralist.Diffusion;

/// <summary>
/// Group-robust Diffusion-DPO (after Ramesh et al., "Group Robust Preference Optimization", NeurIPS 2024, Algorithm 1):
/// min over the model of max over group weights alpha in the simplex of sum_g alpha_g L_g, where L_g is the DPO loss of
/// group g. Each step first moves alpha by exponentiated gradient toward the groups with the highest loss in the batch
/// (alpha_g &lt;- alpha_g exp(eta L_g), normalised; groups absent from the batch keep their weight before normalising),
/// then takes the model's loss as sum_g alpha_g L_g with the new weights (no gradient through alpha). Ramesh et al.
/// scale each sample's loss by N / n_g (dataset and group sizes); here L_g is the batch's mean over the group's pairs,
/// which estimates the same group loss without needing the dataset's group sizes in the step. The weights are state:
/// one instance per training run.
/// </summary>
public sealed class GroupRobustDpo
{
    private readonly double[] _alpha;

    /// <param name="groups">Number of groups (at least 1).</param>
    /// <param name="eta">Step size of the weights' exponentiated-gradient update (0: the weights stay as given).</param>
    /// <param name="initialWeights">Starting weights (normalised here); null: uniform.</param>
    public GroupRobustDpo(int groups, double eta, IReadOnlyList<double>? initialWeights = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        if (!(eta >= 0) || double.IsInfinity(eta))
        {
            throw new ArgumentOutOfRangeException(nameof(eta), "eta must be a finite number >= 0");
        }

        if (initialWeights is not null && (initialWeights.Count != groups || initialWeights.Any(w => !(w > 0) || double.IsInfinity(w))))
        {
            throw new ArgumentException($"initial weights need {groups} finite positive values", nameof(initialWeights));
        }

        Eta = eta;
        _alpha = initialWeights is null ? Enumerable.Repeat(1.0 / groups, groups).ToArray() : Normalised(initialWeights.ToArray());
    }

    public double Eta { get; }

    /// <summary>The current group weights (sum 1).</summary>
    public IReadOnlyList<double> Weights => _alpha;

    /// <summary>
    /// One step's loss. <paramref name="groupOfPair"/> (B) gives each pair's group in 0..groups-1; the other arguments
    /// are <see cref="DpoLoss.Compute"/>'s. Updates <see cref="Weights"/>.
    /// </summary>
    public GroupRobustDpoResult Compute(Tensor modelPred, Tensor refPred, Tensor target, float beta, IReadOnlyList<int> groupOfPair)
    {
        ArgumentNullException.ThrowIfNull(modelPred);
        ArgumentNullException.ThrowIfNull(groupOfPair);
        int b = modelPred.Shape[0] / 2;
        if (groupOfPair.Count != b)
        {
            throw new ArgumentException($"one group per pair is needed ({b}), got {groupOfPair.Count}", nameof(groupOfPair));
        }

        // The per-pair DPO terms at the current model, without a graph: they set the weights.
        float[] inside;
        using (Autograd.NoGrad())
        {
            inside = DpoLoss.Compute(modelPred, refPred, target, beta).InsideTerm;
        }

        var groupLoss = Update([.. inside.Select(x => -LogSigmoid(x))], groupOfPair);
        var dpo = DpoLoss.Compute(modelPred, refPred, target, beta, PairWeights(groupOfPair));
        int worst = Worst(groupLoss);
        return new GroupRobustDpoResult(dpo, groupLoss, worst, groupLoss[worst], [.. _alpha]);
    }

    /// <summary>
    /// The weights' step: L_g = mean of <paramref name="pairLoss"/> over group g's pairs, alpha_g &lt;- alpha_g exp(eta L_g)
    /// for the groups present, then normalised. Returns L_g per group (NaN for a group absent from the batch).
    /// </summary>
    public double[] Update(IReadOnlyList<double> pairLoss, IReadOnlyList<int> groupOfPair)
    {
        ArgumentNullException.ThrowIfNull(pairLoss);
        var count = Counts(groupOfPair);
        if (pairLoss.Count != groupOfPair.Count)
        {
            throw new ArgumentException($"one loss per pair is needed ({groupOfPair.Count}), got {pairLoss.Count}", nameof(pairLoss));
        }

        int k = _alpha.Length;
        var groupLoss = new double[k];
        for (int i = 0; i < pairLoss.Count; i++)
        {
            groupLoss[groupOfPair[i]] += pairLoss[i];
        }

        for (int g = 0; g < k; g++)
        {
            if (count[g] > 0)
            {
                groupLoss[g] /= count[g];
                _alpha[g] *= Math.Exp(Eta * groupLoss[g]);
            }
            else
            {
                groupLoss[g] = double.NaN;
            }
        }

        Normalise(_alpha);
        return groupLoss;
    }

    /// <summary>
    /// Per pair, the multiplier B alpha_g(i) / n_g(i) with the current weights: (1 / B) sum_i multiplier_i l_i = sum_g alpha_g mean_{i in g} l_i.
    /// </summary>
    public float[] PairWeights(IReadOnlyList<int> groupOfPair)
    {
        var count = Counts(groupOfPair);
        int b = groupOfPair.Count;
        var weights = new float[b];
        for (int i = 0; i < b; i++)
        {
            int g = groupOfPair[i];
            weights[i] = (float)(b * _alpha[g] / count[g]);
        }

        return weights;
    }

    /// <summary>The group with the highest loss among those present (-1 when none is).</summary>
    public static int Worst(IReadOnlyList<double> groupLoss)
    {
        ArgumentNullException.ThrowIfNull(groupLoss);
        int worst = -1;
        for (int g = 0; g < groupLoss.Count; g++)
        {
            if (!double.IsNaN(groupLoss[g]) && (worst < 0 || groupLoss[g] > groupLoss[worst]))
            {
                worst = g;
            }
        }

        return worst;
    }

    /// <summary>Replaces the weights (a resumed run restores them from its checkpoint); normalised here.</summary>
    public void SetWeights(IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != _alpha.Length || weights.Any(w => !(w > 0) || double.IsInfinity(w)))
        {
            throw new ArgumentException($"{_alpha.Length} finite positive weights are needed", nameof(weights));
        }

        for (int g = 0; g < _alpha.Length; g++)
        {
            _alpha[g] = weights[g];
        }

        Normalise(_alpha);
    }

    private int[] Counts(IReadOnlyList<int> groupOfPair)
    {
        ArgumentNullException.ThrowIfNull(groupOfPair);
        int k = _alpha.Length;
        var count = new int[k];
        foreach (var g in groupOfPair)
        {
            if (g < 0 || g >= k)
            {
                throw new ArgumentOutOfRangeException(nameof(groupOfPair), $"group {g} is outside 0..{k - 1}");
            }

            count[g]++;
        }

        return count;
    }

    private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    private static double[] Normalised(double[] v)
    {
        Normalise(v);
        return v;
    }

    private static void Normalise(double[] v)
    {
        double sum = v.Sum();
        for (int i = 0; i < v.Length; i++)
        {
            v[i] /= sum;
        }
    }
}
