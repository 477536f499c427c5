using Pluralist.Core.Text;
using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>Opens bundle sources.</summary>
public static class BundleSource
{
    /// <summary>A folder, or a .zip file (recognised by its signature). A zip whose files all sit in one top folder is read from inside that folder.</summary>
    public static IBundleSource Open(string path, ImportLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var budget = new ImportBudget((limits ?? new ImportLimits()).Validated());
        if (Directory.Exists(path))
        {
            return new FolderSource(path, budget);
        }

        if (!File.Exists(path))
        {
            throw new BundleException([new CsvError(path, 0, 0, string.Empty, "no such file or folder")]);
        }

        var stream = File.OpenRead(path);
        var errors = new List<CsvError>();
        var zip = SafeZip.Open(stream, path, budget, errors);
        if (zip is null)
        {
            stream.Dispose();
            throw new BundleException(errors.Count == 1 && errors[0].Message.StartsWith("not a .zip", StringComparison.Ordinal)
                ? [new CsvError(path, 0, 0, string.Empty, "not a folder or a .zip archive")]
                : errors);
        }

        return new ZipSource(path, zip);
    }

    /// <summary>Reads a whole file (within the source's limits).</summary>
    public static byte[] ReadAll(this IBundleSource source, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var stream = source.Open(path);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>A folder: only regular files below it, reached through real folders (no links at any step).</summary>
    private sealed class FolderSource(string root, ImportBudget budget) : IBundleSource
    {
        private readonly string _root = Path.GetFullPath(root);

        public string DisplayName => root;

        public ImportLimits Limits => budget.Limits;

        public bool Exists(string path) => Resolve(path) is not { } full || FileKinds.Of(full) != FileKind.Missing;

        public Stream Open(string path)
        {
            var full = Resolve(path) ?? throw new ImportFileException(path, $"{path} is outside the bundle; a bundle refers only to its own files");
            var at = _root;
            var parts = Path.GetRelativePath(_root, full).Split(Path.DirectorySeparatorChar);
            for (var i = 0; i < parts.Length; i++)
            {
                at = Path.Combine(at, parts[i]);
                var last = i == parts.Length - 1;
                switch (FileKinds.Of(at))
                {
                    case FileKind.Missing:
                        throw new FileNotFoundException($"{path} is not in the bundle.", path);
                    case FileKind.SymbolicLink:
                        throw new ImportFileException(path, last
                            ? $"{path} is a symbolic link; an import reads only regular files inside the bundle"
                            : $"{path} is reached through a symbolic link ({string.Join('/', parts[..(i + 1)])}); an import reads only regular files inside the bundle");
                    case FileKind.Special:
                        throw new ImportFileException(path, $"{path} is not a regular file (a device, pipe or socket); an import reads only regular files");
                    case FileKind.Directory when last:
                        throw new ImportFileException(path, $"{path} is a folder, not a file");
                    case FileKind.Regular when !last:
                        throw new FileNotFoundException($"{path} is not in the bundle.", path);
                }
            }

            var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
            if (stream.Length > budget.Limits.MaxEntryBytes)
            {
                stream.Dispose();
                throw new ImportFileException(path, $"{path} is {ImportLimits.Size(new FileInfo(full).Length)}, more than the limit of {ImportLimits.Size(budget.Limits.MaxEntryBytes)} for one file ({ImportLimits.Section}:{nameof(ImportLimits.MaxEntryBytes)})");
            }

            return budget.Guard(stream, path, compressedLength: -1);
        }

        public void Dispose()
        {
        }

        // A path in a CSV must not reach outside the bundle folder.
        private string? Resolve(string path)
        {
            if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
            {
                return null;
            }

            var full = Path.GetFullPath(Path.Combine(_root, path));
            return full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
        }
    }

    private sealed class ZipSource : IBundleSource
    {
        private readonly SafeZip _zip;
        private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);

        public ZipSource(string path, SafeZip zip)
        {
            DisplayName = path;
            _zip = zip;
            var files = zip.Names.ToList();
            // Archives made by zipping a folder hold everything under that folder's name.
            var prefix = string.Empty;
            if (files.Count > 0 && files.All(e => e.Contains('/', StringComparison.Ordinal)))
            {
                var first = files[0][..(files[0].IndexOf('/', StringComparison.Ordinal) + 1)];
                if (files.All(e => e.StartsWith(first, StringComparison.Ordinal)))
                {
                    prefix = first;
                }
            }

            foreach (var e in files)
            {
                _entries[e[prefix.Length..]] = e;
            }
        }

        public string DisplayName { get; }

        public ImportLimits Limits => _zip.Budget.Limits;

        public bool Exists(string path) => _entries.ContainsKey(path);

        public Stream Open(string path) =>
            _entries.TryGetValue(path, out var e) ? _zip.Open(e) : throw new FileNotFoundException($"{path} is not in the archive.", path);

        public void Dispose() => _zip.Dispose();
    }
}
