using System.CommandLine;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Studies;

namespace Pluralist.Cli;

/// <summary>
/// Bad input found by a command itself (an option it refuses): each error is printed as
/// <c>error: file:line:col (field): message</c> and the exit code is 1, as for a <see cref="StudyInputException"/> from a use case.
/// </summary>
public sealed class CliInputException : Exception
{
    /// <summary>One located error or more.</summary>
    public CliInputException(IReadOnlyList<CsvError> errors)
        : base(errors.Count > 0 ? errors[0].ToString() : "bad input") => Errors = errors;

    /// <summary>A single message without a location.</summary>
    public CliInputException(string message)
        : base(message) => Errors = [];

    /// <summary>The located errors (empty when only <see cref="Exception.Message"/> applies).</summary>
    public IReadOnlyList<CsvError> Errors { get; }
}

/// <summary>
/// Plumbing shared by the verbs: the global <c>--data</c>, <c>--db</c> and <c>--connection</c> options, resolving them
/// to a data directory and database, and the one runner that maps a command's exceptions to exit codes (<see cref="ExitCodes"/>).
/// Use cases live in Pluralist.Studies; the verbs adapt options and output.
/// </summary>
public static class CliContext
{
    /// <summary>How many errors are printed before the rest are counted.</summary>
    public const int MaxPrintedErrors = 50;

    /// <summary><c>--data DIR</c> (default <c>PLURALIST_DATA</c>, then <c>./pluralist-data</c>).</summary>
    public static readonly Option<string?> Data = new("--data") { Description = "Data directory (default $PLURALIST_DATA or ./pluralist-data).", Recursive = true };

    /// <summary><c>--db sqlite|postgres</c> (default <c>PLURALIST_DB</c>, then sqlite).</summary>
    public static readonly Option<string?> Db = new("--db") { Description = "Database provider: sqlite or postgres (default $PLURALIST_DB or sqlite).", Recursive = true };

    /// <summary><c>--connection</c> (default <c>PLURALIST_CONNECTION</c>, then the SQLite file in the data directory).</summary>
    public static readonly Option<string?> Connection = new("--connection") { Description = "Database connection string (default $PLURALIST_CONNECTION).", Recursive = true };

    /// <summary>Adds the global options to the root command.</summary>
    public static void AddGlobalOptions(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Options.Add(Data);
        root.Options.Add(Db);
        root.Options.Add(Connection);
    }

    /// <summary>Resolves the data directory and database options from a parse result.</summary>
    public static (DataDirectory Data, DatabaseOptions Database) Resolve(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var data = DataDirectory.Resolve(parse.GetValue(Data));
        var db = DatabaseOptions.Resolve(data, parse.GetValue(Db), parse.GetValue(Connection));
        return (data, db);
    }

    /// <summary>
    /// The one runner of every command: <c>command.SetAction(CliContext.Run(async (parse, ct) =&gt; ...))</c>. The body
    /// returns its exit code; what it throws becomes an exit code and messages on the invocation's error writer
    /// (<see cref="Describe"/>, <see cref="ExitCodes"/>; docs/cli.md lists them).
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Run(Func<ParseResult, CancellationToken, Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return (parse, ct) => RunAsync(parse, body, ct);
    }

    /// <summary>Runs <paramref name="body"/> as <see cref="Run"/> describes.</summary>
    /// <param name="parse">The parse result (its invocation configuration holds the error writer).</param>
    /// <param name="body">The command's work; returns its exit code.</param>
    /// <param name="ct">The action's token: an <see cref="OperationCanceledException"/> after it was cancelled (Ctrl+C) exits 130.</param>
    public static async Task<int> RunAsync(ParseResult parse, Func<ParseResult, CancellationToken, Task<int>> body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return await body(parse, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var (code, lines) = Describe(ex, ct.IsCancellationRequested);
            var error = parse.InvocationConfiguration.Error;
            foreach (var line in lines)
            {
                await error.WriteLineAsync(line).ConfigureAwait(false);
            }

            return code;
        }
    }

    /// <summary>The exit code for <paramref name="ex"/> and the lines to print on stderr.</summary>
    /// <param name="ex">What the action threw.</param>
    /// <param name="cancelled">Whether the action's token was cancelled (an <see cref="OperationCanceledException"/> then means Ctrl+C).</param>
    public static (int Code, IReadOnlyList<string> Lines) Describe(Exception ex, bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(ex);
        switch (ex)
        {
            case OperationCanceledException when cancelled:
                return (ExitCodes.Interrupted, ["interrupted"]);
            case CliInputException input:
                return (ExitCodes.BadInput, Located(input.Errors, 0, input.Message));
            case StudyInputException study:
                return (ExitCodes.BadInput, Located(study.Errors, 0, study.Message));
            case Data.Bundles.BundleException bundle:
                return (ExitCodes.BadInput, Located(bundle.Errors, bundle.Omitted, bundle.Message));
            case Pipeline.Prompts.PromptImportException prompts:
                return (ExitCodes.BadInput, Located(prompts.Errors, 0, prompts.Message));
            case Studies.Training.RunBackendException backend:
                // The cluster's API did not answer or refused: an environment problem, said without a stack trace.
                return (ExitCodes.InternalError, [$"error: {backend.Message}"]);
            case CsvFormatException csv:
                return (ExitCodes.BadInput, [$"error: {csv.Error}"]);
            case FileNotFoundException missing:
                // The runtime's message names the file; a library's own message may not.
                return (ExitCodes.BadInput, [missing.FileName is { Length: > 0 } name && !missing.Message.Contains(name, StringComparison.Ordinal)
                    ? $"error: file not found: {name}"
                    : $"error: {missing.Message}"]);
            case DirectoryNotFoundException or UnauthorizedAccessException or InvalidDataException:
                return (ExitCodes.BadInput, [$"error: {ex.Message}"]);
            case ArgumentException:
                // Libraries reject values they cannot use (one rater, a one-member group, negative ratio data, an unknown provider).
                return (ExitCodes.BadInput, [$"error: {ex.Message}"]);
            default:
                return (ExitCodes.InternalError, [$"internal error: {ex}"]);
        }
    }

    private static List<string> Located(IReadOnlyList<CsvError> errors, int omitted, string message)
    {
        if (errors.Count == 0)
        {
            return [$"error: {message}"];
        }

        var lines = errors.Take(MaxPrintedErrors).Select(e => $"error: {e}").ToList();
        var more = errors.Count - lines.Count + omitted;
        if (more > 0)
        {
            lines.Add($"... and {more} more errors ({errors.Count + omitted} in all)");
        }

        return lines;
    }
}

/// <summary>The exit codes of <c>pluralist</c> (docs/cli.md).</summary>
public static class ExitCodes
{
    /// <summary>The command did its work.</summary>
    public const int Success = 0;

    /// <summary>
    /// Bad input: a usage error found by the parser (unknown option, missing or malformed value), an option value the
    /// command refuses, or a file that is missing, unreadable or malformed (the message names file, line and field).
    /// </summary>
    public const int BadInput = 1;

    /// <summary>An unexpected failure: a bug or an environment problem (the message carries the exception).</summary>
    public const int InternalError = 2;

    /// <summary><c>loadtest</c> ran, and its exactly-once check found an acknowledged answer lost, changed or doubled, or an answer never sent.</summary>
    public const int CheckFailed = 3;

    /// <summary>Stopped by Ctrl+C; long runs write a checkpoint first and continue with <c>--resume</c>.</summary>
    public const int Interrupted = 130;
}
