using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Pluralist.Data.Datasets;
using Pluralist.Diffusion;
using Pluralist.Files;

namespace Pluralist.Studies.Training;

/// <summary>
/// Writes a self-contained run folder for Diffusion-DPO on a distributed PyTorch engine (docs/formats.md, "Torch run
/// folder"): the Parquet dataset, <c>manifest.json</c>, <c>accelerate_config.yaml</c> and <c>launch.sh</c> with the
/// reference trainer's command; for the embedded model also the PyTorch trainer, the base weights and the tensors
/// Pluralist prepared (<see cref="EmbeddedRunFiles"/>). The folder is built in a hidden staging folder, checked with
/// <see cref="RunFolderCheck"/> and moved into place whole: on any error nothing is left.
/// </summary>
public static class TorchRunFolder
{
    public const string Sd15Default = "runwayml/stable-diffusion-v1-5";
    public const string SdxlDefault = "stabilityai/stable-diffusion-xl-base-1.0";
    public const string SdxlVaeDefault = "madebyollin/sdxl-vae-fp16-fix";
    public const string DiffusersSource = "https://github.com/huggingface/diffusers (examples/research_projects/diffusion_dpo)";
    public const string AuthorsSource = "https://github.com/SalesforceAIResearch/DiffusionDPO";

    /// <summary>Builds the run in <paramref name="outDir"/> (which must not exist or be empty) and returns its manifest.</summary>
    public static async Task<RunManifest> WriteAsync(TorchRunRequest request, string outDir, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        var target = Path.GetFullPath(outDir);
        if (File.Exists(target) || (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()))
        {
            throw new StudyInputException($"--out {outDir}: exists and is not empty: choose another folder or remove it");
        }

        var settings = Settings(request);
        var dataset = Path.GetFullPath(request.Dataset);
        if (!Directory.Exists(dataset) || !PreferenceParquetReader.IsParquetDataset(dataset))
        {
            throw new StudyInputException($"--dataset {request.Dataset}: no data/*.parquet: the reference trainers read the Parquet layout (write it with `pluralist dataset build STUDY --format parquet`)");
        }

        var (rows, weighted, resolved) = await CountAsync(dataset, request.Split, ct);
        if (!rows.TryGetValue(request.Split, out var n) || n == 0)
        {
            throw new StudyInputException($"--split {request.Split}: the dataset has no rows in this split ({string.Join(", ", rows.Select(kv => $"{kv.Key} {kv.Value}"))})");
        }

        var parent = Path.GetDirectoryName(target)!;
        DurableFile.CreateFolder(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.staging");
        Directory.CreateDirectory(staging);
        try
        {
            var files = CopyDataset(dataset, Path.Combine(staging, "dataset"));
            var warnings = new List<string>();
            if (weighted > 0)
            {
                warnings.Add($"{weighted} rows of split '{request.Split}' carry a weight other than 1: " + (request.Model == TorchModel.Embedded ? "train_embedded.py applies it as Pluralist's trainer does" : "the reference trainers ignore the weight column"));
            }

            if (resolved > 0)
            {
                warnings.Add($"{resolved} rows of split '{request.Split}' were ties whose label_0 a seeded coin resolved (tie_resolved); " + (request.Model == TorchModel.Embedded ? "train_embedded.py reads soft_label as Pluralist's trainer does" : "the reference trainers train on that direction"));
            }

            if (request.Model != TorchModel.Embedded)
            {
                warnings.Add("the reference trainers warm up as step/warmup (the first step at rate 0); Pluralist's trainer as (step+1)/warmup");
            }

            var manifest = new RunManifest
            {
                Model = ModelName(request.Model),
                Mode = request.Options.Mode == FineTuneMode.Lora ? "lora" : "full",
                Trainer = Trainer(request),
                Base = request.Model == TorchModel.Embedded ? EmbeddedRunFiles.BaseFile : request.Base ?? (request.Model == TorchModel.Sdxl ? SdxlDefault : Sd15Default),
                Vae = request.Model == TorchModel.Sdxl ? request.Vae ?? SdxlVaeDefault : null,
                Resolution = request.Resolution ?? (request.Model == TorchModel.Sdxl ? 1024 : 512),
                Dataset = new RunDataset
                {
                    Split = request.Split,
                    Sha256 = CombinedHash(files),
                    Files = files,
                    Rows = rows,
                    WeightedRows = weighted,
                    TiesResolved = resolved,
                },
                Settings = settings,
                Warnings = warnings,
            };
            if (request.Model == TorchModel.Embedded)
            {
                manifest = await EmbeddedRunFiles.WriteAsync(request, manifest, staging, ct);
            }
            else
            {
                DurableFile.WriteAllText(Path.Combine(staging, "accelerate_config.yaml"), AccelerateConfig(settings));
            }

            DurableFile.WriteAllText(Path.Combine(staging, "launch.sh"), LaunchScript(manifest));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(staging, "launch.sh"), (UnixFileMode)0b111_101_101); // rwxr-xr-x
            }
            DurableFile.WriteAllText(Path.Combine(staging, "manifest.json"), manifest.ToJson());
            var problems = RunFolderCheck.Check(staging);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException("the run folder just written does not pass its own check: " + string.Join("; ", problems));
            }

