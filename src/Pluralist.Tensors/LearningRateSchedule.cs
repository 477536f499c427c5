namespace Pluralist.Tensors;

/// <summary>Learning rate as a function of the step: linear warmup from 0, then constant, linear or cosine decay.</summary>
public sealed record LearningRateSchedule(float BaseRate, int WarmupSteps = 0, int TotalSteps = 0, DecayKind Decay = DecayKind.Constant)
{
    /// <summary>Rate for step (0-based).</summary>
    public float At(int step)
    {
        if (step < WarmupSteps)
        {
            return BaseRate * (step + 1) / WarmupSteps;
        }

        if (Decay == DecayKind.Constant || TotalSteps <= WarmupSteps)
        {
            return BaseRate;
        }

        double progress = Math.Clamp((double)(step - WarmupSteps) / (TotalSteps - WarmupSteps), 0, 1);
        return Decay == DecayKind.Linear
            ? (float)(BaseRate * (1 - progress))
            : (float)(BaseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
