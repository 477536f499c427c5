namespace Pluralist.Tensors;

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
