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

        // The per-pair DPO terms at the current model, without a graph: they set the weights.
        float[] inside;
        using (Autograd.NoGrad())
        {
            inside = DpoLoss.Compute(modelPred, refPred, target, beta).InsideTerm;
        }

        var groupLoss = new double[k];
        for (int i = 0; i < b; i++)
        {
            groupLoss[groupOfPair[i]] += -LogSigmoid(inside[i]);
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

        // sum_g alpha_g mean_{i in g} l_i = (1 / B) sum_i (B alpha_g(i) / n_g(i)) l_i: DPO with per-pair weights.
        var weights = new float[b];
        for (int i = 0; i < b; i++)
        {
            int g = groupOfPair[i];
            weights[i] = (float)(b * _alpha[g] / count[g]);
        }

        var dpo = DpoLoss.Compute(modelPred, refPred, target, beta, weights);
        int worst = -1;
        for (int g = 0; g < k; g++)
        {
            if (count[g] > 0 && (worst < 0 || groupLoss[g] > groupLoss[worst]))
            {
                worst = g;
            }
        }

        return new GroupRobustDpoResult(dpo, groupLoss, worst, groupLoss[worst], [.. _alpha]);
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
