namespace Pluralist.Diffusion;

/// <summary>Progress after one optimiser step.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, float Loss, float LearningRate, float GradNorm, TimeSpan StepTime);
