namespace Pluralist.Tensors;

/// <summary>SGD with optional momentum and (coupled) weight decay, as <c>torch.optim.SGD</c>: b = mu b + g; p -= lr b.</summary>
public sealed class Sgd(IReadOnlyList<Parameter> parameters, float learningRate, float momentum = 0f, float weightDecay = 0f) : Optimizer(parameters, learningRate)
{
    private readonly Dictionary<int, float[]> _buf = [];

    public override void Step()
    {
        using var op = Profiler.Region("sgd step");
        StepCount++;
        for (int i = 0; i < Params.Count; i++)
        {
            var p = Params[i];
            if (p.Grad is null)
            {
                continue;
            }

            var g = p.Grad.Data;
            var d = p.Data;
            float[]? b = null;
            if (momentum != 0 && !_buf.TryGetValue(i, out b))
            {
                b = new float[d.Length];
                _buf[i] = b;
                for (int j = 0; j < d.Length; j++)
                {
                    b[j] = g[j] + (weightDecay * d[j]);
                }
            }
            else if (b is not null)
            {
                for (int j = 0; j < d.Length; j++)
                {
                    b[j] = (momentum * b[j]) + g[j] + (weightDecay * d[j]);
                }
            }

            for (int j = 0; j < d.Length; j++)
            {
                d[j] -= LearningRate * (b is null ? g[j] + (weightDecay * d[j]) : b[j]);
            }
        }
    }

    public override Dictionary<string, Tensor> StateDict()
    {
        var s = base.StateDict();
        foreach (var (i, b) in _buf)
        {
            s[$"{i}.momentum"] = new Tensor((float[])b.Clone(), b.Length);
        }

        return s;
    }

    public override void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        base.LoadStateDict(state);
        _buf.Clear();
        foreach (var (k, t) in state)
        {
            if (k.EndsWith(".momentum", StringComparison.Ordinal))
            {
                _buf[int.Parse(k.AsSpan(0, k.IndexOf('.', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture)] = t.ToArray();
            }
        }
    }
}
