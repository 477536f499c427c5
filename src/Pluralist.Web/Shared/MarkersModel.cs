using Pluralist.Core.Model;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Shared;

/// <summary>
/// The identity questions of a study (<see cref="Study.AskedQuestions"/>, so any key renders), what the participant
/// has stored, and after a refused post what they sent and what was wrong, per question key.
/// </summary>
public sealed record MarkersModel(IReadOnlyList<IdentityQuestion> Questions, IReadOnlyList<IdentityAnswer> Answers)
{
    /// <summary>What was posted, per question key, shown again after a refused post.</summary>
    public IReadOnlyDictionary<string, MarkerInput> Posted { get; init; } = new Dictionary<string, MarkerInput>(StringComparer.Ordinal);

    /// <summary>The problem of each refused answer, per question key, in the participant's language.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public static MarkersModel For(Study study, IReadOnlyList<IdentityAnswer> answers) => new(study.AskedQuestions(), answers);

    /// <summary>Reads the question fields of a posted form; a multiple choice's ticked options are joined by ';'.</summary>
    public static List<MarkerInput> Read(IFormCollection form, Study study)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(study);
        return study.AskedQuestions().Select(q => new MarkerInput(
            q.Key,
            form[$"consent-{q.Key}"] == "true",
            q.Kind == IdentityQuestionKind.MultipleChoice
                ? string.Join(IdentityGroupCoder.StoredSeparator, form[$"value-{q.Key}"].Where(v => !string.IsNullOrEmpty(v)))
                : form[$"value-{q.Key}"].ToString(),
            form[$"prefer-not-{q.Key}"] == "true")).ToList();
    }

    /// <summary>The refused answers of a post as messages per question key, in <paramref name="lang"/>; empty when all can be kept.</summary>
    public static Dictionary<string, string> Problems(Study study, IReadOnlyList<MarkerInput> inputs, string lang)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var problem in IdentityAnswers.Check(study, inputs))
        {
            errors.TryAdd(problem.QuestionKey, Message(study.QuestionFor(problem.QuestionKey), problem, lang));
        }

        return errors;
    }

    /// <summary>The same form, with what was sent and what was wrong.</summary>
    public MarkersModel WithPost(IReadOnlyList<MarkerInput> inputs, IReadOnlyDictionary<string, string> errors) => this with
    {
        Posted = inputs.ToDictionary(i => i.Marker, StringComparer.Ordinal),
        Errors = errors,
    };

    /// <summary>A question's wording in the participant's language; a key without wording shows the key.</summary>
    public static string Wording(IdentityQuestion question, string lang) =>
        question.Text.Get(lang) is { Length: > 0 } text ? text : question.Key;

    /// <summary>Whether option <paramref name="code"/> is chosen in a stored or posted value (codes, or labels of older answers).</summary>
    public static bool IsChosen(IdentityQuestion question, string? value, string code) =>
        value is not null && value.Split(IdentityGroupCoder.StoredSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(part => IdentityGroupCoder.MatchOption(question, part)?.Code == code);

    private static string Message(IdentityQuestion question, IdentityProblem problem, string lang)
    {
        bool fr = lang == "fr";
        if (problem.Field == "preferNotToSay")
        {
            return fr ? "Cette question n'offre pas « Je préfère ne pas répondre »." : "This question does not offer \"I prefer not to say\".";
        }

        string Range(string unit)
        {
            var (min, max) = (question.Min, question.Max ?? (question.Kind == IdentityQuestionKind.Year ? DateTime.UtcNow.Year : null));
            var from = (min ?? (question.Kind == IdentityQuestionKind.Year ? IdentityValidation.FirstYear : null))?.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var to = max?.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return (from, to) switch
            {
                (not null, not null) => fr ? $" entre {from} et {to}" : $" between {from} and {to}",
                (not null, null) => fr ? $" d'au moins {from}" : $" of at least {from}",
                (null, not null) => fr ? $" d'au plus {to}" : $" of at most {to}",
                _ => "",
            } + unit;
        }

        return question.Kind switch
        {
            IdentityQuestionKind.SingleChoice => fr ? "Choisissez une des réponses proposées, ou décochez la case pour ne pas répondre." : "Choose one of the answers offered, or untick the box to leave this question out.",
            IdentityQuestionKind.MultipleChoice => fr ? "Cochez au moins une des réponses proposées, ou décochez la case pour ne pas répondre." : "Tick at least one of the answers offered, or untick the box to leave this question out.",
            IdentityQuestionKind.Year => (fr ? "Écrivez une année à quatre chiffres" : "Write a year with four digits") + Range("."),
            IdentityQuestionKind.Number => (fr ? "Écrivez un nombre" : "Write a number") + Range("."),
            _ => fr ? $"Écrivez au plus {IdentityQuestion.MaxLength} caractères, sur une seule ligne." : $"Write at most {IdentityQuestion.MaxLength} characters, on one line.",
        };
    }
}
