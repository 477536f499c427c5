using System.Runtime.InteropServices;
using System.Text;

namespace Pluralist.Files;

/// <summary>
/// Replaces files so that a crash leaves either the old file or the whole new one, never a part:
/// the bytes go to a temporary file in the same folder, which is flushed to disk, renamed over the
/// target, and the folder itself is flushed so the rename survives a power cut (POSIX). Folders that
/// have to be created on the way are created durably too (<see cref="CreateFolder"/>).
/// Every write-then-rename in Pluralist goes through here.
/// </summary>
public static partial class DurableFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, durably and atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        CreateFolder(FolderOf(full));
        using var staged = new StagedFile(TempName(full), useAsync: false);
        write(staged.Stream);
        staged.Commit(full);
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, durably and atomically.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        CreateFolder(FolderOf(full));
        using var staged = new StagedFile(TempName(full), useAsync: true);
        await write(staged.Stream, ct).ConfigureAwait(false);
        await staged.Stream.FlushAsync(ct).ConfigureAwait(false);
        staged.Commit(full);
    }

    /// <summary>Writes the bytes to <paramref name="path"/>, durably and atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes the text as UTF-8 without a byte-order mark, durably and atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
    }

    /// <summary>
    /// Writes <paramref name="path"/> durably and atomically through a writer that takes a file name rather than a
    /// stream (a model's <c>Save(path)</c>): <paramref name="writeTemp"/> gets a temporary path in the same folder,
    /// must create the whole file there and close it; the file is then flushed, renamed and its folder flushed.
    /// The temporary file is removed whether the writer succeeds or throws.
    /// </summary>
    public static void WriteVia(string path, Action<string> writeTemp)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(writeTemp);
        var full = Path.GetFullPath(path);
        var folder = FolderOf(full);
        CreateFolder(folder);
        var temp = TempName(full);
        try
        {
            writeTemp(temp);
            if (!File.Exists(temp))
            {
                throw new IOException($"{path}: the writer did not create its temporary file {temp}");
            }

            FlushFile(temp);
            File.Move(temp, full, overwrite: true);
            FlushFolder(folder);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Replaces several files of <paramref name="folder"/> together: every file is written and flushed to a temporary
    /// file first, and they are renamed into place only when all are complete, so a writer that throws leaves every
    /// old file untouched. Each rename is durable; a crash between two renames can still leave a mix of old and new.
    /// </summary>
    /// <param name="folder">The folder the names are relative to; created if missing.</param>
    /// <param name="files">File names (relative to <paramref name="folder"/>, distinct) and what writes each.</param>
    public static void WriteAll(string folder, IReadOnlyList<(string Name, Action<Stream> Write)> files)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(files);
        var root = Path.GetFullPath(folder);
        var targets = files.Select(f => Path.GetFullPath(Path.Combine(root, f.Name))).ToList();
        var repeated = targets.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new ArgumentException($"{repeated.Key} is named more than once", nameof(files));
        }

        var staged = new List<StagedFile>(files.Count);
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                CreateFolder(FolderOf(targets[i]));
                var file = new StagedFile(TempName(targets[i]), useAsync: false);
                staged.Add(file);
                files[i].Write(file.Stream);
                file.Seal();
            }

            for (var i = 0; i < staged.Count; i++)
            {
                staged[i].MoveTo(targets[i], overwrite: true);
            }

            foreach (var f in targets.Select(FolderOf).Distinct(StringComparer.Ordinal))
            {
                FlushFolder(f);
            }
        }
        finally
        {
            foreach (var file in staged)
            {
                file.Dispose();
            }
        }
    }

    /// <summary>
    /// Starts a file in <paramref name="folder"/> under a temporary name, for writers that learn the final name only
    /// once the bytes are written (content-addressed stores): write to <see cref="StagedFile.Stream"/>, then
    /// <see cref="StagedFile.Commit"/>; disposing without a commit removes the temporary file.
    /// </summary>
    public static StagedFile Stage(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Path.GetFullPath(folder);
        CreateFolder(full);
        return new StagedFile(Path.Combine(full, $".{Guid.NewGuid():N}.tmp"), useAsync: false);
    }

    /// <summary>
    /// Moves a complete folder into place as a whole: every file and folder under <paramref name="staging"/> is
    /// flushed to disk, the folder is renamed to <paramref name="target"/> (which must not exist; same file system),
    /// and the parent folder is flushed, so after a crash <paramref name="target"/> is either absent or complete.
    /// </summary>
    public static void PublishFolder(string staging, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(staging);
        ArgumentException.ThrowIfNullOrEmpty(target);
        var from = Path.GetFullPath(staging);
        var to = Path.GetFullPath(target);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            FlushFile(file);
        }

        foreach (var sub in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            FlushFolder(sub);
        }

        FlushFolder(from);
        var parent = FolderOf(to);
        CreateFolder(parent);
        Directory.Move(from, to);
        FlushFolder(parent);
        var fromParent = FolderOf(from);
        if (!string.Equals(fromParent, parent, StringComparison.Ordinal))
        {
            FlushFolder(fromParent);
        }
    }

    /// <summary>
    /// Creates <paramref name="folder"/> and any missing folder above it, flushing the parent of each one created so
    /// that the new folders survive a crash. Does nothing when the folder exists.
    /// </summary>
    public static void CreateFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Path.GetFullPath(folder);
        if (Directory.Exists(full))
        {
            return;
        }

        var missing = new List<string>();
        for (var f = full; f is not null && !Directory.Exists(f); f = Path.GetDirectoryName(f))
        {
            missing.Add(f);
        }

        Directory.CreateDirectory(full);
        for (var i = missing.Count - 1; i >= 0; i--)
        {
            if (Path.GetDirectoryName(missing[i]) is { } parent)
            {
                FlushFolder(parent);
            }
        }
    }

    /// <summary>Flushes a complete file's contents to disk (fsync), e.g. one a path-taking writer has closed.</summary>
    public static void FlushFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Write access without truncation: FileStream only reaches fsync for a writable handle.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Flushes a folder's entries to disk, so that files created, renamed or deleted in it stay so
    /// after a crash. Does nothing on Windows, where NTFS journals names itself.
    /// </summary>
    public static void FlushFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // .NET cannot open a folder as a file; open(2) read-only can, and fsync(2) on it commits its entries.
        var fd = Open(folder, 0);
        if (fd < 0)
        {
            throw new IOException($"{folder}: cannot open the folder to flush it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"{folder}: fsync failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static string TempName(string full) => $"{full}.{Guid.NewGuid():N}.tmp";

    internal static string FolderOf(string full) => Path.GetDirectoryName(full) ?? throw new IOException($"{full} has no folder");

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
