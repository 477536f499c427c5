namespace Pluralist.Tensors;

/// <summary>
/// Adam (Kingma and Ba 2015) and AdamW (Loshchilov and Hutter 2019, decoupled decay p *= 1 - lr wd), computed as
/// <c>torch.optim.AdamW</c>: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps).
/// With <paramref name="decoupled"/> false the decay is added to the gradient (Adam's L2).
/// </summary>
public sealed class Adam(IReadOnlyList<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f, bool decoupled = false)
    : Optimizer(parameters, learningRate)
{
    private readonly Dictionary<int, (float[] M, float[] V)> _state = [];

    /// <summary>AdamW with PyTorch's default decay 0.01.</summary>
    public static Adam AdamW(IReadOnlyList<Parameter> parameters, float learningRate = 1e-3f, float weightDecay = 1e-2f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f)
        => new(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true);

    public override void Step()
    {
        using var op = Profiler.Region(decoupled ? "adamw step" : "adam step");
        StepCount++;
        double bc1 = 1 - Math.Pow(beta1, StepCount);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, StepCount));
        float stepSize = (float)(LearningRate / bc1);
        for (int i = 0; i < Params.Count; i++)
        {
            var p = Params[i];
            if (p.Grad is null)
            {
                continue;
            }

            if (!_state.TryGetValue(i, out var st))
            {
                st = (new float[p.Numel], new float[p.Numel]);
                _state[i] = st;
            }

            OptimKernels.Adam(p.Data, p.Grad.Data, st.M, st.V, beta1, beta2, eps, stepSize, bc2Sqrt, decoupled, 1 - (LearningRate * weightDecay), weightDecay);
        }
    }

    public override Dictionary<string, Tensor> StateDict()
    {
        var s = base.StateDict();
        foreach (var (i, (m, v)) in _state)
        {
            s[$"{i}.exp_avg"] = new Tensor((float[])m.Clone(), m.Length);
            s[$"{i}.exp_avg_sq"] = new Tensor((float[])v.Clone(), v.Length);
        }

        return s;
    }

    public override void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        base.LoadStateDict(state);
        _state.Clear();
        foreach (var (k, t) in state)
        {
            if (k.EndsWith(".exp_avg", StringComparison.Ordinal))
            {
                int i = int.Parse(k.AsSpan(0, k.IndexOf('.', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
                _state[i] = (t.ToArray(), state[$"{i}.exp_avg_sq"].ToArray());
            }
        }
    }
}
