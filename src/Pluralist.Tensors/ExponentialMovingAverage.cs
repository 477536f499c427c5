namespace Pluralist.Tensors;

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
        using var op = Profiler.Region("ema update");
        foreach (var (_, p, s) in _items)
        {
            OptimKernels.Ema(s, p.Data, Decay);
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
