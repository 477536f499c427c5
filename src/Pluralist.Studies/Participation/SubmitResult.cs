using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>What a submit stored (the answer now stored for the assignment), or why it stored nothing.</summary>
public sealed record SubmitResult(Annotation? Annotation, bool Duplicate, bool Changed, Refusal Refusal = Refusal.None);
