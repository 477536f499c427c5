using Pluralist.Diffusion;

namespace Pluralist.Studies.Training;

/// <summary>Which model a torch run trains: the two reference pipelines, or the embedded model (docs/training-at-scale.md).</summary>
public enum TorchModel
{
    /// <summary>Stable Diffusion 1.5 (diffusers <c>train_diffusion_dpo.py</c>, or the authors' <c>train.py</c> for the full UNet).</summary>
    Sd15,

    /// <summary>Stable Diffusion XL (diffusers <c>train_diffusion_dpo_sdxl.py</c>, or the authors' <c>train.py --sdxl</c>).</summary>
    Sdxl,

    /// <summary>Pluralist's embedded model, trained by the run folder's own <c>train_embedded.py</c> under torchrun.</summary>
    Embedded,
}

/// <summary>
/// What <c>pluralist train dpo --engine torch</c> asks for: the model, the dataset, the Diffusion-DPO settings
/// (<see cref="DpoOptions"/>, the same defaults as the embedded trainer) and how the batch is spread over devices.
/// </summary>
public sealed record TorchRunRequest
{
    public required TorchModel Model { get; init; }

    /// <summary>A Parquet preference dataset folder (<c>pluralist dataset build --format parquet</c>).</summary>
    public required string Dataset { get; init; }

    public string Split { get; init; } = "train";

    /// <summary>The base model: a Hugging Face id or local folder (sd15, sdxl), a Pluralist model file (embedded); null = the model's default.</summary>
    public string? Base { get; init; }

    /// <summary>The SDXL VAE (the reference launchers use the fp16-safe one); null = the default for SDXL, none for SD 1.5.</summary>
    public string? Vae { get; init; }

    public required DpoOptions Options { get; init; }

    /// <summary>GPUs (processes) per node.</summary>
    public int GpusPerNode { get; init; } = 1;

    public int Nodes { get; init; } = 1;

    /// <summary>Pairs per device per forward pass; the rest of the effective batch is gradient accumulation.</summary>
    public int PerDeviceBatch { get; init; } = 1;

    /// <summary>no, fp16 or bf16 (accelerate's names); null = fp16 for sd15 and sdxl, no for embedded.</summary>
    public string? MixedPrecision { get; init; }

    /// <summary>Image side the trainer resizes to; null = the model's native size.</summary>
    public int? Resolution { get; init; }

    /// <summary>Save a checkpoint every this many steps; null = every 20% of the run.</summary>
    public int? CheckpointingSteps { get; init; }

    /// <summary>Steps whose pair order, timesteps and noise the embedded run folder carries from Pluralist's own trainer.</summary>
    public int RecordedSteps { get; init; } = 4;
}
