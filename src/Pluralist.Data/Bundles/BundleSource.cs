using System.IO.Compression;

namespace Pluralist.Data.Bundles;

/// <summary>Read access to the files of a bundle, whether a folder or a .zip archive. Paths use '/'.</summary>
public interface IBundleSource : IDisposable
{
    /// <summary>The folder or archive as the user named it.</summary>
    string DisplayName { get; }

    bool Exists(string path);

    /// <summary>Opens a file for reading; throws <see cref="FileNotFoundException"/> when absent.</summary>
    Stream Open(string path);
}

/// <summary>Opens bundle sources.</summary>
public static class BundleSource
{
    /// <summary>A folder, or a .zip file (recognised by its signature). A zip whose files all sit in one top folder is read from inside that folder.</summary>
    public static IBundleSource Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
        {
            return new FolderSource(path);
        }

        if (!File.Exists(path))
        {
            throw new BundleException([new Core.Text.CsvError(path, 0, 0, string.Empty, "no such file or folder")]);
        }

        try
        {
            return new ZipSource(path);
        }
        catch (InvalidDataException)
        {
            throw new BundleException([new Core.Text.CsvError(path, 0, 0, string.Empty, "not a folder or a .zip archive")]);
        }
    }

    /// <summary>Reads a whole file.</summary>
    public static byte[] ReadAll(this IBundleSource source, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var stream = source.Open(path);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private sealed class FolderSource(string root) : IBundleSource
    {
        private readonly string _root = Path.GetFullPath(root);

        public string DisplayName => root;

        public bool Exists(string path) => Resolve(path) is { } full && File.Exists(full);

        public Stream Open(string path) =>
            Resolve(path) is { } full ? File.OpenRead(full) : throw new FileNotFoundException($"{path} is outside the bundle.", path);

        public void Dispose()
        {
        }

        // A path in a CSV must not reach outside the bundle folder.
        private string? Resolve(string path)
        {
            var full = Path.GetFullPath(Path.Combine(_root, path));
            return full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
        }
    }

    private sealed class ZipSource : IBundleSource
    {
        private readonly ZipArchive _zip;
        private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);

        public ZipSource(string path)
        {
            DisplayName = path;
            _zip = ZipFile.OpenRead(path);
            var files = _zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToList();
            // Archives made by zipping a folder hold everything under that folder's name.
            var prefix = string.Empty;
            if (files.Count > 0 && files.All(e => e.FullName.Contains('/', StringComparison.Ordinal)))
            {
                var first = files[0].FullName[..(files[0].FullName.IndexOf('/', StringComparison.Ordinal) + 1)];
                if (files.All(e => e.FullName.StartsWith(first, StringComparison.Ordinal)))
                {
                    prefix = first;
                }
            }

            foreach (var e in files)
            {
                _entries[e.FullName[prefix.Length..]] = e;
            }
        }

        public string DisplayName { get; }

        public bool Exists(string path) => _entries.ContainsKey(path);

        public Stream Open(string path) =>
            _entries.TryGetValue(path, out var e) ? e.Open() : throw new FileNotFoundException($"{path} is not in the archive.", path);

        public void Dispose() => _zip.Dispose();
    }
}

/// <summary>A bundle (or another import) that failed validation: every problem, located.</summary>
public sealed class BundleException(IReadOnlyList<Core.Text.CsvError> errors)
    : Exception(errors.Count > 0 ? errors[0].ToString() : "invalid bundle")
{
    public IReadOnlyList<Core.Text.CsvError> Errors { get; } = errors;
}
