namespace Pluralist.Studies.Participation;

/// <summary>
/// One problem with an answer: the field it is about and a message code with its arguments. The front end
/// turns the code into text in the participant's language (the web app with its <c>Texts</c>).
/// </summary>
public sealed record FieldError(string Field, string Code, params object[] Args);
