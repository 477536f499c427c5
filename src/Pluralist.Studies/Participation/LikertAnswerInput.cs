namespace Pluralist.Studies.Participation;

/// <summary>One Likert answer: question key and value 1..5.</summary>
public sealed record LikertAnswerInput(string Question, int Value);
