using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pluralist.Studies.Training;

/// <summary>
/// Validates a torch run folder (<c>pluralist runs check RUN</c>): every file the manifest implies is there, the dataset's
/// files have their recorded hashes, every setting is in range and consistent with the others (effective batch =
/// per-device batch x accumulation x processes, the rate used = base x batch when scaled, warmup steps = fraction x
/// steps), and the accelerate configuration asks for the manifest's processes and nodes. Each problem names the file and
/// the field. An embedded run must also hold its base model, its prepared tensors (with their recorded hash) and the trainer.
/// </summary>
public static class RunFolderCheck
{
    private static readonly string[] Models = ["sd15", "sdxl", "embedded"];

    /// <summary>The problems found; empty when the folder is valid.</summary>
    public static IReadOnlyList<string> Check(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        var problems = new List<string>();
        var manifestPath = Path.Combine(dir, "manifest.json");
        if (!Directory.Exists(dir))
        {
            return [$"{dir}: no such folder"];
        }

        if (!File.Exists(manifestPath))
        {
            return [$"{manifestPath}: missing"];
        }

        JsonObject m;
        try
        {
            m = JsonNode.Parse(File.ReadAllText(manifestPath))?.AsObject() ?? throw new JsonException("not an object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return [$"{manifestPath}: not a JSON object ({e.Message})"];
        }

        void Bad(string field, string why) => problems.Add($"{manifestPath}: field '{field}' {why}");

        string? Str(JsonObject? o, string path, string name)
        {
            try
            {
                var v = o?[name]?.GetValue<string>();
                if (string.IsNullOrEmpty(v))
                {
                    Bad(path, "is missing");
                }

                return v;
            }
            catch (InvalidOperationException)
            {
                Bad(path, "must be a string");
                return null;
            }
        }

        double? Num(JsonObject? o, string path, string name)
        {
            try
            {
                var node = o?[name];
                if (node is null)
                {
                    Bad(path, "is missing");
                    return null;
                }

                var v = node.GetValue<double>();
                if (!double.IsFinite(v))
                {
                    Bad(path, "must be a finite number");
                    return null;
                }

                return v;
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                Bad(path, "must be a number");
                return null;
            }
        }

        int? Int(JsonObject? o, string path, string name, int min)
        {
            var v = Num(o, path, name);
            if (v is null)
            {
                return null;
            }

            if (v != Math.Floor(v.Value) || v < min || v > int.MaxValue)
            {
                Bad(path, string.Create(CultureInfo.InvariantCulture, $"must be a whole number >= {min} (got {v})"));
                return null;
            }

            return (int)v.Value;
        }

        JsonObject? Obj(string name)
        {
            if (m[name] is JsonObject o)
            {
                return o;
            }

            Bad(name, "is missing or not an object");
            return null;
        }

        if (Str(m, "format", "format") is { } format && format != RunManifest.FormatName)
        {
            Bad("format", $"is '{format}', expected '{RunManifest.FormatName}'");
        }

        var model = Str(m, "model", "model");
        if (model is not null && !Models.Contains(model))
        {
            Bad("model", $"is '{model}', expected {string.Join(" or ", Models)}");
        }

        var mode = Str(m, "mode", "mode");
        if (mode is not null and not "lora" and not "full")
        {
            Bad("mode", $"is '{mode}', expected lora or full");
        }

        Str(m, "base", "base");
        var trainer = Obj("trainer");
        var script = Str(trainer, "trainer.script", "script");
        Str(trainer, "trainer.launcher", "launcher");
        Int(m, "resolution", "resolution", 8);

        var s = Obj("settings");
        if (Num(s, "settings.beta", "beta") is <= 0)
        {
            Bad("settings.beta", "must be > 0");
        }

        var lr = Num(s, "settings.learning_rate", "learning_rate");
        if (lr is <= 0)
        {
            Bad("settings.learning_rate", "must be > 0");
        }

        var steps = Int(s, "settings.steps", "steps", 1);
        var fraction = Num(s, "settings.warmup_fraction", "warmup_fraction");
        if (fraction is < 0 or > 1)
        {
            Bad("settings.warmup_fraction", "must be in [0, 1]");
        }

        var warmup = Int(s, "settings.warmup_steps", "warmup_steps", 0);
        if (warmup is not null && steps is not null && fraction is >= 0 and <= 1 && warmup != (int)Math.Round(fraction.Value * steps.Value, MidpointRounding.AwayFromZero))
        {
            Bad("settings.warmup_steps", string.Create(CultureInfo.InvariantCulture, $"is {warmup}, but warmup_fraction {fraction} x steps {steps} rounds to {(int)Math.Round(fraction.Value * steps.Value, MidpointRounding.AwayFromZero)}"));
        }

        var effective = Int(s, "settings.effective_batch", "effective_batch", 1);
        var perDevice = Int(s, "settings.per_device_batch", "per_device_batch", 1);
        var accumulation = Int(s, "settings.gradient_accumulation_steps", "gradient_accumulation_steps", 1);
        var gpus = Int(s, "settings.gpus_per_node", "gpus_per_node", 1);
        var nodes = Int(s, "settings.nodes", "nodes", 1);
        var processes = Int(s, "settings.processes", "processes", 1);
        if (processes is not null && gpus is not null && nodes is not null && processes != gpus * nodes)
        {
            Bad("settings.processes", $"is {processes}, but gpus_per_node {gpus} x nodes {nodes} = {gpus * nodes}");
        }

        if (effective is not null && perDevice is not null && accumulation is not null && processes is not null && effective != (long)perDevice * accumulation * processes)
        {
            Bad("settings.effective_batch", $"is {effective}, but per_device_batch {perDevice} x gradient_accumulation_steps {accumulation} x processes {processes} = {(long)perDevice * accumulation * processes}");
        }

        bool? scale = null;
        try
        {
            scale = s?["scale_lr"]?.GetValue<bool>();
            if (s is not null && scale is null)
            {
                Bad("settings.scale_lr", "is missing");
            }
        }
        catch (InvalidOperationException)
        {
            Bad("settings.scale_lr", "must be true or false");
        }

        var used = Num(s, "settings.learning_rate_used", "learning_rate_used");
        if (used is not null && lr is > 0 && scale is not null && effective is not null)
        {
            double expected = scale.Value ? lr.Value * effective.Value : lr.Value;
            if (Math.Abs(used.Value - expected) > 1e-6 * expected)
            {
                Bad("settings.learning_rate_used", string.Create(CultureInfo.InvariantCulture, $"is {used}, but learning_rate {lr}{(scale.Value ? $" x effective_batch {effective}" : " (not scaled)")} = {expected}"));
            }
        }

        foreach (var name in new[] { "adam_beta1", "adam_beta2" })
        {
            if (Num(s, "settings." + name, name) is < 0 or >= 1)
            {
                Bad("settings." + name, "must be in [0, 1)");
            }
        }

        foreach (var name in new[] { "adam_weight_decay", "adam_epsilon", "max_grad_norm" })
        {
            if (Num(s, "settings." + name, name) is < 0)
            {
                Bad("settings." + name, "must be >= 0");
            }
        }

        Num(s, "settings.seed", "seed");
        Int(s, "settings.checkpointing_steps", "checkpointing_steps", 1);
        var precision = Str(s, "settings.mixed_precision", "mixed_precision");
        if (precision is not null and not "no" and not "fp16" and not "bf16")
        {
            Bad("settings.mixed_precision", $"is '{precision}', expected no, fp16 or bf16");
        }

        if (mode == "lora")
        {
            Int(s, "settings.lora_rank", "lora_rank", 1);
        }

        CheckDataset(dir, Obj("dataset"), problems, Bad, Str);
        CheckLaunch(dir, script, problems);
        if (model == "embedded")
        {
            if (mode is not null and not "full")
            {
                Bad("mode", "must be full for the embedded model");
            }

            CheckEmbedded(dir, m, script, effective, problems, Bad, Str);
        }
        else
        {
            CheckAccelerate(dir, processes, nodes, precision, problems);
        }

        return problems;
    }

    private static void CheckDataset(string dir, JsonObject? d, List<string> problems, Action<string, string> bad, Func<JsonObject?, string, string, string?> str)
    {
        if (d is null)
        {
            return;
        }

        var folder = str(d, "dataset.path", "path");
        var split = str(d, "dataset.split", "split");
        var combined = str(d, "dataset.sha256", "sha256");
        if (folder is null)
        {
            return;
        }

        var root = Path.GetFullPath(Path.Combine(dir, folder));
        if (!root.StartsWith(Path.GetFullPath(dir), StringComparison.Ordinal))
        {
            bad("dataset.path", "must stay inside the run folder");
            return;
        }

        if (d["files"] is not JsonArray list || list.Count == 0)
        {
            bad("dataset.files", "is missing or empty");
            return;
        }

        var files = new List<RunFile>();
        for (int i = 0; i < list.Count; i++)
        {
            var f = list[i] as JsonObject;
            var rel = str(f, $"dataset.files[{i}].path", "path");
            var sha = str(f, $"dataset.files[{i}].sha256", "sha256");
            if (rel is null || sha is null)
            {
                continue;
            }

            var full = Path.GetFullPath(Path.Combine(root, rel));
            if (!full.StartsWith(root, StringComparison.Ordinal))
            {
                bad($"dataset.files[{i}].path", "must stay inside the dataset folder");
                continue;
            }

            if (!File.Exists(full))
            {
                problems.Add($"{full}: missing (listed in manifest.json dataset.files[{i}])");
                continue;
            }

            var actual = TorchRunFolder.FileHash(full);
            if (!string.Equals(actual, sha, StringComparison.Ordinal))
            {
                problems.Add($"{full}: SHA-256 {actual} differs from manifest.json dataset.files[{i}].sha256 {sha}: the file changed after the run was written");
            }

            files.Add(new RunFile(rel, 0, sha));
        }

        if (combined is not null && files.Count == list.Count && TorchRunFolder.CombinedHash(files) != combined)
        {
            bad("dataset.sha256", "does not match the hashes of dataset.files");
        }

        if (split is not null && !files.Any(f => f.Path.EndsWith(".parquet", StringComparison.Ordinal) && Path.GetFileName(f.Path).StartsWith(split + "-", StringComparison.Ordinal)))
        {
            bad("dataset.split", $"is '{split}', but no dataset file data/{split}-*.parquet is listed");
        }

        if (d["rows"] is JsonObject rows && split is not null && (rows[split] is not JsonValue v || !v.TryGetValue<int>(out var n) || n < 1))
        {
            bad("dataset.rows", $"has no rows for split '{split}'");
        }
    }

    private static void CheckEmbedded(string dir, JsonObject m, string? script, int? batch, List<string> problems, Action<string, string> bad, Func<JsonObject?, string, string, string?> str)
    {
        foreach (var name in new[] { EmbeddedRunFiles.BaseFile, script ?? EmbeddedRunFiles.TrainerFile })
        {
            if (!File.Exists(Path.Combine(dir, name)))
            {
                problems.Add($"{Path.Combine(dir, name)}: missing");
            }
        }

        if (m["prepared"] is not JsonObject p)
        {
            bad("prepared", "is missing or not an object");
            return;
        }

        var file = str(p, "prepared.file", "file");
        var sha = str(p, "prepared.sha256", "sha256");
        if (file is null || sha is null)
        {
            return;
        }

        var path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            problems.Add($"{path}: missing");
            return;
        }

        if (TorchRunFolder.FileHash(path) != sha)
        {
            problems.Add($"{path}: SHA-256 differs from manifest.json prepared.sha256: the file changed after the run was written");
            return;
        }

        var (tensors, _) = Pluralist.Tensors.Safetensors.Load(path);
        foreach (var name in new[] { "winner", "loser", "input_ids", "attention_mask", "weight", "soft_label", "is_soft", "order", "timesteps", "noise", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod" })
        {
            if (!tensors.ContainsKey(name))
            {
                problems.Add($"{path}: tensor '{name}' is missing");
            }
        }

        if (batch is not null && tensors.TryGetValue("order", out var order) && (order.Rank != 2 || order.Shape[1] != batch))
        {
            problems.Add($"{path}: tensor 'order' is [{string.Join(", ", order.Shape)}], expected (recorded steps, effective_batch {batch})");
        }
    }

    private static void CheckLaunch(string dir, string? script, List<string> problems)
    {
        var launch = Path.Combine(dir, "launch.sh");
        if (!File.Exists(launch))
        {
            problems.Add($"{launch}: missing");
            return;
        }

        if (script is not null && !File.ReadAllText(launch).Contains(script, StringComparison.Ordinal))
        {
            problems.Add($"{launch}: does not launch the manifest's trainer.script {script}");
        }
    }

    private static void CheckAccelerate(string dir, int? processes, int? nodes, string? precision, List<string> problems)
    {
        var path = Path.Combine(dir, "accelerate_config.yaml");
        if (!File.Exists(path))
        {
            problems.Add($"{path}: missing");
            return;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (!line.StartsWith('#') && colon > 0)
            {
                values[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        void Expect(string key, string? value)
        {
            if (value is null)
            {
                return;
            }

            if (!values.TryGetValue(key, out var v))
            {
                problems.Add($"{path}: '{key}' is missing");
            }
            else if (v != value)
            {
                problems.Add($"{path}: '{key}' is {v}, but manifest.json says {value}");
            }
        }

        Expect("num_processes", processes?.ToString(CultureInfo.InvariantCulture));
        Expect("num_machines", nodes?.ToString(CultureInfo.InvariantCulture));
        Expect("mixed_precision", precision);
    }
}
