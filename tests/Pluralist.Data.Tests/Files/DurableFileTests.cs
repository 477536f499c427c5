using Pluralist.Files;

namespace Pluralist.Data.Tests.Files;

/// <summary>
/// The one write-then-rename (issue 17): a file appears whole or not at all, a writer that throws leaves the old
/// file as it was, and no temporary file outlives the call.
/// </summary>
public sealed class DurableFileTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pluralist-durable-" + Guid.NewGuid().ToString("N"));

    public DurableFileTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Write_replaces_the_file_and_leaves_nothing_else()
    {
        var path = Path.Combine(_root, "a.txt");
        File.WriteAllText(path, "old");

        DurableFile.Write(path, s => s.Write("new"u8));

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Entries(_root));
    }

    [Fact]
    public void A_writer_that_throws_leaves_the_old_file_and_no_temporary_file()
    {
        var path = Path.Combine(_root, "a.txt");
        File.WriteAllText(path, "old");

        var error = Assert.Throws<InvalidOperationException>(() => DurableFile.Write(path, s =>
        {
            s.Write("half of the new"u8);
            throw new InvalidOperationException("disk on fire");
        }));

        Assert.Equal("disk on fire", error.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Entries(_root));
    }

    [Fact]
    public async Task WriteAsync_replaces_the_file_and_a_throwing_writer_leaves_the_old_one()
    {
        var path = Path.Combine(_root, "a.bin");
        await DurableFile.WriteAsync(path, (s, ct) => s.WriteAsync(new byte[] { 1, 2, 3 }, ct).AsTask());
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(path));

        await Assert.ThrowsAsync<IOException>(() => DurableFile.WriteAsync(path, async (s, ct) =>
        {
            await s.WriteAsync(new byte[] { 9, 9 }, ct);
            throw new IOException("gone");
        }));

        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(path));
        Assert.Equal([path], Entries(_root));
    }

    [Fact]
    public void Missing_folders_are_created()
    {
        var path = Path.Combine(_root, "x", "y", "z", "a.txt");

        DurableFile.WriteAllText(path, "é");

        Assert.Equal("é"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal([path], Entries(_root));
    }

    [Fact]
    public void WriteVia_gives_a_temporary_path_in_the_same_folder_and_renames_what_the_writer_left_there()
    {
        var path = Path.Combine(_root, "sub", "model.safetensors");
        string? given = null;

        DurableFile.WriteVia(path, temp =>
        {
            given = temp;
            File.WriteAllText(temp, "weights");
        });

        Assert.NotNull(given);
        Assert.Equal(Path.GetDirectoryName(path), Path.GetDirectoryName(given));
        Assert.NotEqual(path, given);
        Assert.Equal("weights", File.ReadAllText(path));
        Assert.Equal([path], Entries(_root));
    }

    [Fact]
    public void WriteVia_with_a_writer_that_throws_halfway_keeps_the_old_file_and_removes_its_part()
    {
        var path = Path.Combine(_root, "model.safetensors");
        File.WriteAllText(path, "old weights");

        Assert.Throws<InvalidDataException>(() => DurableFile.WriteVia(path, temp =>
        {
            File.WriteAllText(temp, "half");
            throw new InvalidDataException("NaN in a tensor");
        }));

        Assert.Equal("old weights", File.ReadAllText(path));
        Assert.Equal([path], Entries(_root));
    }

    [Fact]
    public void WriteVia_with_a_writer_that_writes_nothing_is_an_error_naming_the_file()
    {
        var path = Path.Combine(_root, "model.safetensors");
        File.WriteAllText(path, "old weights");

        var error = Assert.Throws<IOException>(() => DurableFile.WriteVia(path, _ => { }));

        Assert.StartsWith(path + ": the writer did not create its temporary file", error.Message, StringComparison.Ordinal);
        Assert.Equal("old weights", File.ReadAllText(path));
    }

    [Fact]
    public void WriteAll_replaces_every_file_or_none()
    {
        File.WriteAllText(Path.Combine(_root, "vocab.json"), "old vocab");
        File.WriteAllText(Path.Combine(_root, "merges.txt"), "old merges");

        Assert.Throws<InvalidOperationException>(() => DurableFile.WriteAll(_root,
        [
            ("vocab.json", s => s.Write("new vocab"u8)),
            ("merges.txt", _ => throw new InvalidOperationException("stop")),
        ]));

        Assert.Equal("old vocab", File.ReadAllText(Path.Combine(_root, "vocab.json")));
        Assert.Equal("old merges", File.ReadAllText(Path.Combine(_root, "merges.txt")));
        Assert.Equal(2, Entries(_root).Count);

        DurableFile.WriteAll(_root,
        [
            ("vocab.json", s => s.Write("new vocab"u8)),
            ("merges.txt", s => s.Write("new merges"u8)),
            ("more/extra.txt", s => s.Write("extra"u8)),
        ]);

        Assert.Equal("new vocab", File.ReadAllText(Path.Combine(_root, "vocab.json")));
        Assert.Equal("new merges", File.ReadAllText(Path.Combine(_root, "merges.txt")));
        Assert.Equal("extra", File.ReadAllText(Path.Combine(_root, "more", "extra.txt")));
        Assert.Equal(3, Entries(_root).Count);
    }

    [Fact]
    public void WriteAll_refuses_a_name_given_twice_before_writing()
    {
        var error = Assert.Throws<ArgumentException>(() => DurableFile.WriteAll(_root,
        [
            ("a.txt", s => s.Write("1"u8)),
            ("./a.txt", s => s.Write("2"u8)),
        ]));

        Assert.Contains(Path.Combine(_root, "a.txt") + " is named more than once", error.Message, StringComparison.Ordinal);
        Assert.Empty(Entries(_root));
    }

    [Fact]
    public void A_staged_file_takes_its_name_at_commit_and_vanishes_without_one()
    {
        var target = Path.Combine(_root, "ab", "abcdef.png");
        using (var staged = DurableFile.Stage(_root))
        {
            Assert.Equal(_root, Path.GetDirectoryName(staged.TempPath));
            staged.Stream.Write("png bytes"u8);
            staged.Commit(target);
        }

        Assert.Equal("png bytes", File.ReadAllText(target));

        using (var staged = DurableFile.Stage(_root))
        {
            staged.Stream.Write("discarded"u8);
        }

        Assert.Equal([target], Entries(_root));
    }

    [Fact]
    public void A_commit_without_overwrite_keeps_an_existing_file()
    {
        var target = Path.Combine(_root, "bundle.zip");
        File.WriteAllText(target, "someone else's");

        using (var staged = DurableFile.Stage(_root))
        {
            staged.Stream.Write("mine"u8);
            Assert.Throws<IOException>(() => staged.Commit(target, overwrite: false));
        }

        Assert.Equal("someone else's", File.ReadAllText(target));
        Assert.Equal([target], Entries(_root));
    }

    [Fact]
    public void PublishFolder_moves_a_whole_tree_into_place_and_refuses_an_existing_target()
    {
        var staging = Path.Combine(_root, ".out.partial");
        Directory.CreateDirectory(Path.Combine(staging, "data"));
        File.WriteAllText(Path.Combine(staging, "README.md"), "card");
        File.WriteAllText(Path.Combine(staging, "data", "train-00000-of-00001.parquet"), "rows");
        var target = Path.Combine(_root, "out");

        DurableFile.PublishFolder(staging, target);

        Assert.False(Directory.Exists(staging));
        Assert.Equal("card", File.ReadAllText(Path.Combine(target, "README.md")));
        Assert.Equal("rows", File.ReadAllText(Path.Combine(target, "data", "train-00000-of-00001.parquet")));

        Directory.CreateDirectory(staging);
        Assert.Throws<IOException>(() => DurableFile.PublishFolder(staging, target));
        Assert.Equal(2, Entries(target).Count);
    }

    [Fact]
    public void CreateFolder_creates_every_missing_level_and_accepts_an_existing_folder()
    {
        var folder = Path.Combine(_root, "a", "b", "c");

        DurableFile.CreateFolder(folder);
        DurableFile.CreateFolder(folder);

        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void FlushFolder_names_a_folder_it_cannot_open()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var missing = Path.Combine(_root, "missing");
        var error = Assert.Throws<IOException>(() => DurableFile.FlushFolder(missing));
        Assert.StartsWith(missing + ": cannot open the folder", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Every file under <paramref name="folder"/>, hidden ones included, sorted.</summary>
    private static List<string> Entries(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
}
