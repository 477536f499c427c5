using Pluralist.Tensors;
using F = Pluralist.Tensors.Functional;

namespace Pluralist.Diffusion;

/// <summary>
/// Named LoRA adapters (Hu et al. 2021) on the UNet's attention projections (to_q, to_k, to_v, to_out of every self- and
/// cross-attention), e.g. one adapter per identity group or criterion. One set of adapter layers lives in the UNet; this
/// bank keeps named snapshots of their weights and switches between them, disables them (the base model), or mixes
/// several exactly: W = W_base + sum_k w_k (alpha/r) B_k A_k (the product is interpolated, not A and B separately).
/// </summary>
public sealed class LoraAdapterBank
{
    private readonly List<(string Name, Linear Layer)> _layers;
    private readonly Dictionary<string, float[]> _base;
    private readonly Dictionary<string, Dictionary<string, float[]>> _adapters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _fresh;
    private bool _mixed;

    private LoraAdapterBank(UNet unet, List<(string, Linear)> layers)
    {
        UNet = unet;
        _layers = layers;
        _base = layers.ToDictionary(l => l.Item1, l => l.Item2.Weight.ToArray(), StringComparer.Ordinal);
        _fresh = Snapshot();
    }

    public UNet UNet { get; }

    /// <summary>Rank r of every adapter.</summary>
    public int Rank { get; private init; }

    /// <summary>alpha of every adapter.</summary>
    public float Alpha { get; private init; }

    /// <summary>Which layers carry adapters.</summary>
    public LoraTargets Targets { get; private init; }

    /// <summary>Names of the stored adapters.</summary>
    public IReadOnlyCollection<string> Names => _adapters.Keys;

    /// <summary>The adapted layers by dotted module name.</summary>
    public IReadOnlyList<(string Name, Linear Layer)> Layers => _layers;

