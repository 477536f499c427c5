using System.Diagnostics.CodeAnalysis;

namespace Pluralist.Core.Model;

/// <summary>
/// The lower-case tokens under which enums appear in files, URLs and the API
/// (for example <c>llm-1</c>, <c>attention-check</c>). One place, so that every format agrees.
/// </summary>
public static class Tokens
{
    private static readonly (PromptSource Value, string Token)[] PromptSources =
    [
        (PromptSource.Human, "human"),
        (PromptSource.Scenario, "scenario"),
        (PromptSource.Llm1, "llm-1"),
        (PromptSource.Llm2, "llm-2"),
        (PromptSource.Llm3, "llm-3"),
        (PromptSource.Template, "template"),
    ];

    private static readonly (PairKind Value, string Token)[] PairKinds =
    [
        (PairKind.Annotation, "annotation"),
        (PairKind.Evaluation, "evaluation"),
        (PairKind.AttentionCheck, "attention-check"),
        (PairKind.Gold, "gold"),
    ];

    private static readonly (Role Value, string Token)[] Roles =
    [
        (Role.Participant, "participant"),
        (Role.Liaison, "liaison"),
        (Role.Researcher, "researcher"),
        (Role.Admin, "admin"),
    ];

    private static readonly (TaskType Value, string Token)[] TaskTypes =
    [
        (TaskType.Pairwise, "pairwise"),
        (TaskType.Likert, "likert"),
        (TaskType.Both, "both"),
    ];

    private static readonly (WithdrawalPolicy Value, string Token)[] WithdrawalPolicies =
    [
        (WithdrawalPolicy.KeepAnnotations, "keep"),
        (WithdrawalPolicy.DeleteAnnotations, "delete"),
    ];

    private static readonly (PairDistribution Value, string Token)[] Distributions =
    [
        (PairDistribution.Random, "random"),
        (PairDistribution.LeastAnswered, "least-answered"),
        (PairDistribution.Fixed, "fixed"),
    ];

    private static readonly (ImageReportReason Value, string Token)[] ReportReasons =
    [
        (ImageReportReason.Broken, "broken"),
        (ImageReportReason.Distorted, "distorted"),
        (ImageReportReason.Other, "other"),
    ];

    private static readonly (IdentityQuestionKind Value, string Token)[] QuestionKinds =
    [
        (IdentityQuestionKind.SingleChoice, "single-choice"),
        (IdentityQuestionKind.MultipleChoice, "multiple-choice"),
        (IdentityQuestionKind.FreeText, "free-text"),
        (IdentityQuestionKind.Year, "year"),
        (IdentityQuestionKind.Number, "number"),
    ];

    public static string ToToken(this PromptSource value) => Find(PromptSources, value);
    public static string ToToken(this PairKind value) => Find(PairKinds, value);
    public static string ToToken(this Role value) => Find(Roles, value);
    public static string ToToken(this TaskType value) => Find(TaskTypes, value);
    public static string ToToken(this WithdrawalPolicy value) => Find(WithdrawalPolicies, value);
    public static string ToToken(this PairDistribution value) => Find(Distributions, value);
    public static string ToToken(this ImageReportReason value) => Find(ReportReasons, value);
    public static string ToToken(this IdentityQuestionKind value) => Find(QuestionKinds, value);

    public static bool TryParse(string? token, out PromptSource value) => TryFind(PromptSources, token, out value);
    public static bool TryParse(string? token, out PairKind value) => TryFind(PairKinds, token, out value);
    public static bool TryParse(string? token, out Role value) => TryFind(Roles, token, out value);
    public static bool TryParse(string? token, out TaskType value) => TryFind(TaskTypes, token, out value);
    public static bool TryParse(string? token, out WithdrawalPolicy value) => TryFind(WithdrawalPolicies, token, out value);
    public static bool TryParse(string? token, out PairDistribution value) => TryFind(Distributions, token, out value);
    public static bool TryParse(string? token, out ImageReportReason value) => TryFind(ReportReasons, token, out value);
    public static bool TryParse(string? token, out IdentityQuestionKind value) => TryFind(QuestionKinds, token, out value);

    /// <summary>The tokens accepted for an enum, for error messages ("expected one of …").</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => typeof(T) switch
    {
        var t when t == typeof(PromptSource) => PromptSources.Select(p => p.Token).ToArray(),
        var t when t == typeof(PairKind) => PairKinds.Select(p => p.Token).ToArray(),
        var t when t == typeof(Role) => Roles.Select(p => p.Token).ToArray(),
        var t when t == typeof(TaskType) => TaskTypes.Select(p => p.Token).ToArray(),
        var t when t == typeof(WithdrawalPolicy) => WithdrawalPolicies.Select(p => p.Token).ToArray(),
        var t when t == typeof(PairDistribution) => Distributions.Select(p => p.Token).ToArray(),
        var t when t == typeof(ImageReportReason) => ReportReasons.Select(p => p.Token).ToArray(),
        var t when t == typeof(IdentityQuestionKind) => QuestionKinds.Select(p => p.Token).ToArray(),
        _ => throw new ArgumentException($"No tokens are defined for {typeof(T).Name}."),
    };

    private static string Find<T>((T Value, string Token)[] table, T value) where T : struct, Enum
    {
        foreach (var (v, token) in table)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return token;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, null);
    }

    private static bool TryFind<T>((T Value, string Token)[] table, string? token, [NotNullWhen(true)] out T value) where T : struct, Enum
    {
        foreach (var (v, t) in table)
        {
            if (string.Equals(t, token?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }
}
