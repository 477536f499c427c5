namespace Pluralist.Tensors;

/// <summary>
/// Base of layers and networks (PyTorch <c>nn.Module</c>): named parameters, buffers and sub-modules registered
/// in order, train/eval mode, freezing, and a state dictionary keyed by dotted names (<c>block.conv.weight</c>).
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Parameter Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];
    private readonly List<(string Name, Module Value)> _modules = [];

    /// <summary>True in training mode (dropout active).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a parameter under a local name and returns it.</summary>
    protected Parameter RegisterParameter(string name, Parameter p)
    {
        _parameters.Add((name, p));
        return p;
    }

    /// <summary>Registers a non-trainable tensor saved in the state dictionary.</summary>
    protected Tensor RegisterBuffer(string name, Tensor t)
    {
        _buffers.Add((name, t));
        return t;
    }

    /// <summary>Registers a sub-module and returns it.</summary>
    protected T RegisterModule<T>(string name, T module)
        where T : Module
    {
        _modules.Add((name, module));
        return module;
    }

    /// <summary>Removes a parameter registration (used when a LoRA delta is merged away).</summary>
    protected void UnregisterParameter(string name) => _parameters.RemoveAll(p => p.Name == name);

    /// <summary>Direct sub-modules.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules.Select(m => (m.Name, m.Value));

    /// <summary>All parameters, depth first, with dotted names.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters)
        {
            yield return (prefix + n, p);
        }

        foreach (var (n, m) in _modules)
        {
            foreach (var item in m.NamedParameters(prefix + n + "."))
            {
                yield return item;
            }
        }
    }

    /// <summary>All buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (n, b) in _buffers)
        {
            yield return (prefix + n, b);
        }

        foreach (var (n, m) in _modules)
        {
            foreach (var item in m.NamedBuffers(prefix + n + "."))
            {
                yield return item;
            }
        }
    }

    /// <summary>Parameters that currently require gradients (what an optimiser should update).</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => NamedParameters().Select(p => p.Parameter).Where(p => p.RequiresGrad).ToList();

    /// <summary>All parameters.</summary>
    public IReadOnlyList<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter).ToList();

    /// <summary>Sets training mode here and below.</summary>
    public void Train(bool on = true)
    {
        Training = on;
        foreach (var (_, m) in _modules)
        {
            m.Train(on);
        }
    }

    /// <summary>Evaluation mode (<c>Train(false)</c>).</summary>
    public void Eval() => Train(false);

    /// <summary>Stops (or restarts) gradient tracking for every parameter here and below.</summary>
    public void Freeze(bool frozen = true)
    {
        foreach (var (_, p) in NamedParameters())
        {
            p.RequiresGrad = !frozen;
        }
    }

    /// <summary>Clears gradients of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in NamedParameters())
        {
            p.ZeroGrad();
        }
    }

    /// <summary>Parameters and buffers by dotted name (sharing storage with the module).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (n, p) in NamedParameters())
        {
            d[n] = p;
        }

        foreach (var (n, b) in NamedBuffers())
        {
            d[n] = b;
        }

        return d;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module. <paramref name="nameMap"/> maps a file name to a
    /// module name (null drops the entry). Strict loading throws on missing or unexpected names; lenient loading
    /// skips them and reports them. Shape mismatches always throw.
    /// </summary>
    public LoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true, Func<string, string?>? nameMap = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        foreach (var (fileName, t) in state)
        {
            var name = nameMap is null ? fileName : nameMap(fileName);
            if (name is null || !own.TryGetValue(name, out var target))
            {
                unexpected.Add(fileName);
                continue;
            }

            if (!ShapeUtil.SameShape(target.Shape, t.Shape))
            {
                Throw.Argument($"{name}: shape [{string.Join(", ", t.Shape)}] does not match [{string.Join(", ", target.Shape)}]");
            }

            target.CopyFrom(t);
            loaded.Add(name);
        }

        var missing = own.Keys.Where(k => !loaded.Contains(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            Throw.InvalidOperation($"state dict mismatch; missing: [{string.Join(", ", missing)}], unexpected: [{string.Join(", ", unexpected)}]");
        }

        return new LoadResult(missing, unexpected);
    }
}
