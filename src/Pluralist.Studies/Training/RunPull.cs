using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pluralist.Diffusion;
using Pluralist.Files;

namespace Pluralist.Studies.Training;

/// <summary>Where <c>runs pull</c> reads from and puts what it brings back.</summary>
public sealed record RunPullOptions
{
    /// <summary>The run's output as this machine sees it; null = the run folder's <c>output/</c> (a shared filesystem).</summary>
    public string? From { get; init; }

    /// <summary>Destination folder; null = the run folder's <c>pulled/</c>.</summary>
    public string? To { get; init; }

    /// <summary>ComfyUI's <c>models/loras</c> folder to place the LoRA in (LoRA runs only).</summary>
    public string? ComfyUiLoras { get; init; }

    /// <summary>File name (without extension) of the LoRA in ComfyUI; null = the run folder's name.</summary>
    public string? LoraName { get; init; }
}

/// <summary>What <c>runs pull</c> brought back and checked.</summary>
public sealed record PulledRun(string Kind, string Weights, int Tensors, string Detail, IReadOnlyList<string> Files, string? ComfyUiLora);

/// <summary>One tensor of a safetensors header: its dtype and shape.</summary>
public sealed record TensorEntry(string Dtype, IReadOnlyList<long> Shape);

/// <summary>
/// <c>pluralist runs pull</c>: brings a finished run's weights and training log back from where the job wrote them
/// (the run folder's <c>output/</c> on storage both sides see, or <c>--from</c>), checks them without loading a
/// multi-gigabyte UNet (the safetensors header must be readable and consistent with the file; a LoRA must hold
/// down/up pairs of one rank; the embedded model must load back into Pluralist), copies them to the destination and
/// can place the LoRA in ComfyUI's <c>models/loras</c>. A Ray job must have SUCCEEDED; its logs become <c>train.log</c>.
/// </summary>
public static class RunPull
{
    public const string LoraFile = "pytorch_lora_weights.safetensors";
    public const string UnetFile = "diffusion_pytorch_model.safetensors";
    public const string EmbeddedFile = "model.safetensors";
    public const string EmbeddedLog = "log.csv";
    public const string JobLog = "train.log";

