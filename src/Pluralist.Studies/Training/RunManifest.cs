using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pluralist.Studies.Training;

/// <summary>
/// <c>manifest.json</c> of a torch run folder (docs/formats.md, "Torch run folder"): every setting of the run, the
/// trainer it launches and the dataset's hashes, so that the folder says alone what it trains and how.
/// </summary>
public sealed record RunManifest
{
    public const string FormatName = "pluralist-torch-run-1";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Format { get; init; } = FormatName;

    /// <summary>sd15, sdxl or embedded.</summary>
    public required string Model { get; init; }

    /// <summary>lora or full.</summary>
    public required string Mode { get; init; }

    public required RunTrainer Trainer { get; init; }

    /// <summary>Hugging Face id or path of the base pipeline; for embedded, the file name in the folder.</summary>
    public required string Base { get; init; }

    public string? Vae { get; init; }

    public required int Resolution { get; init; }

    public required RunDataset Dataset { get; init; }

    public required RunSettings Settings { get; init; }

    /// <summary>Embedded runs: what Pluralist prepared in <c>prepared.safetensors</c>.</summary>
    public RunPrepared? Prepared { get; init; }

    /// <summary>Folder (relative to the run) the trainer writes its weights, checkpoints and log to.</summary>
    public string Output { get; init; } = "output";

    /// <summary>What the reference trainer does differently from Pluralist's own, said once here rather than lost.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>The trainer script, where it comes from and how it is launched.</summary>
public sealed record RunTrainer(string Script, string Source, string Launcher);

/// <summary>The dataset copied into the run: its folder, split, rows and SHA-256 (of each file and of the whole).</summary>
public sealed record RunDataset
{
    public string Path { get; init; } = "dataset";

    public required string Split { get; init; }

    /// <summary>SHA-256 of the lines <c>sha256  relative/path</c> of every file, in ordinal path order (what <c>sha256sum</c> prints).</summary>
    public required string Sha256 { get; init; }

    public required IReadOnlyList<RunFile> Files { get; init; }

    /// <summary>Rows per split.</summary>
    public required IReadOnlyDictionary<string, int> Rows { get; init; }

    /// <summary>Rows of the split whose weight is not 1 (the reference trainers ignore the weight column).</summary>
    public int WeightedRows { get; init; }

    /// <summary>Rows of the split that were ties resolved by a coin (<c>tie_resolved</c>).</summary>
    public int TiesResolved { get; init; }
}

/// <summary>
/// The tensors of an embedded run: the pairs after Pluralist's preparation (orientation, tie policy, labels and weights) and
/// the pair order, timesteps and noise of the first <see cref="RecordedSteps"/> steps, as Pluralist's own trainer draws them.
/// </summary>
public sealed record RunPrepared(string File, int Pairs, int TotalRows, int TiesDropped, int RecordedSteps, string Sha256);

/// <summary>One file of the run with its size and SHA-256.</summary>
public sealed record RunFile(string Path, long Bytes, string Sha256);

/// <summary>The Diffusion-DPO and distribution settings, named as the reference trainers name them where they have a name.</summary>
public sealed record RunSettings
{
    public required double Beta { get; init; }

    /// <summary>Base rate before scaling.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Whether the rate is multiplied by the effective batch (the trainers' <c>--scale_lr</c>).</summary>
    public required bool ScaleLr { get; init; }

    /// <summary>The peak rate the trainer uses: <see cref="LearningRate"/> x <see cref="EffectiveBatch"/> with <see cref="ScaleLr"/>, else <see cref="LearningRate"/>.</summary>
    public required double LearningRateUsed { get; init; }

    public required double WarmupFraction { get; init; }

    /// <summary>round(<see cref="WarmupFraction"/> x <see cref="Steps"/>), the trainers' <c>--lr_warmup_steps</c>.</summary>
    public required int WarmupSteps { get; init; }

    public string LrScheduler { get; init; } = "constant_with_warmup";

    public required int Steps { get; init; }

    /// <summary>Pairs per optimiser step: <see cref="PerDeviceBatch"/> x <see cref="GradientAccumulationSteps"/> x <see cref="Processes"/>.</summary>
    public required int EffectiveBatch { get; init; }

    public required int PerDeviceBatch { get; init; }

    public required int GradientAccumulationSteps { get; init; }

    public required int GpusPerNode { get; init; }

    public required int Nodes { get; init; }

    /// <summary><see cref="GpusPerNode"/> x <see cref="Nodes"/>.</summary>
    public required int Processes { get; init; }

    public required ulong Seed { get; init; }

    public required double AdamBeta1 { get; init; }

    public required double AdamBeta2 { get; init; }

    public required double AdamWeightDecay { get; init; }

    public required double AdamEpsilon { get; init; }

    public required double MaxGradNorm { get; init; }

    public required string MixedPrecision { get; init; }

    /// <summary>LoRA rank (lora mode only; the diffusers trainers set alpha = rank).</summary>
    public int? LoraRank { get; init; }

    public required int CheckpointingSteps { get; init; }

    /// <summary>Share of captions replaced by the empty prompt (the authors' <c>--proportion_empty_prompts</c>; Pluralist's trainer: 0).</summary>
    public double ProportionEmptyPrompts { get; init; }

    /// <summary>Random horizontal flips of the training images (the reference trainers' default; the embedded trainer: none).</summary>
    public bool Hflip { get; init; }
}