    /// <summary>
    /// Freezes every parameter of <paramref name="unet"/>, adds a rank-r adapter to each attention projection (B = 0, so
    /// the model is unchanged) and returns the bank. Only the adapter weights require gradients afterwards.
    /// </summary>
    public static LoraAdapterBank Attach(UNet unet, int rank, float alpha, Generator generator, LoraTargets targets = LoraTargets.Attention)
    {
        ArgumentNullException.ThrowIfNull(unet);
        ArgumentNullException.ThrowIfNull(generator);
        if (rank < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), "rank must be >= 1");
        }

        unet.Freeze();
        var layers = new List<(string, Linear)>();
        foreach (var (name, m) in AllModules(unet, ""))
        {
            if (targets == LoraTargets.AllLinear && m is Linear lin)
            {
                if (lin.LoraA is null)
                {
                    lin.AddLora(rank, alpha, generator);
                }

                layers.Add((name, lin));
            }
            else if (targets == LoraTargets.Attention && m is Attention a)
            {
                foreach (var (suffix, l) in new[] { ("to_q", a.ToQ), ("to_k", a.ToK), ("to_v", a.ToV), ("to_out", a.ToOut) })
                {
                    if (l.LoraA is null)
                    {
                        l.AddLora(rank, alpha, generator);
                    }

                    layers.Add((name + "." + suffix, l));
                }
            }
        }

        return new LoraAdapterBank(unet, layers) { Rank = rank, Alpha = alpha, Targets = targets };
    }

    /// <summary>Turns the adapter delta on or off in every adapted layer (off = the base model, Diffusion-DPO's reference).</summary>
    public void SetEnabled(bool enabled)
    {
        RestoreBase();
        foreach (var (_, l) in _layers)
        {
            l.LoraEnabled = enabled;
        }
    }

    /// <summary>Adapter parameters that an optimiser should update.</summary>
    public IReadOnlyList<Parameter> Parameters() => _layers.SelectMany(l => new[] { l.Layer.LoraA!, l.Layer.LoraB! }).ToList();

    /// <summary>Resets the live adapter to its initial state (B = 0: no change to the model), e.g. before training the next group.</summary>
    public void Reset() => Load(_fresh);

    /// <summary>Stores the live adapter weights under <paramref name="name"/> (replacing any earlier snapshot).</summary>
    public void Store(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _adapters[name] = Snapshot();
    }

    /// <summary>Loads adapter <paramref name="name"/> into the layers and enables it.</summary>
    public void Activate(string name)
    {
        Load(_adapters.TryGetValue(name, out var a) ? a : throw new KeyNotFoundException($"no adapter named '{name}'"));
        SetEnabled(true);
    }

    /// <summary>
    /// Exact mixture of stored adapters: W = W_base + sum_k w_k (alpha/r) B_k A_k written into the base weights with the
    /// live adapter disabled. Weights need not sum to 1 (1 and 0 reproduce one adapter). Undone by <see cref="Activate"/>,
    /// <see cref="SetEnabled"/> or <see cref="Reset"/>.
    /// </summary>
    public void Mix(IReadOnlyDictionary<string, float> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var k in weights.Keys)
        {
            if (!_adapters.ContainsKey(k))
            {
                throw new KeyNotFoundException($"no adapter named '{k}'");
            }
        }

        RestoreBase();
        using var _ = Autograd.NoGrad();
        foreach (var (name, l) in _layers)
        {
            var w = l.Weight.Data; // (Out, In)
            foreach (var (adapter, coef) in weights)
            {
                var a = new Tensor(_adapters[adapter][name + ".lora_A"], l.LoraA!.Shape); // (r, In)
                var b = new Tensor(_adapters[adapter][name + ".lora_B"], l.LoraB!.Shape); // (Out, r)
                var delta = F.Matmul(b, a); // (Out, In)
                float s = coef * l.LoraScale;
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] += s * delta.Data[i];
                }
            }

            l.LoraEnabled = false;
        }

        _mixed = true;
    }

    /// <summary>Stored adapters as tensors named <c>{adapter}/{layer}.lora_A|lora_B</c> (for a safetensors file).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (adapter, ws) in _adapters)
        {
            foreach (var (name, l) in _layers)
            {
                d[$"{adapter}/{name}.lora_A"] = new Tensor((float[])ws[name + ".lora_A"].Clone(), l.LoraA!.Shape);
                d[$"{adapter}/{name}.lora_B"] = new Tensor((float[])ws[name + ".lora_B"].Clone(), l.LoraB!.Shape);
            }
        }

        return d;
    }

    /// <summary>Saves the stored adapters (F32) with rank, alpha and the adapted layers (<c>targets</c>) in the metadata.</summary>
    public void Save(string path) => Safetensors.Save(path, StateDict(), StoredType.F32, new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["format"] = "pluralist-lora-1",
        ["rank"] = Rank.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["alpha"] = Alpha.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["targets"] = Targets.ToString(),
    });

    /// <summary>
    /// Attaches adapters to <paramref name="unet"/> as a file written by <see cref="Save"/> describes them (rank, alpha and
    /// adapted layers; files without <c>targets</c> predate it and adapt the attention projections) and loads its adapters.
    /// </summary>
    public static LoraAdapterBank AttachFromFile(UNet unet, string path)
    {
        ArgumentNullException.ThrowIfNull(unet);
        var (_, meta) = Safetensors.Load(path);
        static string Need(Dictionary<string, string> m, string key, string path) => m.TryGetValue(key, out var v) ? v : throw new FormatException($"{path}: metadata '{key}' missing");
        int rank = int.Parse(Need(meta, "rank", path), System.Globalization.CultureInfo.InvariantCulture);
        float alpha = float.Parse(Need(meta, "alpha", path), System.Globalization.CultureInfo.InvariantCulture);
        var targets = meta.TryGetValue("targets", out var t)
            ? Enum.TryParse<LoraTargets>(t, out var parsed) && Enum.IsDefined(parsed) ? parsed : throw new FormatException($"{path}: metadata 'targets' is '{t}', expected Attention or AllLinear")
            : LoraTargets.Attention;
        var bank = Attach(unet, rank, alpha, new Generator(0), targets);
        bank.LoadFile(path);
        return bank;
    }

    /// <summary>Adds the adapters of a file written by <see cref="Save"/>; every layer of each adapter must be present with the right shape.</summary>
    public void LoadFile(string path)
    {
        var (tensors, meta) = Safetensors.Load(path);
        if (!meta.TryGetValue("rank", out var r) || int.Parse(r, System.Globalization.CultureInfo.InvariantCulture) != Rank)
        {
            throw new FormatException($"{path}: adapter rank {r ?? "?"} does not match {Rank}");
        }

        var fileTargets = meta.GetValueOrDefault("targets") ?? nameof(LoraTargets.Attention); // files written before 'targets' adapt attention
        if (!string.Equals(fileTargets, Targets.ToString(), StringComparison.Ordinal))
        {
            throw new FormatException($"{path}: adapters on {fileTargets} layers, this bank adapts {Targets}");
        }

        foreach (var adapter in tensors.Keys.Select(k => k[..k.IndexOf('/', StringComparison.Ordinal)]).Distinct())
        {
            var ws = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var (name, l) in _layers)
            {
                foreach (var (suffix, p) in new[] { ("lora_A", l.LoraA!), ("lora_B", l.LoraB!) })
                {
                    var key = $"{adapter}/{name}.{suffix}";
                    if (!tensors.TryGetValue(key, out var t) || !t.Shape.AsSpan().SequenceEqual(p.Shape))
                    {
                        throw new FormatException($"{path}: {key} missing or of the wrong shape");
                    }

                    ws[name + "." + suffix] = t.ToArray();
                }
            }

            _adapters[adapter] = ws;
        }
    }

    private Dictionary<string, float[]> Snapshot()
    {
        var d = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, l) in _layers)
        {
            d[name + ".lora_A"] = l.LoraA!.ToArray();
            d[name + ".lora_B"] = l.LoraB!.ToArray();
        }

        return d;
    }

    private void Load(Dictionary<string, float[]> ws)
    {
        foreach (var (name, l) in _layers)
        {
            Array.Copy(ws[name + ".lora_A"], l.LoraA!.Data, l.LoraA.Numel);
            Array.Copy(ws[name + ".lora_B"], l.LoraB!.Data, l.LoraB.Numel);
        }
    }

    private void RestoreBase()
    {
        if (!_mixed)
        {
            return;
        }

        foreach (var (name, l) in _layers)
        {
            Array.Copy(_base[name], l.Weight.Data, l.Weight.Numel);
        }

        _mixed = false;
    }

    private static IEnumerable<(string Name, Module Module)> AllModules(Module m, string prefix)
    {
        foreach (var (n, c) in m.NamedChildren())
        {
            var name = prefix.Length == 0 ? n : prefix + "." + n;
            yield return (name, c);
            foreach (var x in AllModules(c, name))
            {
                yield return x;
            }
        }
    }
}
