using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>The stored answer, returned after commit.</summary>
public sealed record SubmitResponse(long AnnotationId, long AssignmentId, string ClientRequestId, IReadOnlyList<ScoreInput> Scores, string Next, bool Duplicate, bool Changed = false);
