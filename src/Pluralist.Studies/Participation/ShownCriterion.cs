namespace Pluralist.Studies.Participation;

/// <summary>A criterion as shown on the task page.</summary>
public sealed record ShownCriterion(string Key, string Name, string Definition);
