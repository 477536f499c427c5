using System.Globalization;

namespace Pluralist.Core.Model;

/// <summary>
/// A study's recruitment-panel entry (<c>/panel/{study}</c>): which query parameters carry the panel's ids and what
/// each outcome gives back. Nothing here is specific to one panel; Prolific, MTurk or SONA are configured the same way.
/// </summary>
public sealed class PanelSettings
{
    public const int MaxParameters = 8;
    public const int MaxParameterLength = 40;
    public const int MaxIdLength = 64;
    public const int MaxCodeLength = 64;
    public const int MaxUrlLength = 2000;

    /// <summary>The query parameter that carries the participant's panel id (Prolific: <c>PROLIFIC_PID</c>); one panel id is one participant.</summary>
    public string ParticipantParameter { get; set; } = "";

    /// <summary>Further query parameters recorded with each entry (Prolific: <c>STUDY_ID</c>, <c>SESSION_ID</c>); each is required.</summary>
    public List<string> OtherParameters { get; set; } = [];

    /// <summary>What each outcome gives back; an outcome not here ends with the app's own message and no code.</summary>
    public Dictionary<PanelOutcome, PanelExit> Exits { get; set; } = [];

    /// <summary>Every parameter read from the entry URL, the participant's first.</summary>
    public IReadOnlyList<string> Parameters => [ParticipantParameter, .. OtherParameters];

    public PanelExit? ExitFor(PanelOutcome outcome) => Exits.GetValueOrDefault(outcome);

    public PanelSettings Clone() => new()
    {
        ParticipantParameter = ParticipantParameter,
        OtherParameters = [.. OtherParameters],
        Exits = Exits.ToDictionary(kv => kv.Key, kv => kv.Value.Clone()),
    };

    /// <summary>The problems of these settings, each naming its field; empty when valid.</summary>
    public IReadOnlyList<(string Field, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        if (ParameterProblem(ParticipantParameter) is { } p)
        {
            problems.Add(("participantParameter", p));
        }

        if (OtherParameters.Count > MaxParameters - 1)
        {
            problems.Add(("parameters", $"at most {MaxParameters - 1} further parameters"));
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ParticipantParameter };
        for (var i = 0; i < OtherParameters.Count; i++)
        {
            var name = OtherParameters[i];
            if (ParameterProblem(name) is { } problem)
            {
                problems.Add((string.Create(CultureInfo.InvariantCulture, $"parameters[{i}]"), problem));
            }
            else if (!seen.Add(name))
            {
                problems.Add((string.Create(CultureInfo.InvariantCulture, $"parameters[{i}]"), $"'{name}' is named twice (query parameter names are compared without case)"));
            }
        }

        foreach (var (outcome, exit) in Exits)
        {
            var at = "exits." + OutcomeToken(outcome);
            if (exit.Code is null && exit.RedirectUrl is null)
            {
                problems.Add((at, "give a completion code, a redirect URL, or both"));
            }

            if (exit.Code is not null && CodeProblem(exit.Code) is { } c)
            {
                problems.Add((at + ".code", c));
            }

            if (exit.RedirectUrl is not null && UrlProblem(exit.RedirectUrl) is { } u)
            {
                problems.Add((at + ".redirectUrl", u));
            }
        }

        return problems;
    }

    /// <summary>What is wrong with a query parameter name; null when valid (1-40 ASCII letters, digits, '_' or '-').</summary>
    public static string? ParameterProblem(string? name) =>
        string.IsNullOrEmpty(name) ? "a query parameter name is required (for example PROLIFIC_PID)"
        : name.Length > MaxParameterLength ? $"a query parameter name has at most {MaxParameterLength} characters"
        : !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? $"'{name}' is not a query parameter name: use ASCII letters, digits, '_' and '-'"
        : null;

    /// <summary>What is wrong with an id taken from a panel URL; null when valid (1-64 ASCII letters, digits, '_', '-' or '.').</summary>
    public static string? IdProblem(string? value) =>
        string.IsNullOrEmpty(value) ? "is missing"
        : value.Length > MaxIdLength ? $"has more than {MaxIdLength} characters"
        : !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? "may hold only ASCII letters, digits, '_', '-' and '.'"
        : null;

    /// <summary>What is wrong with a completion code; null when valid (1-64 ASCII letters, digits, '_' or '-').</summary>
    public static string? CodeProblem(string? code) =>
        string.IsNullOrEmpty(code) ? "a completion code cannot be empty"
        : code.Length > MaxCodeLength ? $"a completion code has at most {MaxCodeLength} characters"
        : !code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? $"'{code}' is not a completion code: use ASCII letters, digits, '_' and '-'"
        : null;

    /// <summary>What is wrong with a redirect URL; null when it is an absolute http or https URL with a host and no user name or password.</summary>
    public static string? UrlProblem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "a redirect URL cannot be empty";
        }

        if (url.Length > MaxUrlLength)
        {
            return $"a redirect URL has at most {MaxUrlLength} characters";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || string.IsNullOrEmpty(uri.Host) || url.Any(char.IsWhiteSpace) || url.Any(char.IsControl))
        {
            return $"'{url}' is not an absolute http or https URL";
        }

        return uri.UserInfo.Length > 0 ? $"'{url}' must not carry a user name or password" : null;
    }

    /// <summary>The outcome's token in files and commands: <c>completed</c>, <c>screened-out</c>, <c>withdrawn</c>, <c>no-work</c>.</summary>
    public static string OutcomeToken(PanelOutcome outcome) => outcome switch
    {
        PanelOutcome.Completed => "completed",
        PanelOutcome.ScreenedOut => "screened-out",
        PanelOutcome.Withdrawn => "withdrawn",
        PanelOutcome.NoWorkLeft => "no-work",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    public static bool TryParseOutcome(string? token, out PanelOutcome outcome)
    {
        foreach (var o in Enum.GetValues<PanelOutcome>())
        {
            if (string.Equals(OutcomeToken(o), token, StringComparison.OrdinalIgnoreCase))
            {
                outcome = o;
                return true;
            }
        }

        outcome = default;
        return false;
    }

    /// <summary>One line per setting, for the CLI and tests.</summary>
    public override string ToString() =>
        $"{string.Join(",", Parameters)}|{string.Join(";", Exits.OrderBy(kv => kv.Key).Select(kv => $"{OutcomeToken(kv.Key)}={kv.Value.Code}@{kv.Value.RedirectUrl}"))}";
}
