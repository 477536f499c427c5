namespace Pluralist.Studies.Participation;

/// <summary>
/// The prompt shown above an image, with the language it is written in (often English on a French page: the page marks
/// it with <c>lang</c> so a screen reader reads it with the right voice).
/// </summary>
public sealed record ShownPrompt(string Text, string Language);
