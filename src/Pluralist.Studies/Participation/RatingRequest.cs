namespace Pluralist.Studies.Participation;

/// <summary>The body of POST /api/ratings.</summary>
public sealed record RatingRequest(string ItemToken, string ClientRequestId, IReadOnlyList<LikertAnswerInput> Answers, IReadOnlyList<string>? Categories, int? ClientDurationMs);
