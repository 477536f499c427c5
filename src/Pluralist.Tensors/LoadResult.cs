namespace Pluralist.Tensors;

/// <summary>Names a lenient <see cref="Module.LoadStateDict"/> could not match.</summary>
public sealed record LoadResult(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);
