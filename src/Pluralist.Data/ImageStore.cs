using System.Security.Cryptography;

namespace Pluralist.Data;

/// <summary>
/// The data directory's image files, named by content: <c>images/ab/abcdef….png</c>. The same
/// bytes are stored once. Files are written to a temporary name, flushed and moved into place, so
/// a crash never leaves half an image under a final name.
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
        ArgumentNullException.ThrowIfNull(data);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var ext = extension.ToLowerInvariant();
        var relative = $"{hash[..2]}/{hash}{(ext.Length is > 1 and <= 6 && ext[0] == '.' ? ext : ".png")}";
        var target = Path.Combine(data.ImagesPath, relative);
        if (!File.Exists(target))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var temp = $"{target}.{Guid.NewGuid():N}.part";
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, target, overwrite: true);
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
