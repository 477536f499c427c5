namespace Pluralist.Studies.Console.Evaluation;

/// <summary>What an evaluation design made.</summary>
/// <param name="Pairs">Evaluation pairs created.</param>
/// <param name="Prompts">Prompts that have at least one pair now.</param>
/// <param name="MatchedBySeed">Pairs whose two images share their seed.</param>
/// <param name="ByOrder">Pairs of prompts whose images carry no seed at all, paired in the order they were added.</param>
/// <param name="AlreadyThere">Pairs that existed already (the same two images as an evaluation pair), not made twice.</param>
/// <param name="NoCommonSeed">Prompts with seeded images from both models but no seed in common: no pair, the seeds differ.</param>
/// <param name="TrainingPromptsLeftOut">Prompts left out because the aligned model was trained on them.</param>
public sealed record EvaluationCreated(
    int Pairs,
    int Prompts,
    int MatchedBySeed,
    int ByOrder,
    int AlreadyThere,
    IReadOnlyList<string> NoCommonSeed,
    IReadOnlyList<string> TrainingPromptsLeftOut);
