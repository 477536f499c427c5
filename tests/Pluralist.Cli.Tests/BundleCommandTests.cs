using System.Text.Json;

namespace Pluralist.Cli.Tests;

public class BundleCommandTests
{
    private static string Survey => Path.Combine(Path.GetDirectoryName(FoundationCommandTests.FindDocs())!, "examples", "aipithet-survey");

    [Fact]
    public void Import_export_and_import_again_keeps_every_row()
    {
        var dir = CliRunner.TempDir();
        var (code, output, err) = CliRunner.Run(dir, "study", "import", Survey, "--format", "aipithet", "--data", "a");
        Assert.True(code == 0, err);
        Assert.Contains("imported study aipithet-sv-livs: 3 prompts, 6 images (1 files), 3 pairs, 3 participants, 6 assignments, 5 annotations (14 criterion answers)", output, StringComparison.Ordinal);

        (code, _, err) = CliRunner.Run(dir, "study", "export", "aipithet-sv-livs", "--data", "a", "--out", "bundle.zip", "--zip");
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(dir, "study", "import", "bundle.zip", "--data", "b");
        Assert.True(code == 0, err);
        Assert.Equal(List(dir, "a"), List(dir, "b"));

        // A second import of the same study needs another key (and its pseudonyms are taken).
        (code, _, err) = CliRunner.Run(dir, "study", "import", "bundle.zip", "--data", "b", "--key", "again");
        Assert.Equal(1, code);
        Assert.Contains("error: participants.csv (participant): participant aip-u-101 already exists in this database", err, StringComparison.Ordinal);

        // Export refuses to overwrite.
        (code, _, err) = CliRunner.Run(dir, "study", "export", "aipithet-sv-livs", "--data", "a", "--out", "bundle.zip", "--zip");
        Assert.Equal(1, code);
        Assert.Contains("already exists", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_file_exits_1_with_locations_and_changes_nothing()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "study", "import", Survey, "--format", "aipithet", "--data", "d").Code);
        Assert.Equal(0, CliRunner.Run(dir, "study", "export", "aipithet-sv-livs", "--data", "d", "--out", "b").Code);
        var before = List(dir, "d");

