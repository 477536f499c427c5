namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist viewer serve</c> refuses a bad bundle or option before serving anything, naming file, line and field.</summary>
public class ViewerCommandTests
{
    private static string Survey => Path.Combine(Path.GetDirectoryName(FoundationCommandTests.FindDocs())!, "examples", "aipithet-survey");

    [Fact]
    public void A_bad_bundle_exits_1_with_its_file_and_line()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "study", "import", Survey, "--format", "aipithet", "--data", "d").Code);
        Assert.Equal(0, CliRunner.Run(dir, "study", "export", "aipithet-sv-livs", "--data", "d", "--out", "b").Code);
        File.WriteAllText(Path.Combine(dir, "b", "prompts.csv"), "prompt,text,language,source,created_at\n1,A park,en,human,2025-01-01\n2,A plaza,en,robot,2025-01-01\n");

        var (code, output, err) = CliRunner.Run(dir, "viewer", "serve", "b", "--clean", "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, code);
        Assert.Contains("error: prompts.csv:3:4 (source): 'robot' is not one of human, scenario, llm-1, llm-2, llm-3, template", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Public viewer", output, StringComparison.Ordinal);

        (code, _, err) = CliRunner.Run(dir, "viewer", "serve", "b", "--rules", "no-such-rules.json");
        Assert.Equal(1, code);
        Assert.Contains("no-such-rules.json", err, StringComparison.Ordinal);

        (code, _, err) = CliRunner.Run(dir, "viewer", "serve", "b", "--requests-per-minute", "-1");
        Assert.Equal(1, code);
        Assert.Contains("--requests-per-minute must be 0 or more; got -1", err, StringComparison.Ordinal);
    }
}
