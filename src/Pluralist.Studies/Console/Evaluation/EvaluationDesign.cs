namespace Pluralist.Studies.Console.Evaluation;

/// <summary>
/// How to build a blind A/B evaluation: the aligned model <paramref name="Aligned"/> (A, shown as image_1) against
/// its base <paramref name="Base"/> (B, image_0), with up to <paramref name="SeedsPerPrompt"/> matched seeds per
/// prompt (the same seed for both models, so a pair differs by the model only). <paramref name="TrainingPrompts"/>,
/// when given, are the captions the aligned model was trained on: prompts among them are refused (or, with
/// <paramref name="SkipTrainingPrompts"/>, left out and named), so the evaluation runs on held-out prompts only.
/// </summary>
public sealed record EvaluationDesign(
    string Aligned,
    string Base,
    int SeedsPerPrompt = 1,
    IReadOnlySet<string>? TrainingPrompts = null,
    bool SkipTrainingPrompts = false,
    long? BatchId = null);
