using System.Globalization;
using Pluralist.Studies.Participation;
using Pluralist.Web.Infrastructure;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>The text of an answer's field errors: participant-facing codes from <see cref="Texts"/> in their language, the API's shape errors in English.</summary>
public static class AnswerErrors
{
    // Errors only a client that does not follow the API can make: for its developer, in English.
    private static readonly Dictionary<string, string> ApiMessages = new(StringComparer.Ordinal)
    {
        ["client-request-id"] = "A client request id of 1 to 100 characters is required.",
        ["rating-request-id"] = "A client request id of 1 to 100 characters, without '/', is required.",
        ["score-shape"] = "Each score is an object {criterion, score} naming a criterion shown.",
        ["score-twice"] = "Each criterion may be answered once.",
        ["comment-too-long"] = "A comment has at most {0} characters.",
        ["answer-shape"] = "Each answer is an object {question, value} naming a question of the study.",
        ["answer-twice"] = "Each question may be answered once.",
    };

    /// <summary>The errors by field, as a validation problem carries them; a later error on a field replaces an earlier one.</summary>
    public static Dictionary<string, string[]> ByField(IEnumerable<FieldError> errors, string lang)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var byField = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            byField[error.Field] = [Text(error, lang)];
        }

        return byField;
    }

    public static string Text(FieldError error, string lang)
    {
        ArgumentNullException.ThrowIfNull(error);
        // Only a message with arguments is a format string: the shape messages hold braces of their own.
        if (ApiMessages.TryGetValue(error.Code, out var message))
        {
            return error.Args.Length == 0 ? message : string.Format(CultureInfo.InvariantCulture, message, error.Args);
        }

        return error.Args.Length == 0 ? Texts.Get(error.Code, lang) : Texts.Format(error.Code, lang, error.Args);
    }
}
