namespace Pluralist.Diffusion;

/// <summary>Noise schedule (JSON object "schedule").</summary>
public sealed record ScheduleConfig
{
    public BetaScheduleKind Kind { get; init; } = BetaScheduleKind.Linear;

    public int TrainSteps { get; init; } = 1000;

    public double BetaStart { get; init; } = 1e-4;

    public double BetaEnd { get; init; } = 0.02;

    public NoiseSchedule Build() => new(Kind, TrainSteps, BetaStart, BetaEnd);
}
