using System.Runtime.InteropServices;
using System.Text;

namespace Pluralist.Files;

/// <summary>
/// Replaces files so that a crash leaves either the old file or the whole new one, never a part:
/// the bytes go to a temporary file in the same folder, which is flushed to disk, renamed over the
/// target, and the folder itself is flushed so the rename survives a power cut (POSIX).
/// </summary>
public static partial class DurableFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, durably and atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new IOException($"{path} has no folder");
        Directory.CreateDirectory(folder);
        var temp = TempName(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
            FlushFolder(folder);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, durably and atomically.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new IOException($"{path} has no folder");
        Directory.CreateDirectory(folder);
        var temp = TempName(full);
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
            FlushFolder(folder);
        }
        finally
        {
            File.Delete(temp);
        }
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
