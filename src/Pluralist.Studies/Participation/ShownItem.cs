namespace Pluralist.Studies.Participation;

/// <summary>A Likert question or category as shown.</summary>
public sealed record ShownItem(string Key, string Text);