        File.WriteAllText(Path.Combine(dir, "b", "prompts.csv"), "prompt,text,language,source,created_at\n1,A park,en,human,2025-01-01\n1,A plaza,en,robot,yesterday\n");
        var (code, _, err) = CliRunner.Run(dir, "study", "import", "b", "--data", "d", "--key", "copy");
        Assert.Equal(1, code);
        Assert.Contains("error: prompts.csv:3:1 (prompt): prompt id 1 is used twice", err, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir, "b", "prompts.csv"), "prompt,text,language,source,created_at\n1,A park,en,human,2025-01-01\n2,A plaza,en,robot,yesterday\n");
        (code, _, err) = CliRunner.Run(dir, "study", "import", "b", "--data", "d", "--key", "copy");
        Assert.Equal(1, code);
        Assert.Contains("error: prompts.csv:3:4 (source): 'robot' is not one of human, scenario, llm-1, llm-2, llm-3, template", err, StringComparison.Ordinal);
        Assert.Contains("error: prompts.csv:3:5 (created_at): 'yesterday' is not a date and time (ISO 8601)", err, StringComparison.Ordinal);
        Assert.Equal(before, List(dir, "d"));

        (code, _, err) = CliRunner.Run(dir, "study", "import", "b", "--data", "d", "--format", "parquet");
        Assert.Equal(1, code);
        Assert.Contains("--format 'parquet' is not bundle or aipithet", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "study", "export", "nope", "--data", "d", "--out", "x");
        Assert.Equal(1, code);
        Assert.Contains("no study with key or id 'nope'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_refuses_links_files_that_are_not_images_and_zip_bombs_and_changes_nothing()
    {
        var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(dir, "study", "import", Survey, "--format", "aipithet", "--data", "d").Code);
        Assert.Equal(0, CliRunner.Run(dir, "study", "export", "aipithet-sv-livs", "--data", "d", "--out", "b").Code);
        var before = List(dir, "d");
        var stored = Directory.GetFiles(Path.Combine(dir, "d", "images"), "*", SearchOption.AllDirectories).Length;
        var images = Path.Combine(dir, "b", "images");
        var original = File.ReadAllBytes(Path.Combine(images, "1.png"));

        // The probe's finding: a link to /etc/passwd and a text file were imported and then served as images.
        File.Delete(Path.Combine(images, "1.png"));
        File.CreateSymbolicLink(Path.Combine(images, "1.png"), "/etc/passwd");
        var (code, _, err) = CliRunner.Run(dir, "study", "import", "b", "--data", "d", "--key", "copy");
        Assert.Equal(1, code);
        Assert.Contains("error: images.csv:2:10 (file): images/1.png is a symbolic link; an import reads only regular files inside the bundle", err, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", err, StringComparison.Ordinal);

        File.Delete(Path.Combine(images, "1.png"));
        File.WriteAllText(Path.Combine(images, "1.png"), "PATH=/usr/bin\nSECRET=hunter2\n");
        (code, _, err) = CliRunner.Run(dir, "study", "import", "b", "--data", "d", "--key", "copy");
        Assert.Equal(1, code);
        Assert.Contains("error: images.csv:2:10 (file): images/1.png is not a PNG, JPEG or WebP image", err, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", err, StringComparison.Ordinal);

        // A zip whose image inflates a thousandfold.
        File.WriteAllBytes(Path.Combine(images, "1.png"), original);
        var files = Directory.EnumerateFiles(Path.Combine(dir, "b"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(dir, "b"), f).Replace('\\', '/')).Where(f => f != "images/1.png")
            .Select(f => (f, File.ReadAllBytes(Path.Combine(dir, "b", f)))).ToList();
        File.WriteAllBytes(Path.Combine(dir, "bomb.zip"), Pluralist.Testing.ImportBombs.ZipOfZeros(1, 16 << 20, _ => "images/1.png", files));
        (code, _, err) = CliRunner.Run(dir, "study", "import", "bomb.zip", "--data", "d", "--key", "copy");
        Assert.Equal(1, code);
        Assert.Contains("error: images.csv:2:10 (file): images/1.png inflates to more than 100 times its compressed size", err, StringComparison.Ordinal);

        // Limits come from the same settings as the web app's, as environment variables.
        (code, _, err) = CliRunner.RunWith(new Dictionary<string, string> { ["Pluralist__Imports__MaxArchiveEntries"] = "3" }, dir, "study", "import", "bomb.zip", "--data", "d", "--key", "copy");
        Assert.Equal(1, code);
        Assert.Contains($"error: bomb.zip: the archive holds {files.Count + 1} entries, more than the limit of 3 (Pluralist:Imports:MaxArchiveEntries)", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.RunWith(new Dictionary<string, string> { ["Pluralist__Imports__MaxImagePixels"] = "0" }, dir, "study", "import", "b", "--data", "d", "--key", "copy");
        Assert.Equal(1, code);
        Assert.Contains("error: Pluralist:Imports:MaxImagePixels must be positive, not 0", err, StringComparison.Ordinal);

        Assert.Equal(before, List(dir, "d"));
        Assert.Equal(stored, Directory.GetFiles(Path.Combine(dir, "d", "images"), "*", SearchOption.AllDirectories).Length);
    }

    private static string List(string dir, string data)
    {
        var (code, json, err) = CliRunner.Run(dir, "study", "list", "--data", data, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        // Ids may differ between databases; everything else must not.
        return string.Join("\n", doc.RootElement.EnumerateArray().Select(s =>
            string.Join(",", s.EnumerateObject().Where(p => p.Name != "id").Select(p => $"{p.Name}={p.Value}"))));
    }
}
