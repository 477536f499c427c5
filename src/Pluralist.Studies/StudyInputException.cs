using Pluralist.Core.Text;

namespace Pluralist.Studies;

/// <summary>
/// Bad input found by a use case (an unknown study, an old database, a malformed dataset): the message, or each located
/// error, names where. Front ends show it as the caller's mistake (the CLI prints <c>error: ...</c> and exits 1).
/// </summary>
public sealed class StudyInputException : Exception
{
    /// <summary>One located error or more.</summary>
    public StudyInputException(IReadOnlyList<CsvError> errors)
        : base(errors is { Count: > 0 } ? errors[0].ToString() : "bad input") => Errors = errors ?? [];

    /// <summary>A single message without a location.</summary>
    public StudyInputException(string message)
        : base(message) => Errors = [];

    /// <summary>The located errors (empty when only <see cref="Exception.Message"/> applies).</summary>
    public IReadOnlyList<CsvError> Errors { get; }
}
