using System.CommandLine;

namespace Pluralist.Cli.Tests;

/// <summary>Unknown options are refused for every command; they never become values (prompt words, file names).</summary>
public sealed class OptionCheckTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = PluralistCommand.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Unknown_option_is_refused_naming_it_and_listing_the_commands_options()
    {
        var (code, output, error) = Run("world", "lexicon", "--bogus");
        Assert.Equal(1, code);
        Assert.Contains("unknown option '--bogus' for 'pluralist world lexicon'; its options are --language, --json, --help", error, StringComparison.Ordinal);
        Assert.Contains("--data, --db, --connection", error, StringComparison.Ordinal); // the global options apply too
        Assert.Contains("world lexicon [options]", output, StringComparison.Ordinal); // with the command's help
    }

    [Fact]
    public void Unknown_option_after_a_multi_word_prompt_is_refused_not_drawn()
    {
        var target = Path.Combine(_dir, "r");
        var (code, _, error) = Run("world", "render", "--prompt", "a", "park", "--sed", "5", "--out", target);
        Assert.Equal(1, code);
        Assert.Contains("unknown option '--sed' for 'pluralist world render'", error, StringComparison.Ordinal);
        Assert.Contains("--seeds (--seed)", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target)); // nothing rendered
    }

    [Fact]
    public void World_render_after_a_multi_word_prompt_takes_seed_5()
    {
        var (code, output, error) = CliRunner.Run(_dir, "world", "render", "--prompt", "a", "park", "--seed", "5", "--size", "32", "--out", "r");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("unknown words", error, StringComparison.Ordinal);
        Assert.StartsWith("scene-s5.png\t", output, StringComparison.Ordinal);
        Assert.Equal(["metadata.jsonl", "scene-s5.json", "scene-s5.png"], Directory.GetFiles(Path.Combine(_dir, "r")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_command_in_the_tree_refuses_an_unknown_option()
    {
        var leaves = new List<string[]>();
        void Walk(Command command, string[] path)
        {
            if (command.Subcommands.Count == 0)
            {
                leaves.Add(path);
            }

            foreach (var sub in command.Subcommands)
            {
                Walk(sub, [.. path, sub.Name]);
            }
        }

        Walk(PluralistCommand.Build(), []);
        Assert.True(leaves.Count > 25, $"only {leaves.Count} commands found");
        foreach (var path in leaves)
        {
            var parse = PluralistCommand.Parse([.. path, "--no-such-option", "x"]);
            Assert.Contains(parse.Errors, e => e.Message.StartsWith($"unknown option '--no-such-option' for 'pluralist {string.Join(' ', path)}'", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_value_starting_with_a_dash_is_written_attached()
    {
        // Separate, it reads as an option and is refused; attached with '=' it is the value.
        var target = Path.Combine(_dir, "r");
        var (code, _, error) = Run("world", "render", "--prompt", "park", "--name", "--odd", "--out", target);
        Assert.Equal(1, code);
        Assert.Contains("unknown option '--odd'", error, StringComparison.Ordinal);
        Assert.Contains("--option=VALUE", error, StringComparison.Ordinal);

        var (code2, _, error2) = CliRunner.Run(_dir, "world", "render", "--prompt", "park", "--name=--odd", "--size", "32", "--out", "r");
        Assert.True(code2 == 0, error2);
        Assert.True(File.Exists(Path.Combine(_dir, "r", "--odd-s1.png")));
    }

    [Fact]
    public void Negative_numbers_are_values_and_after_double_dash_everything_is_an_argument()
    {
        // -1 reaches the command, which refuses it with its own message.
        var (code, _, error) = Run("analyze", "agreement", "--ratings", Path.Combine(_dir, "r.csv"), "--item", "i", "--rater", "r", "--value", "v", "--permutations", "-1");
        Assert.Equal(1, code);
        Assert.Contains("--permutations must be 0 or more", error, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown option", error, StringComparison.Ordinal);

        // After --, a token starting with '-' is a positional argument (here a file that does not exist).
        var (code2, _, error2) = CliRunner.Run(_dir, "prompts", "import", "--out", "p", "--", "-prompts.txt");
        Assert.Equal(1, code2);
        Assert.Contains("FILE: file not found: -prompts.txt", error2, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown option", error2, StringComparison.Ordinal);
    }

    [Fact]
    public void At_sign_is_an_ordinary_character_not_a_response_file()
    {
        var parse = PluralistCommand.Parse(["world", "render", "--prompt", "meet", "@the", "park", "--out", "r"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(["meet", "@the", "park"], parse.GetValue<string[]>("--prompt")!);
    }

    [Fact]
    public void Usage_errors_keep_exit_code_1()
    {
        var unknown = Run("analyze", "xrr", "--a", "a.csv", "--b", "b.csv", "--item", "i", "--rater", "r", "--value", "v", "--levle", "nominal").Code;
        var missing = Run("analyze", "xrr", "--a", "a.csv").Code;
        Assert.Equal(ExitCodes.BadInput, unknown);
        Assert.Equal(ExitCodes.BadInput, missing);
    }

    [Theory]
    [InlineData("--seed", true)]
    [InlineData("-x", true)]
    [InlineData("-", false)]
    [InlineData("-1", false)]
    [InlineData("-0.5", false)]
    [InlineData("-1e-5", false)]
    [InlineData("park", false)]
    [InlineData("well-lit", false)]
    public void Looks_like_option(string token, bool expected) => Assert.Equal(expected, OptionCheck.LooksLikeOption(token));
}
