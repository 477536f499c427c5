using System.Security.Cryptography;
using Pluralist.Files;

namespace Pluralist.Data;

/// <summary>
/// The data directory's image files, named by content: <c>images/ab/abcdef….png</c>. The same
/// bytes are stored once. Files are written durably (<see cref="DurableFile.Stage"/>: a temporary name, flushed,
/// moved into place, the folder flushed), so a crash never leaves half an image under a final name. Callers
/// store only files that passed <see cref="Imaging.ImageFiles.Inspect"/>.
/// </summary>
public static class ImageStore
{
    /// <summary>Stores <paramref name="bytes"/>; returns the path relative to the image folder and the SHA-256 (hex).</summary>
    /// <param name="data">The data directory.</param>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="extension">The file name extension with its dot (<c>.png</c>); anything odd becomes <c>.png</c>.</param>
    /// <param name="created">Receives the full path when this call created the file (so a failed import can remove it).</param>
    public static (string RelativePath, string Hash) Put(DataDirectory data, ReadOnlySpan<byte> bytes, string extension, List<string>? created = null)
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        return Put(data, stream, extension, created);
    }

    /// <summary>Stores what <paramref name="content"/> holds, streamed (hashed while it is written); returns the relative path and the SHA-256 (hex).</summary>
    public static (string RelativePath, string Hash) Put(DataDirectory data, Stream content, string extension, List<string>? created = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(content);
        using var staged = DurableFile.Stage(data.ImagesPath);
        string hash;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[81920];
            int n;
            while ((n = content.Read(buffer)) > 0)
            {
                sha.AppendData(buffer.AsSpan(0, n));
                staged.Stream.Write(buffer.AsSpan(0, n));
            }

            hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        }

        var ext = extension.ToLowerInvariant();
        var relative = $"{hash[..2]}/{hash}{(ext.Length is > 1 and <= 6 && ext[0] == '.' ? ext : ".png")}";
        var target = Path.Combine(data.ImagesPath, relative);
        if (!File.Exists(target))
        {
            staged.Commit(target);
            created?.Add(target);
        }

        return (relative, hash);
    }

    /// <summary>Removes files a failed operation created.</summary>
    public static void Remove(IEnumerable<string> created)
    {
        ArgumentNullException.ThrowIfNull(created);
        foreach (var file in created)
        {
            File.Delete(file);
        }
    }
}
