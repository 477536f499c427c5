namespace Pluralist.Files;

/// <summary>
/// A file being written under a temporary name that appears under its final name only when committed, complete and
/// on disk (<see cref="DurableFile.Stage"/>). Disposing it without a commit removes the temporary file.
/// </summary>
public sealed class StagedFile : IDisposable
{
    private readonly FileStream _stream;
    private bool _sealed;

    internal StagedFile(string tempPath, bool useAsync)
    {
        TempPath = tempPath;
        _stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync);
    }

    /// <summary>The temporary file's full path.</summary>
    public string TempPath { get; }

    /// <summary>Where the content goes; leave it open (the commit flushes and closes it).</summary>
    public Stream Stream => _stream;

    /// <summary>
    /// Flushes the file to disk, renames it to <paramref name="path"/> and flushes that folder (created if missing).
    /// With <paramref name="overwrite"/> false an existing <paramref name="path"/> is an <see cref="IOException"/> and stays as it was.
    /// </summary>
    public void Commit(string path, bool overwrite = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var folder = DurableFile.FolderOf(full);
        Seal();
        DurableFile.CreateFolder(folder);
        MoveTo(full, overwrite);
        DurableFile.FlushFolder(folder);
    }

    /// <summary>Flushes the content to disk and closes the stream.</summary>
    internal void Seal()
    {
        if (_sealed)
        {
            return;
        }

        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        _sealed = true;
    }

    internal void MoveTo(string full, bool overwrite)
    {
        if (!_sealed)
        {
            throw new InvalidOperationException($"{TempPath} is still open");
        }

        File.Move(TempPath, full, overwrite);
    }

    /// <summary>Closes the stream and removes the temporary file if it was not committed.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        File.Delete(TempPath);
    }
}
