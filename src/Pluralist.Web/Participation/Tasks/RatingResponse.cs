using Pluralist.Studies.Participation;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>The stored rating, returned after commit.</summary>
public sealed record RatingResponse(long ImageId, string ClientRequestId, IReadOnlyList<LikertAnswerInput> Answers, IReadOnlyList<string> Categories, string Next, bool Duplicate, bool Changed = false);
