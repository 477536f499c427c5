using Pluralist.Core.Model;

namespace Pluralist.Studies.Console.Dataset;

/// <summary>One pair with its answers: counts of oriented slider answers in five bins from "image_0 strongly" to "image_1 strongly".</summary>
public sealed record PairView(long PairId, PairKind Kind, long PromptId, string Prompt, long Image0, long Image1, int Answers, double? MeanPreference, int[] Bins, int Unanswered);
