namespace Pluralist.Tensors;

/// <summary>Base of optimisers: a parameter list, a learning rate, per-parameter state tensors and a step count.</summary>
public abstract class Optimizer
{
    /// <summary>Creates the optimiser over <paramref name="parameters"/>.</summary>
    protected Optimizer(IReadOnlyList<Parameter> parameters, float learningRate)
    {
        Params = parameters ?? throw new ArgumentNullException(nameof(parameters));
        LearningRate = learningRate;
    }

    /// <summary>Parameters updated by <see cref="Step"/>.</summary>
    public IReadOnlyList<Parameter> Params { get; }

    /// <summary>Current learning rate (a schedule may change it each step).</summary>
    public float LearningRate { get; set; }

    /// <summary>Number of steps taken.</summary>
    public int StepCount { get; protected set; }

    /// <summary>Applies one update from the current gradients (parameters without a gradient are skipped).</summary>
    public abstract void Step();

    /// <summary>Clears all parameter gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Params)
        {
            p.ZeroGrad();
        }
    }

    /// <summary>State tensors by name (for checkpoints): <c>{index}.{slot}</c> plus <c>step</c>.</summary>
    public virtual Dictionary<string, Tensor> StateDict() => new(StringComparer.Ordinal) { ["step"] = new Tensor([StepCount], 1), ["lr"] = new Tensor([LearningRate], 1) };

    /// <summary>Restores what <see cref="StateDict"/> produced.</summary>
    public virtual void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        StepCount = (int)state["step"].Item();
        LearningRate = state["lr"].Item();
    }
}

/// <summary>SGD with optional momentum and (coupled) weight decay, as <c>torch.optim.SGD</c>: b = mu b + g; p -= lr b.</summary>
public sealed class Sgd(IReadOnlyList<Parameter> parameters, float learningRate, float momentum = 0f, float weightDecay = 0f) : Optimizer(parameters, learningRate)
{
    private readonly Dictionary<int, float[]> _buf = [];

    public override void Step()
    {
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

            var d = p.Data;
            var gr = p.Grad.Data;
            for (int j = 0; j < d.Length; j++)
            {
                float g = gr[j];
                if (decoupled)
                {
                    d[j] *= 1 - (LearningRate * weightDecay);
                }
                else if (weightDecay != 0)
                {
                    g += weightDecay * d[j];
                }

                st.M[j] = (beta1 * st.M[j]) + ((1 - beta1) * g);
                st.V[j] = (beta2 * st.V[j]) + ((1 - beta2) * g * g);
                float denom = (float)(MathF.Sqrt(st.V[j]) / bc2Sqrt) + eps;
                d[j] -= stepSize * st.M[j] / denom;
            }
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

/// <summary>Gradient utilities.</summary>
public static class GradUtil
{
    /// <summary>Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping.</summary>
    public static float ClipGradNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var ps = parameters.Where(p => p.Grad is not null).ToList();
        double sq = 0;
        foreach (var p in ps)
        {
            foreach (var g in p.Grad!.Data)
            {
                sq += (double)g * g;
            }
        }

        float norm = (float)Math.Sqrt(sq);
        float coef = maxNorm / (norm + 1e-6f);
        if (coef < 1)
        {
            foreach (var p in ps)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(p.Grad!.Data, coef, p.Grad.Data);
            }
        }

        return norm;
    }
}

/// <summary>Shape of the learning-rate curve after warmup.</summary>
public enum DecayKind
{
    /// <summary>Stay at the base rate.</summary>
    Constant,

    /// <summary>Linear to zero at the last step.</summary>
    Linear,

    /// <summary>Half cosine to zero at the last step.</summary>
    Cosine,
}

/// <summary>Learning rate as a function of the step: linear warmup from 0, then constant, linear or cosine decay.</summary>
public sealed record LearningRateSchedule(float BaseRate, int WarmupSteps = 0, int TotalSteps = 0, DecayKind Decay = DecayKind.Constant)
{
    /// <summary>Rate for step (0-based).</summary>
    public float At(int step)
    {
        if (step < WarmupSteps)
        {
            return BaseRate * (step + 1) / WarmupSteps;
        }

        if (Decay == DecayKind.Constant || TotalSteps <= WarmupSteps)
        {
            return BaseRate;
        }

        double progress = Math.Clamp((double)(step - WarmupSteps) / (TotalSteps - WarmupSteps), 0, 1);
        return Decay == DecayKind.Linear
            ? (float)(BaseRate * (1 - progress))
            : (float)(BaseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}

/// <summary>Exponential moving average of a module's parameters: shadow = decay shadow + (1 - decay) p.</summary>
public sealed class ExponentialMovingAverage
{
    private readonly List<(string Name, Parameter P, float[] Shadow)> _items;

    public ExponentialMovingAverage(Module module, float decay)
    {
        ArgumentNullException.ThrowIfNull(module);
        Decay = decay;
        _items = module.NamedParameters().Select(x => (x.Name, x.Parameter, x.Parameter.ToArray())).ToList();
    }

    public float Decay { get; }

    /// <summary>Moves the shadow weights towards the current ones.</summary>
    public void Update()
    {
        foreach (var (_, p, s) in _items)
        {
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = (Decay * s[i]) + ((1 - Decay) * p.Data[i]);
            }
        }
    }

    /// <summary>Averaged weights by parameter name.</summary>
    public Dictionary<string, Tensor> StateDict() => _items.ToDictionary(x => x.Name, x => new Tensor(x.Shadow, x.P.Shape), StringComparer.Ordinal);

    /// <summary>Copies the averaged weights into the module's parameters.</summary>
    public void CopyTo()
    {
        foreach (var (_, p, s) in _items)
        {
            Array.Copy(s, p.Data, s.Length);
        }
    }
}

/// <summary>Training checkpoints as one safetensors file: model weights (<c>model.*</c>), optimiser state (<c>optim.*</c>), generator state.</summary>
public static class Checkpoint
{
    /// <summary>Saves model, optimiser and generator so that training resumes bit for bit.</summary>
    public static void Save(string path, Module model, Optimizer optimizer, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in model.StateDict())
        {
            all["model." + k] = v;
        }

        foreach (var (k, v) in optimizer.StateDict())
        {
            all["optim." + k] = v;
        }

        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (generator is not null)
        {
            meta["generator"] = generator.State.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (generator.SpareNormal is float spare)
            {
                meta["generator_spare"] = BitConverter.SingleToInt32Bits(spare).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Safetensors.Save(path, all, StoredType.F32, meta);
    }

    /// <summary>Restores what <see cref="Save"/> wrote.</summary>
    public static void Load(string path, Module model, Optimizer optimizer, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var (t, meta) = Safetensors.Load(path);
        model.LoadStateDict(t.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[6..], kv => kv.Value));
        optimizer.LoadStateDict(t.Where(kv => kv.Key.StartsWith("optim.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[6..], kv => kv.Value));
        if (generator is not null && meta.TryGetValue("generator", out var g))
        {
            generator.State = ulong.Parse(g, System.Globalization.CultureInfo.InvariantCulture);
            if (meta.TryGetValue("generator_spare", out var spare))
            {
                generator.SpareNormal = BitConverter.Int32BitsToSingle(int.Parse(spare, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
