using System.CommandLine;
using Pluralist.Core.Text;
using Pluralist.Data;
using Pluralist.Studies;

namespace Pluralist.Cli;

/// <summary>
/// Bad input found by a command itself (an option out of range): each error is printed as
/// <c>error: file:line:col (field): message</c> and the exit code is 1, exactly as a <see cref="StudyInputException"/> from a use case.
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
/// Plumbing shared by the database-backed verbs: the global <c>--data</c>, <c>--db</c> and <c>--connection</c>
/// options, resolving them to a data directory and database, and mapping exceptions to exit codes
/// (0 success, 1 bad input, 2 internal error). Use cases live in Pluralist.Studies; the verbs adapt options and output.
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

    /// <summary>Runs <paramref name="action"/> and maps its exceptions to an exit code and stderr messages.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (CliInputException ex)
        {
            PrintErrors(ex.Message, ex.Errors);
            return 1;
        }
        catch (StudyInputException ex)
        {
            PrintErrors(ex.Message, ex.Errors);
            return 1;
        }
        catch (Data.Bundles.BundleException ex)
        {
            PrintErrors(ex.Message, ex.Errors);
            if (ex.Omitted > 0)
            {
                await Console.Error.WriteLineAsync($"... and {ex.Omitted} more errors ({ex.Errors.Count + ex.Omitted} in all)").ConfigureAwait(false);
            }

            return 1;
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"internal error: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    private static void PrintErrors(string message, IReadOnlyList<CsvError> errors)
    {
        if (errors.Count == 0)
        {
            Console.Error.WriteLine($"error: {message}");
            return;
        }

        foreach (var e in errors.Take(MaxPrintedErrors))
        {
            Console.Error.WriteLine($"error: {e}");
        }

        if (errors.Count > MaxPrintedErrors)
        {
            Console.Error.WriteLine($"... and {errors.Count - MaxPrintedErrors} more errors ({errors.Count} in all)");
        }
    }
}