    private static readonly Dictionary<string, int> DtypeBytes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8,
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I64"] = 8,
        ["I32"] = 4,
        ["I16"] = 2,
        ["I8"] = 1,
        ["U8"] = 1,
        ["U16"] = 2,
        ["U32"] = 4,
        ["U64"] = 8,
        ["BOOL"] = 1,
        ["F8_E4M3"] = 1,
        ["F8_E5M2"] = 1,
    };

    /// <summary>Pulls the run in <paramref name="runDir"/>; <paramref name="ray"/> is the client for a Ray submission (null otherwise).</summary>
    public static async Task<PulledRun> PullAsync(string runDir, RunPullOptions options, Func<Uri, RayJobsClient>? ray, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var m = LoadManifest(runDir);
        var submission = RunSubmission.TryLoad(runDir);
        string? jobLog = null;
        if (submission is { Backend: "ray" } && ray is not null)
        {
            var client = ray(new Uri(submission.Address!));
            var info = await client.GetAsync(submission.JobId, ct).ConfigureAwait(false);
            if (info.Status != "SUCCEEDED")
            {
                throw new StudyInputException($"{runDir}: Ray job {submission.JobId} is {info.Status}{(info.Message is { Length: > 0 } msg ? $" ({msg})" : "")}: pull after it SUCCEEDED (`pluralist runs status {runDir}`)");
            }

            jobLog = await client.LogsAsync(submission.JobId, ct).ConfigureAwait(false);
        }

        var from = Path.GetFullPath(options.From ?? Path.Combine(runDir, m.Output));
        if (!Directory.Exists(from))
        {
            throw new StudyInputException($"{from}: no such folder: the job writes to its run folder's {m.Output}/ where the cluster sees it; give --from where that folder is seen from here");
        }

        // Check everything before writing anything.
        var files = new List<string>();
        string kind, weights, detail;
        int count;
        if (m.Model == "embedded")
        {
            kind = "embedded";
            weights = Need(Path.Combine(from, EmbeddedFile));
            DiffusionModel model;
            try
            {
                model = DiffusionModel.Load(weights);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or IOException or JsonException or KeyNotFoundException)
            {
                throw new StudyInputException($"{weights}: does not load as a Pluralist model: {e.Message}");
            }

            count = model.StateDict().Count;
            detail = string.Create(CultureInfo.InvariantCulture, $"Pluralist model, {model.ParameterCount():N0} parameters, {model.Config.UNet.ImageSize}x{model.Config.UNet.ImageSize}; loads back (pluralist generate --model)");
            files.Add(weights);
            files.Add(Need(Path.Combine(from, EmbeddedLog)));
        }
        else if (m.Mode == "lora")
        {
            kind = "lora";
            weights = Need(Path.Combine(from, LoraFile));
            var (modules, rank) = CheckLora(weights, ReadHeader(weights));
            count = modules * 2;
            detail = string.Create(CultureInfo.InvariantCulture, $"LoRA, {modules} adapted layers, rank {rank}");
            files.Add(weights);
        }
        else
        {
            kind = "unet";
            var folder = Directory.Exists(Path.Combine(from, "unet")) ? Path.Combine(from, "unet") : from;
            var index = Path.Combine(folder, UnetFile + ".index.json");
            var header = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            if (File.Exists(index))
            {
                weights = index;
                files.Add(index);
                foreach (var shard in Shards(index))
                {
                    var path = Need(Path.Combine(folder, shard));
                    foreach (var (k, v) in ReadHeader(path))
                    {
                        header[k] = v;
                    }

                    files.Add(path);
                }
            }
            else
            {
                weights = Need(Path.Combine(folder, UnetFile));
                header = ReadHeader(weights);
                files.Add(weights);
            }

            if (!header.Keys.Any(k => k.StartsWith("conv_in.", StringComparison.Ordinal)) || !header.Keys.Any(k => k.StartsWith("down_blocks.", StringComparison.Ordinal)))
            {
                throw new StudyInputException($"{weights}: not a diffusers UNet (no conv_in.* and down_blocks.* tensors)");
            }

            count = header.Count;
            detail = string.Create(CultureInfo.InvariantCulture, $"diffusers UNet, {header.Count} tensors, {header.Values.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)):N0} parameters");
            if (File.Exists(Path.Combine(folder, "config.json")))
            {
                files.Add(Path.Combine(folder, "config.json"));
            }
        }

        string? comfy = null;
        if (options.ComfyUiLoras is not null)
        {
            if (kind != "lora")
            {
                throw new StudyInputException($"--comfyui-loras: the run trained {(kind == "unet" ? "the full UNet" : "the embedded model")}, not a LoRA: ComfyUI's LoraLoader takes LoRA files only");
            }

            if (!Directory.Exists(options.ComfyUiLoras))
            {
                throw new StudyInputException($"--comfyui-loras {options.ComfyUiLoras}: no such folder (ComfyUI's models/loras)");
            }

            var name = options.LoraName ?? K8sJobManifest.Slug(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir))), 80);
            if (name.Length == 0 || name.IndexOfAny(['/', '\\', ':']) >= 0 || name.StartsWith('.'))
            {
                throw new StudyInputException($"--lora-name {name}: a file name without '/', '\\', ':' or a leading '.'");
            }

            comfy = Path.Combine(options.ComfyUiLoras, name + ".safetensors");
            if (File.Exists(comfy) && TorchRunFolder.FileHash(comfy) != TorchRunFolder.FileHash(weights))
            {
                throw new StudyInputException($"{comfy}: exists and holds other weights: choose another --lora-name or remove it");
            }
        }

        var to = Path.GetFullPath(options.To ?? Path.Combine(runDir, "pulled"));
        DurableFile.CreateFolder(to);
        var written = new List<string>();
        foreach (var f in files)
        {
            var dest = Path.Combine(to, Path.GetRelativePath(from, f));
            DurableFile.CreateFolder(Path.GetDirectoryName(dest)!);
            DurableFile.WriteVia(dest, tmp => File.Copy(f, tmp, overwrite: true));
            written.Add(dest);
        }

        if (jobLog is not null)
        {
            var dest = Path.Combine(to, JobLog);
            DurableFile.WriteAllText(dest, jobLog);
            written.Add(dest);
        }

        if (comfy is not null)
        {
            DurableFile.WriteVia(comfy, tmp => File.Copy(weights, tmp, overwrite: true));
        }

        var pulledWeights = Path.Combine(to, Path.GetRelativePath(from, weights));
        return new PulledRun(kind, pulledWeights, count, detail, written, comfy is null ? null : Path.GetFileName(comfy));
    }

    /// <summary>The run's manifest (without the dataset checks of <see cref="RunFolderCheck"/>); a folder without one is named.</summary>
    public static RunManifest LoadManifest(string runDir)
    {
        var path = Path.Combine(runDir, "manifest.json");
        if (!File.Exists(path))
        {
            throw new StudyInputException($"{runDir}: not a run folder (no manifest.json; write one with `pluralist train dpo --engine torch`)");
        }

        try
        {
            return JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(path), RunManifest.Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new StudyInputException($"{path}: not a run manifest ({e.Message})");
        }
    }

    /// <summary>Reads a safetensors header (never the data) and checks each tensor's dtype, shape and byte range against the file.</summary>
    public static Dictionary<string, TensorEntry> ReadHeader(string path)
    {
        using var s = File.OpenRead(path);
        var lengthBytes = new byte[8];
        if (s.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
        {
            throw new StudyInputException($"{path}: not a safetensors file (shorter than its 8-byte header length)");
        }

        var n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n < 2 || n > 100_000_000 || (long)n > s.Length - 8)
        {
            throw new StudyInputException($"{path}: not a safetensors file (header length {n} for a file of {s.Length} bytes)");
        }

        var json = new byte[(int)n];
        s.ReadExactly(json);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new StudyInputException($"{path}: safetensors header is not a JSON object ({e.Message})");
        }

        long data = s.Length - 8 - (long)n;
        var result = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                continue;
            }

            try
            {
                var dtype = node!["dtype"]!.GetValue<string>();
                var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToList();
                var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToList();
                if (!DtypeBytes.TryGetValue(dtype, out var size))
                {
                    throw new FormatException($"dtype '{dtype}' is unknown");
                }

                long bytes = shape.Aggregate(1L, (a, b) => b < 0 ? throw new FormatException("negative dimension") : a * b) * size;
                if (offsets.Count != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data || offsets[1] - offsets[0] != bytes)
                {
                    throw new FormatException($"data_offsets [{string.Join(", ", offsets)}] do not hold {bytes} bytes inside the {data} data bytes");
                }

                result[name] = new TensorEntry(dtype, shape);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException or OverflowException)
            {
                throw new StudyInputException($"{path}: tensor '{name}': {e.Message}");
            }
        }

        return result.Count == 0 ? throw new StudyInputException($"{path}: holds no tensors") : result;
    }

    /// <summary>
    /// Checks LoRA tensors: every adapted layer has a down (A) and an up (B) matrix, in the diffusers/PEFT
    /// (<c>lora_A</c>/<c>lora_B</c>), older diffusers (<c>lora.down</c>/<c>lora.up</c>) or kohya (<c>lora_down</c>/<c>lora_up</c>)
    /// naming, down (rank, in) and up (out, rank) of one rank; <c>.alpha</c> scalars may accompany them.
    /// </summary>
    public static (int Modules, int Rank) CheckLora(string path, IReadOnlyDictionary<string, TensorEntry> header)
    {
        (string Down, string Up)[] namings = [(".lora_A.weight", ".lora_B.weight"), (".lora.down.weight", ".lora.up.weight"), (".lora_down.weight", ".lora_up.weight")];
        var downs = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        var ups = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        foreach (var (name, t) in header)
        {
            var hit = namings.Select(p => name.EndsWith(p.Down, StringComparison.Ordinal) ? (name[..^p.Down.Length], true) : name.EndsWith(p.Up, StringComparison.Ordinal) ? (name[..^p.Up.Length], false) : ((string, bool)?)null).FirstOrDefault(x => x is not null);
            if (hit is { } h)
            {
                (h.Item2 ? downs : ups)[h.Item1] = t;
            }
            else if (!name.EndsWith(".alpha", StringComparison.Ordinal))
            {
                throw new StudyInputException($"{path}: tensor '{name}' is not a LoRA tensor (expected names ending in .lora_A.weight/.lora_B.weight, .lora.down.weight/.lora.up.weight or .lora_down.weight/.lora_up.weight)");
            }
        }

        if (downs.Count == 0)
        {
            throw new StudyInputException($"{path}: holds no LoRA down/up pairs");
        }

        var ranks = new HashSet<long>();
        foreach (var (layer, down) in downs)
        {
            if (!ups.Remove(layer, out var up))
            {
                throw new StudyInputException($"{path}: layer '{layer}' has a down matrix but no up matrix");
            }

            if (down.Shape.Count < 2 || up.Shape.Count < 2 || down.Shape[0] != up.Shape[1])
            {
                throw new StudyInputException($"{path}: layer '{layer}': down [{string.Join(", ", down.Shape)}] and up [{string.Join(", ", up.Shape)}] do not share a rank (down (rank, in), up (out, rank))");
            }

            ranks.Add(down.Shape[0]);
        }

        if (ups.Count > 0)
        {
            throw new StudyInputException($"{path}: layer '{ups.Keys.First()}' has an up matrix but no down matrix");
        }

        return ranks.Count == 1
            ? (downs.Count, (int)ranks.Single())
            : throw new StudyInputException($"{path}: the layers have different ranks ({string.Join(", ", ranks.Order())}); the trainers write one rank");
    }

    private static List<string> Shards(string index)
    {
        try
        {
            var map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject() ?? throw new JsonException("no weight_map");
            var shards = map.Select(kv => kv.Value!.GetValue<string>()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            foreach (var s in shards)
            {
                if (s.Contains('/', StringComparison.Ordinal) || s.Contains('\\', StringComparison.Ordinal) || s.StartsWith('.'))
                {
                    throw new JsonException($"shard '{s}' is not a file name");
                }
            }

            return shards;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new StudyInputException($"{index}: not a safetensors index ({e.Message})");
        }
    }

    private static string Need(string path) =>
        File.Exists(path) ? path : throw new StudyInputException($"{path}: missing (has the job finished writing its output?)");
}
