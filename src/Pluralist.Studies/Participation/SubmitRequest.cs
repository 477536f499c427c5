namespace Pluralist.Studies.Participation;

/// <summary>The body of POST /api/assignments/{id}/annotation.</summary>
public sealed record SubmitRequest(string ClientRequestId, IReadOnlyList<ScoreInput> Scores, string? Comment, int? ClientDurationMs, bool ReportImage = false);
