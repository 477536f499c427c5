using Pluralist.Analysis.Evaluation;

namespace Pluralist.Studies.Console.Evaluation;

/// <summary>Per-criterion tally of a blind A/B evaluation: wins of A over B.</summary>
public sealed record EvaluationTally(string GeneratorA, string GeneratorB, int Pairs, ABOverview? Overview);
