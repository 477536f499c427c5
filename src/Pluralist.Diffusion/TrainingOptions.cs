namespace Pluralist.Diffusion;

/// <summary>Base (pre)training settings.</summary>
public sealed record TrainingOptions
{
    public int BatchSize { get; init; } = 16;

    public int Steps { get; init; } = 10_000;

    public float LearningRate { get; init; } = 2e-4f;

    public int WarmupSteps { get; init; } = 200;

    public float WeightDecay { get; init; }

    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Probability that a caption is replaced by the empty prompt, so the model also learns eps(x_t, t, empty) for classifier-free guidance (Ho and Salimans 2022 use 0.1-0.2).</summary>
    public float PromptDropout { get; init; } = 0.1f;

    /// <summary>EMA decay of the weights (0 = no EMA).</summary>
    public float EmaDecay { get; init; } = 0.999f;

    public ulong Seed { get; init; } = 42;

    /// <summary>Also train the text encoder (true for the embedded model trained from scratch).</summary>
    public bool TrainTextEncoder { get; init; } = true;
}
