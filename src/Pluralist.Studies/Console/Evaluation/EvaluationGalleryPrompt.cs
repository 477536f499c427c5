namespace Pluralist.Studies.Console.Evaluation;

/// <summary>
/// One prompt of an A/B evaluation, as the console's gallery shows it (LIVS Fig. 5, 12-14): its pairs of base and aligned
/// images, and the answers per criterion and overall, counted for A.
/// </summary>
public sealed record EvaluationGalleryPrompt(long PromptId, string Prompt, IReadOnlyList<EvaluationGalleryPair> Pairs, IReadOnlyList<EvaluationCount> PerCriterion, EvaluationCount Overall);

/// <summary>One evaluation pair: B's image (the base), A's image (the aligned model), and the seed they share when they do.</summary>
public sealed record EvaluationGalleryPair(long PairId, long BaseImageId, long AlignedImageId, long? Seed, int Width, int Height);

/// <summary>Answers preferring A's image, neither, and B's image, for one criterion (or all: <c>overall</c>).</summary>
public sealed record EvaluationCount(string Criterion, int AlignedWins, int Neutral, int BaseWins)
{
    public int Answers => AlignedWins + Neutral + BaseWins;
}
