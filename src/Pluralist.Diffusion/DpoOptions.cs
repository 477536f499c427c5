namespace Pluralist.Diffusion;

/// <summary>Diffusion-DPO settings. Defaults follow LIVS / the reference SD 1.5 run: batch 64, lr 1e-8, 20% linear warmup, beta 5000, 500 steps, AdamW.</summary>
public sealed record DpoOptions
{
    /// <summary>beta_dpo, the KL weight (Wallace et al. 2023 use 5000 for SD 1.5, 2500 for SDXL).</summary>
    public float Beta { get; init; } = 5000f;

    /// <summary>Base learning rate, before <see cref="ScaleLearningRate"/>.</summary>
    public float LearningRate { get; init; } = 1e-8f;

    /// <summary>
    /// Multiply the learning rate by the effective batch size (per-device batch x accumulation x devices), as the
    /// reference launchers do with --scale_lr (1e-8 x 2048 = 2.048e-5 there). The rate actually used is logged.
    /// </summary>
    public bool ScaleLearningRate { get; init; }

    /// <summary>Share of the steps with linear warmup from 0.</summary>
    public float WarmupFraction { get; init; } = 0.2f;

    public int Steps { get; init; } = 500;

    /// <summary>Pairs per optimiser step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Pairs per forward/backward pass (gradient accumulation over BatchSize / MicroBatchSize passes); null = BatchSize.</summary>
    public int? MicroBatchSize { get; init; }

    /// <summary>AdamW decoupled weight decay (the reference trainers' --adam_weight_decay 1e-2).</summary>
    public float WeightDecay { get; init; } = 1e-2f;

    public float Adam1 { get; init; } = 0.9f;

    public float Adam2 { get; init; } = 0.999f;

    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>Gradient-norm clipping (the reference trainers' --max_grad_norm 1.0); 0 = off.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    public FineTuneMode Mode { get; init; } = FineTuneMode.Full;

    public int LoraRank { get; init; } = 4;

    public float LoraAlpha { get; init; } = 4f;

    /// <summary>Layers that get adapters in <see cref="FineTuneMode.Lora"/>.</summary>
    public LoraTargets LoraTargets { get; init; } = LoraTargets.Attention;

    public LabelMode Labels { get; init; } = LabelMode.Hard;

    public TiePolicy Ties { get; init; } = TiePolicy.Drop;

    /// <summary>Multiplier per criterion (pairs of a criterion not listed get 1; weight 0 drops the criterion's pairs).</summary>
    public IReadOnlyDictionary<string, float>? CriterionWeights { get; init; }

    /// <summary>Train only on pairs of this identity group (per-group adapters); null = all.</summary>
    public string? Group { get; init; }

    public ulong Seed { get; init; } = 42;

    /// <summary>The loss: DPO (default), group-robust DPO, Diffusion-KTO or MaPO.</summary>
    public DpoObjective Objective { get; init; } = DpoObjective.Dpo;

    /// <summary>
    /// Group-robust DPO: step size eta of the group weights' exponentiated-gradient update, alpha_g &lt;- alpha_g exp(eta L_g)
    /// (0: fixed equal group weights).
    /// </summary>
    public float GroupStepSize { get; init; } = 0.1f;

    /// <summary>Diffusion-KTO: lambda_D, the weight of a desirable image's term (its beta is <see cref="Beta"/>).</summary>
    public float KtoDesirableWeight { get; init; } = 1f;

    /// <summary>Diffusion-KTO: lambda_U, the weight of an undesirable image's term.</summary>
    public float KtoUndesirableWeight { get; init; } = 1f;

    /// <summary>MaPO: beta, the weight of the margin term (the authors' default 0.1).</summary>
    public float MapoBeta { get; init; } = 0.1f;

    /// <summary>MaPO: the constant signal-to-noise value a (the authors' default 0.5).</summary>
    public float MapoSnr { get; init; } = 0.5f;

    /// <summary>
    /// DPO and group-robust DPO: gamma of a margin that grows with the answer's strength, margin = gamma (2p - 1) with p
    /// the pair's P(winner preferred) before <see cref="Labels"/> hardens it (the slider strength; 1 for a hard label).
    /// 0 = no margin (the published objective).
    /// </summary>
    public float MarginPerStrength { get; init; }

    /// <summary>
    /// Easy-to-hard curriculum by slider strength: step s draws its batch from the strongest share
    /// c(s) = min(1, start + (1 - start) s / (ramp x Steps)) of the pairs (every pair as strong as the weakest in that
    /// share included), then from all pairs.
    /// </summary>
    public bool Curriculum { get; init; }

    /// <summary>Curriculum: the share of the pairs (strongest first) available at step 0.</summary>
    public float CurriculumStart { get; init; } = 0.25f;

    /// <summary>Curriculum: the share of the steps after which every pair is available.</summary>
    public float CurriculumRamp { get; init; } = 0.5f;
}
