using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>What a rating stored (the rows now stored for the image), or why it stored nothing.</summary>
public sealed record RateResult(IReadOnlyList<LikertRating> Rows, bool Duplicate, bool Changed, Refusal Refusal = Refusal.None);