            if (Directory.Exists(target))
            {
                Directory.Delete(target);
            }

            DurableFile.PublishFolder(staging, target);
            return manifest;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The settings from the request, checked: the effective batch must split into per-device batch x accumulation x processes.</summary>
    public static RunSettings Settings(TorchRunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = request.Options;
        Need(request.GpusPerNode >= 1, "--gpus", "must be at least 1");
        Need(request.Nodes >= 1, "--nodes", "must be at least 1");
        Need(request.PerDeviceBatch >= 1, "--per-device-batch", "must be at least 1");
        int processes = request.GpusPerNode * request.Nodes;
        Need(o.BatchSize % (processes * request.PerDeviceBatch) == 0, "--batch", $"{o.BatchSize} pairs do not split over {processes} processes x {request.PerDeviceBatch} per device (--gpus x --nodes x --per-device-batch must divide --batch)");
        var precision = request.MixedPrecision ?? (request.Model == TorchModel.Embedded ? "no" : "fp16");
        Need(precision is "no" or "fp16" or "bf16", "--mixed-precision", "expected no, fp16 or bf16");
        Need(request.Resolution is null || request.Resolution >= 8, "--resolution", "must be at least 8");
        Need(request.CheckpointingSteps is null || request.CheckpointingSteps >= 1, "--checkpoint-every", "must be at least 1");
        if (request.Model == TorchModel.Embedded)
        {
            Need(o.Mode == FineTuneMode.Full, "--lora", "the embedded model's torch trainer trains the full UNet (LoRA on the embedded model runs in-process: --engine own)");
            Need(precision == "no", "--mixed-precision", "the embedded model trains in float32 (no)");
            Need(request.RecordedSteps >= 1, "--recorded-steps", "must be at least 1");
            Need(request.Resolution is null, "--resolution", "the embedded model trains at its own size");
        }
        else
        {
            // What the reference trainers cannot do: refuse rather than write a run that silently trains something else.
            Need(o.Labels == LabelMode.Hard, "--labels", "the reference trainers take hard labels only (label_0)");
            Need(o.Ties == Diffusion.TiePolicy.Drop, "--ties", "the reference trainers see no ties (the Parquet layout resolves them when written with --ties soft)");
            Need(o.CriterionWeights is null, "--criterion-weight", "the reference trainers have no per-criterion weights");
            Need(o.Group is null, "--group", "the reference trainers train on every row: build the dataset with --group instead");
            Need(o.Mode == FineTuneMode.Full || o.LoraTargets == LoraTargets.Attention, "--lora-targets", "the diffusers trainers put adapters on the attention projections only");
            Need(o.Mode == FineTuneMode.Full || o.LoraAlpha == o.LoraRank, "--alpha", "the diffusers trainers set LoRA alpha = rank");
            Need(o.Mode == FineTuneMode.Full || o.Beta == MathF.Round(o.Beta), "--beta", "the diffusers trainers take an integer beta_dpo");
        }

        int warmup = (int)Math.Round(o.WarmupFraction * o.Steps, MidpointRounding.AwayFromZero);
        int accumulation = o.BatchSize / (processes * request.PerDeviceBatch);
        return new RunSettings
        {
            Beta = D(o.Beta),
            LearningRate = D(o.LearningRate),
            ScaleLr = o.ScaleLearningRate,
            LearningRateUsed = o.ScaleLearningRate ? D(o.LearningRate) * o.BatchSize : D(o.LearningRate),
            WarmupFraction = D(o.WarmupFraction),
            WarmupSteps = warmup,
            Steps = o.Steps,
            EffectiveBatch = o.BatchSize,
            PerDeviceBatch = request.PerDeviceBatch,
            GradientAccumulationSteps = accumulation,
            GpusPerNode = request.GpusPerNode,
            Nodes = request.Nodes,
            Processes = processes,
            Seed = o.Seed,
            AdamBeta1 = D(o.Adam1),
            AdamBeta2 = D(o.Adam2),
            AdamWeightDecay = D(o.WeightDecay),
            AdamEpsilon = D(o.AdamEpsilon),
            MaxGradNorm = D(o.MaxGradNorm),
            MixedPrecision = precision,
            LoraRank = o.Mode == FineTuneMode.Lora ? o.LoraRank : null,
            CheckpointingSteps = request.CheckpointingSteps ?? Math.Max(1, o.Steps / 5),
            ProportionEmptyPrompts = 0,
            Hflip = request.Model != TorchModel.Embedded,
        };
    }

