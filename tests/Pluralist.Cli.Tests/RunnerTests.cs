using System.CommandLine;
using Pluralist.Core.Text;
using Pluralist.Data.Bundles;
using Pluralist.Pipeline.Prompts;
using Pluralist.Studies;

namespace Pluralist.Cli.Tests;

/// <summary>The one runner of every command: each kind of exception maps to its exit code and a message naming where.</summary>
public sealed class RunnerTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, true);

    private static Exception Thrown(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new InvalidOperationException("nothing thrown");
    }

    private static (int Code, string Lines) Describe(Exception ex, bool cancelled = false)
    {
        var (code, lines) = CliContext.Describe(ex, cancelled);
        return (code, string.Join('\n', lines));
    }

    [Fact]
    public void Missing_file_is_bad_input_naming_the_file()
    {
        var path = Path.Combine(_dir, "ratings.csv");
        var (code, text) = Describe(Thrown(() => File.ReadAllText(path)));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("error: ", text, StringComparison.Ordinal);
        Assert.Contains(path, text, StringComparison.Ordinal);

        // A library's message that does not name the file gets the file's name.
        (code, text) = Describe(new FileNotFoundException("the model is missing", "base.safetensors"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("error: file not found: base.safetensors", text);
    }

    [Fact]
    public void Missing_directory_and_denied_access_are_bad_input_naming_the_path()
    {
        var path = Path.Combine(_dir, "absent", "pairs.jsonl");
        var (code, text) = Describe(Thrown(() => File.ReadAllText(path)));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(Path.Combine(_dir, "absent"), text, StringComparison.Ordinal);

        (code, text) = Describe(new UnauthorizedAccessException($"Access to the path '{path}' is denied."));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(path, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_data_and_argument_errors_are_bad_input()
    {
        Assert.Equal((ExitCodes.BadInput, "error: img.png: not a PNG file"), Describe(new InvalidDataException("img.png: not a PNG file")));
        Assert.Equal((ExitCodes.BadInput, "error: agreement needs two raters"), Describe(new ArgumentException("agreement needs two raters")));
    }

    [Fact]
    public void Bad_input_found_by_a_use_case_exits_as_a_commands_own()
    {
        Assert.Equal((ExitCodes.BadInput, "error: study 'x': no such study; known studies: demo"), Describe(new StudyInputException("study 'x': no such study; known studies: demo")));
        var located = new CsvError("pairs.jsonl", 4, 0, "label_0", "must be in [0, 1]");
        Assert.Equal(Describe(new CliInputException([located])), Describe(new StudyInputException([located])));
    }

    [Fact]
    public void Malformed_csv_is_bad_input_naming_file_line_and_column()
    {
        var ex = Thrown(() => CsvReader.ReadAll(new StringReader("item,rater\ni1,a\ni2,\"b\n"), "ratings.csv"));
        Assert.IsType<CsvFormatException>(ex);
        Assert.Equal((ExitCodes.BadInput, "error: ratings.csv:3:2: quoted field is not closed"), Describe(ex));
    }

    [Fact]
    public void Located_errors_are_printed_one_a_line_up_to_50_then_counted()
    {
        var errors = Enumerable.Range(1, 60).Select(i => new CsvError("annotations.csv", i + 1, 3, "score", "not a number")).ToList();
        var (code, text) = Describe(new CliInputException(errors));
        var lines = text.Split('\n');
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal(51, lines.Length);
        Assert.Equal("error: annotations.csv:2:3 (score): not a number", lines[0]);
        Assert.Equal("... and 10 more errors (60 in all)", lines[^1]);

        // A bundle's errors past its reporting limit are counted with the unprinted ones.
        (code, text) = Describe(new BundleException(errors[..3], omitted: 7));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal(["error: annotations.csv:2:3 (score): not a number", "error: annotations.csv:3:3 (score): not a number", "error: annotations.csv:4:3 (score): not a number", "... and 7 more errors (10 in all)"], text.Split('\n'));

        (code, text) = Describe(new PromptImportException([new CsvError("prompts.csv", 3, 3, "source", "unknown source 'robot'")]));
        Assert.Equal((ExitCodes.BadInput, "error: prompts.csv:3:3 (source): unknown source 'robot'"), (code, text));

        Assert.Equal((ExitCodes.BadInput, "error: --seeds: 'x' is not a seed"), Describe(new CliInputException("--seeds: 'x' is not a seed")));
    }

    [Fact]
    public void Cancellation_is_130_and_anything_else_an_internal_error()
    {
        Assert.Equal((ExitCodes.Interrupted, "interrupted"), Describe(new OperationCanceledException(), cancelled: true));

        // Not cancelled by the user (a timeout): internal error with the exception and its type.
        var (code, text) = Describe(new OperationCanceledException("timed out"));
        Assert.Equal(ExitCodes.InternalError, code);
        Assert.StartsWith("internal error: System.OperationCanceledException: timed out", text, StringComparison.Ordinal);

        (code, text) = Describe(new InvalidOperationException("boom"));
        Assert.Equal(ExitCodes.InternalError, code);
        Assert.StartsWith("internal error: System.InvalidOperationException: boom", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_returns_the_body_code_or_prints_the_mapped_error_on_the_invocation_error_writer()
    {
        var path = Path.Combine(_dir, "study.json");
        var root = new RootCommand();
        var ok = new Command("ok");
        ok.SetAction(CliContext.Run((_, _) => Task.FromResult(ExitCodes.Interrupted)));
        var fail = new Command("fail");
        fail.SetAction(CliContext.Run(async (_, ct) => (await File.ReadAllTextAsync(path, ct)).Length));
        var cancel = new Command("cancel");
        cancel.SetAction(CliContext.Run((_, _) => throw new OperationCanceledException()));
        root.Subcommands.Add(ok);
        root.Subcommands.Add(fail);
        root.Subcommands.Add(cancel);

        var error = new StringWriter();
        Assert.Equal(ExitCodes.Interrupted, await root.Parse(["ok"]).InvokeAsync(new InvocationConfiguration { Error = error }));
        Assert.Equal(string.Empty, error.ToString());

        Assert.Equal(ExitCodes.BadInput, await root.Parse(["fail"]).InvokeAsync(new InvocationConfiguration { Error = error }));
        Assert.Contains(path, error.ToString(), StringComparison.Ordinal);

        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        Assert.Equal(ExitCodes.Interrupted, await CliContext.RunAsync(root.Parse(["cancel"]), (_, _) => throw new OperationCanceledException(cts.Token), cts.Token));
    }

    [Fact]
    public void A_command_reports_a_missing_input_file_by_name_with_exit_1()
    {
        var (code, _, error) = CliRunner.Run(_dir, "analyze", "agreement", "--ratings", "absent.csv", "--item", "i", "--rater", "r", "--value", "v");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"error: cannot read {Path.Combine(_dir, "absent.csv")}", error, StringComparison.Ordinal);
    }
}
