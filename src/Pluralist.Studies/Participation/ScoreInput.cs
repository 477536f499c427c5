namespace Pluralist.Studies.Participation;

/// <summary>One criterion's answer in a submit: score as shown, null when not touched.</summary>
public sealed record ScoreInput(string Criterion, double? Score);