    public static string ModelName(TorchModel model) => model switch
    {
        TorchModel.Sd15 => "sd15",
        TorchModel.Sdxl => "sdxl",
        _ => "embedded",
    };

    /// <summary>Parses sd15, sdxl or embedded.</summary>
    public static TorchModel ParseModel(string text) => text switch
    {
        "sd15" => TorchModel.Sd15,
        "sdxl" => TorchModel.Sdxl,
        "embedded" => TorchModel.Embedded,
        _ => throw new StudyInputException($"--model {text}: expected sd15, sdxl or embedded"),
    };

    /// <summary>SHA-256 (hex, lower case) of a file's bytes.</summary>
    public static string FileHash(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>SHA-256 of the <c>sha256sum</c> lines of <paramref name="files"/> in ordinal path order.</summary>
    public static string CombinedHash(IEnumerable<RunFile> files)
    {
        var text = new StringBuilder();
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            text.Append(f.Sha256).Append("  ").Append(f.Path).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>A float setting as the double its shortest text means (1e-8f -> 1e-08, not 9.99999993922529E-09).</summary>
    private static double D(float v) => double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>One word for bash: single-quoted unless it is plain.</summary>
    internal static string Shell(string v) =>
        v.Length > 0 && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or ':' or '=' or '+' or '@') ? v : "'" + v.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void Need(bool ok, string option, string why)
    {
        if (!ok)
        {
            throw new StudyInputException($"{option}: {why}");
        }
    }

    private static RunTrainer Trainer(TorchRunRequest request) => (request.Model, request.Options.Mode) switch
    {
        (TorchModel.Embedded, _) => new RunTrainer(EmbeddedRunFiles.TrainerFile, "Pluralist (tools/torchrun/train_embedded.py)", "torchrun"),
        (TorchModel.Sdxl, FineTuneMode.Lora) => new RunTrainer("train_diffusion_dpo_sdxl.py", DiffusersSource, "accelerate"),
        (TorchModel.Sd15, FineTuneMode.Lora) => new RunTrainer("train_diffusion_dpo.py", DiffusersSource, "accelerate"),
        _ => new RunTrainer("train.py", AuthorsSource, "accelerate"),
    };

    private static async Task<(Dictionary<string, int> Rows, int Weighted, int Resolved)> CountAsync(string dataset, string split, CancellationToken ct)
    {
        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
        int weighted = 0, resolved = 0;
        try
        {
            await foreach (var r in PreferenceParquetReader.ReadViewsAsync(dataset, null, ct))
            {
                rows[r.Split] = rows.GetValueOrDefault(r.Split) + 1;
                if (r.Split == split)
                {
                    weighted += r.Weight != 1 ? 1 : 0;
                    resolved += r.TieResolved ? 1 : 0;
                }
            }
        }
        catch (FormatException e)
        {
            throw new StudyInputException($"--dataset {dataset}: {e.Message}");
        }

        return (rows, weighted, resolved);
    }

    /// <summary>Copies the dataset card and the Parquet files (nothing else) and hashes each.</summary>
    private static List<RunFile> CopyDataset(string from, string to)
    {
        var names = PreferenceParquetReader.Files(from).Select(f => Path.GetRelativePath(from, f)).ToList();
        if (File.Exists(Path.Combine(from, "README.md")))
        {
            names.Add("README.md");
        }

        var files = new List<RunFile>();
        foreach (var rel in names.Order(StringComparer.Ordinal))
        {
            var dest = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(Path.Combine(from, rel), dest);
            var unix = rel.Replace('\\', '/');
            files.Add(new RunFile(unix, new FileInfo(dest).Length, FileHash(dest)));
        }

        return files;
    }

    /// <summary>accelerate's configuration file for N GPUs on M nodes (the launch script passes the node's rank and the main node's address).</summary>
    internal static string AccelerateConfig(RunSettings s)
    {
        var inv = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.Append("# Written by pluralist train dpo --engine torch; settings in manifest.json.\n");
        b.Append("compute_environment: LOCAL_MACHINE\n");
        b.Append("distributed_type: ").Append(s.Processes > 1 ? "MULTI_GPU" : "NO").Append('\n');
        b.Append("downcast_bf16: 'no'\n");
        b.Append("gpu_ids: all\n");
        b.Append("machine_rank: 0\n");
        b.Append("main_process_ip: 127.0.0.1\n");
        b.Append("main_process_port: 29500\n");
        b.Append("main_training_function: main\n");
        b.Append("mixed_precision: ").Append(s.MixedPrecision).Append('\n');
        b.Append(inv, $"num_machines: {s.Nodes}\n");
        b.Append(inv, $"num_processes: {s.Processes}\n");
        b.Append("rdzv_backend: static\n");
        b.Append("same_network: true\n");
        b.Append("use_cpu: false\n");
        return b.ToString();
    }

    /// <summary>launch.sh: the trainer command with every setting from the manifest.</summary>
    internal static string LaunchScript(RunManifest m)
    {
        var s = m.Settings;
        var inv = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.Append("#!/usr/bin/env bash\n");
        b.Append(inv, $"# Diffusion-DPO, {m.Model} {m.Mode}: written by pluralist train dpo --engine torch; every setting is in manifest.json.\n");
        b.Append(inv, $"# {s.Nodes} node(s) x {s.GpusPerNode} GPU(s); effective batch {s.EffectiveBatch} = {s.PerDeviceBatch} per device x {s.GradientAccumulationSteps} accumulation x {s.Processes} processes.\n");
        if (s.Nodes > 1)
        {
            b.Append("# Run it once on every node with NODE_RANK (0 on the main node) and MAIN_ADDR (the main node's address).\n");
        }

        b.Append("set -euo pipefail\n");
        b.Append("RUN_DIR=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n");
        b.Append("NODE_RANK=\"${NODE_RANK:-0}\"\n");
        if (s.Nodes > 1)
        {
            b.Append("if [ -z \"${MAIN_ADDR:-}\" ]; then echo \"launch.sh: set MAIN_ADDR to the main node's address (and NODE_RANK to this node's rank)\" >&2; exit 1; fi\n");
        }
        else
        {
            b.Append("MAIN_ADDR=\"${MAIN_ADDR:-127.0.0.1}\"\n");
        }

        if (m.Model == "embedded")
        {
            b.Append("PYTHON=\"${PYTHON:-python3}\"\n");
            b.Append(inv, $"exec \"$PYTHON\" -m torch.distributed.run --nnodes {s.Nodes} --nproc_per_node {s.GpusPerNode} --node_rank \"$NODE_RANK\" --master_addr \"$MAIN_ADDR\" --master_port \"${{MAIN_PORT:-29500}}\" \\\n");
            // --redirects/--tee 1: each process's stdout to output/torchrun and the console (the value 0 breaks torch 1.13 on Python 3.11)
            b.Append("  --redirects 1 --tee 1 --log_dir \"$RUN_DIR/output/torchrun\" \\\n");
            b.Append(inv, $"  \"$RUN_DIR/{m.Trainer.Script}\" --run \"$RUN_DIR\" \"$@\"\n");
            return b.ToString();
        }

        b.Append("TRAINER_DIR=\"${TRAINER_DIR:-$RUN_DIR/trainer}\"\n");
        b.Append(inv, $"SCRIPT=\"$TRAINER_DIR/{m.Trainer.Script}\"\n");
        b.Append(inv, $"if [ ! -f \"$SCRIPT\" ]; then echo \"launch.sh: $SCRIPT not found: set TRAINER_DIR to the folder of {m.Trainer.Script} from {m.Trainer.Source}\" >&2; exit 1; fi\n");
        b.Append("exec accelerate launch --config_file \"$RUN_DIR/accelerate_config.yaml\" --machine_rank \"$NODE_RANK\" --main_process_ip \"$MAIN_ADDR\" \\\n");
        b.Append("  \"$SCRIPT\" \\\n");
        var args = new List<string>
        {
            "--pretrained_model_name_or_path=" + Shell(m.Base),
        };
        if (m.Vae is not null)
        {
            args.Add("--pretrained_vae_model_name_or_path=" + Shell(m.Vae));
        }

        bool diffusers = m.Mode == "lora";
        args.Add("--dataset_name=\"$RUN_DIR/dataset\"");
        args.Add(diffusers ? $"--dataset_split_name={m.Dataset.Split}" : $"--split={m.Dataset.Split}");
        if (!diffusers && m.Model == "sdxl")
        {
            args.Add("--sdxl");
        }

        args.Add("--output_dir=\"$RUN_DIR/output\"");
        args.Add(string.Create(inv, $"--resolution={m.Resolution}"));
        args.Add(string.Create(inv, $"--train_batch_size={s.PerDeviceBatch}"));
        args.Add(string.Create(inv, $"--gradient_accumulation_steps={s.GradientAccumulationSteps}"));
        args.Add(string.Create(inv, $"--max_train_steps={s.Steps}"));
        args.Add(string.Create(inv, $"--checkpointing_steps={s.CheckpointingSteps}"));
        args.Add(string.Create(inv, $"--learning_rate={s.LearningRate:R}"));
        if (s.ScaleLr)
        {
            args.Add("--scale_lr");
        }

        args.Add($"--lr_scheduler={s.LrScheduler}");
        args.Add(string.Create(inv, $"--lr_warmup_steps={s.WarmupSteps}"));
        args.Add(diffusers ? string.Create(inv, $"--beta_dpo={(long)s.Beta}") : string.Create(inv, $"--beta_dpo={s.Beta:R}"));
        if (diffusers)
        {
            args.Add(string.Create(inv, $"--rank={s.LoraRank}"));
        }
        else
        {
            args.Add(string.Create(inv, $"--proportion_empty_prompts={s.ProportionEmptyPrompts:R}"));
        }

        args.Add(string.Create(inv, $"--adam_beta1={s.AdamBeta1:R}"));
        args.Add(string.Create(inv, $"--adam_beta2={s.AdamBeta2:R}"));
        args.Add(string.Create(inv, $"--adam_weight_decay={s.AdamWeightDecay:R}"));
        args.Add(string.Create(inv, $"--adam_epsilon={s.AdamEpsilon:R}"));
        args.Add(string.Create(inv, $"--max_grad_norm={s.MaxGradNorm:R}"));
        args.Add(string.Create(inv, $"--seed={s.Seed}"));
        args.Add($"--mixed_precision={s.MixedPrecision}");
        args.Add("--gradient_checkpointing");
        b.Append(string.Join(" \\\n", args.Select(a => "  " + a))).Append(" \\\n  \"$@\"\n");
        return b.ToString();
    }
}
