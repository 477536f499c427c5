using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pluralist.Cli.Tests;

public partial class FoundationCommandTests
{
    [Fact]
    public void InitCreatesDatabaseAndDefaultStudyAndListShowsIt()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "init", "--data", "d");
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(dir, "d", "pluralist.db")));

        var (code2, json, err2) = CliRunner.Run(dir, "study", "list", "--data", "d", "--json");
        Assert.True(code2 == 0, err2);
        using var doc = JsonDocument.Parse(json);
        var study = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal(6, study.GetProperty("criteria").GetInt32());
        Assert.Equal(0, study.GetProperty("annotations").GetInt32());

        // init is idempotent: still one study.
        Assert.Equal(0, CliRunner.Run(dir, "init", "--data", "d").Code);
        using var again = JsonDocument.Parse(CliRunner.Run(dir, "study", "list", "--data", "d", "--json").Out);
        Assert.Single(again.RootElement.EnumerateArray());
    }

    [Fact]
    public void UnknownProviderIsBadInput()
    {
        var dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run(dir, "study", "list", "--data", "d", "--db", "oracle");
        Assert.Equal(1, code);
        Assert.Contains("oracle", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DocsExamplesRunInOrder()
    {
        var docs = FindDocs();
        var commands = ShellBlock().Matches(File.ReadAllText(docs))
            .SelectMany(m => m.Groups[1].Value.Split('\n'))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("pluralist ", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(commands);

        // The data verbs' examples need a study with answers: "demo" in demo-data, seeded through Pluralist.Data.
        var (dir, _, _) = await StudyCommandTests.SeedAsync();
        // Examples may name the sample files shipped in docs/examples.
        var examples = Path.Combine(Path.GetDirectoryName(docs)!, "examples");
        foreach (var file in Directory.EnumerateFiles(examples, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, "examples", Path.GetRelativePath(examples, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        // ... and the tiny ONNX CLIP fixture as tiny-clip (copied beside the tests by the build).
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "tiny-clip"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, "tiny-clip", Path.GetRelativePath(Path.Combine(AppContext.BaseDirectory, "tiny-clip"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        foreach (var line in commands)
        {
            var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1);
            var (code, _, err) = CliRunner.Run(dir, args);
            Assert.True(code == 0, $"'{line}' exited {code}: {err}");
        }
    }

    internal static string FindDocs()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "docs", "cli.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("docs/cli.md not found above the test output folder");
    }

    [GeneratedRegex("```sh\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
