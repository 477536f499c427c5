using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using Pluralist.Core.Text;

namespace Pluralist.Data.Imports;

/// <summary>
/// A .zip archive opened for an import. Before .NET parses its directory, the end record's entry
/// count and directory size are checked; then every entry must be a regular file with a name that
/// stays inside the archive (no absolute paths, no '..', no links or devices), and every entry is
/// read through the import's <see cref="ImportBudget"/>, which counts the bytes while inflating
/// rather than trusting the sizes in the headers.
/// </summary>
public sealed class SafeZip : IDisposable
{
    // A directory record is 46 bytes plus name, extra field and comment; real ones stay far below this.
    private const int DirectoryBytesPerEntry = 1024;

    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _files;

    private SafeZip(ZipArchive zip, Dictionary<string, ZipArchiveEntry> files, ImportBudget budget)
    {
        _zip = zip;
        _files = files;
        Budget = budget;
    }

    public ImportBudget Budget { get; }

    /// <summary>The names of the files (not folders) in the archive, in archive order.</summary>
    public IReadOnlyCollection<string> Names => _files.Keys;

    /// <summary>
    /// Opens <paramref name="stream"/> (seekable). Problems are added to <paramref name="errors"/>,
    /// each naming the archive or the entry; the result is null when any was found.
    /// </summary>
    public static SafeZip? Open(Stream stream, string displayName, ImportBudget budget, List<CsvError> errors, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(errors);
        var limits = budget.Limits;
        var before = errors.Count;
        if (ReadEndRecord(stream) is { } end)
        {
            if (end.Entries > limits.MaxArchiveEntries)
            {
                errors.Add(new CsvError(displayName, 0, 0, string.Empty,
                    $"the archive holds {end.Entries.ToString(CultureInfo.InvariantCulture)} entries, more than the limit of {limits.MaxArchiveEntries.ToString(CultureInfo.InvariantCulture)} ({ImportLimits.Section}:{nameof(ImportLimits.MaxArchiveEntries)})"));
                return null;
            }

            if (end.DirectoryBytes > Math.Max(1, end.Entries) * DirectoryBytesPerEntry)
            {
                errors.Add(new CsvError(displayName, 0, 0, string.Empty,
                    $"the archive's directory ({ImportLimits.Size(end.DirectoryBytes)}) is far larger than its {end.Entries.ToString(CultureInfo.InvariantCulture)} entries need: the archive is malformed"));
                return null;
            }
        }

        ZipArchive zip;
        try
        {
            stream.Position = 0;
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen);
        }
        catch (InvalidDataException)
        {
            errors.Add(new CsvError(displayName, 0, 0, string.Empty, "not a .zip archive, or a damaged one"));
            return null;
        }

        var files = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var e in zip.Entries)
        {
            var name = e.FullName;
            if (Problem(e) is { } problem)
            {
                errors.Add(new CsvError(name, 0, 0, string.Empty, problem));
            }
            else if (name.EndsWith('/'))
            {
                continue;
            }
            else if (e.Length > limits.MaxEntryBytes)
            {
                errors.Add(new CsvError(name, 0, 0, string.Empty,
                    $"{name} is {ImportLimits.Size(e.Length)} once inflated, more than the limit of {ImportLimits.Size(limits.MaxEntryBytes)} for one file ({ImportLimits.Section}:{nameof(ImportLimits.MaxEntryBytes)})"));
            }
            else if (!files.TryAdd(name, e))
            {
                errors.Add(new CsvError(name, 0, 0, string.Empty, $"{name} is in the archive twice"));
            }
        }

        if (errors.Count > before)
        {
            zip.Dispose();
            return null;
        }

        return new SafeZip(zip, files, budget);
    }

    public bool Contains(string name) => _files.ContainsKey(name);

    /// <summary>Opens an entry for reading through the budget; throws <see cref="FileNotFoundException"/> when absent.</summary>
    public Stream Open(string name)
    {
        if (!_files.TryGetValue(name, out var e))
        {
            throw new FileNotFoundException($"{name} is not in the archive.", name);
        }

        try
        {
            return Budget.Guard(e.Open(), name, e.CompressedLength);
        }
        catch (InvalidDataException ex)
        {
            throw new ImportFileException(name, $"{name} cannot be read from the archive: {ex.Message}");
        }
    }

    public void Dispose() => _zip.Dispose();

    private static string? Problem(ZipArchiveEntry e)
    {
        var name = e.FullName;
        var segments = name.Replace('\\', '/').Split('/');
        if (name.Length == 0 || name.Contains('\0', StringComparison.Ordinal))
        {
            return "an entry without a usable name";
        }

        if (name[0] is '/' or '\\' || (name.Length > 1 && name[1] == ':'))
        {
            return $"{name} is an absolute path; entries must stay inside the archive";
        }

        if (segments.Any(s => s == ".."))
        {
            return $"{name} leaves the archive's folder ('..'); entries must stay inside the archive";
        }

        // Unix file type in the high half of the external attributes (zero when the tool did not record one).
        var type = (e.ExternalAttributes >> 16) & 0xF000;
        return type switch
        {
            0 or 0x8000 or 0x4000 => null,
            0xA000 => $"{name} is a symbolic link; an import reads only regular files",
            _ => $"{name} is not a regular file (a device, pipe or socket); an import reads only regular files",
        };
    }

    private readonly record struct EndRecord(long Entries, long DirectoryBytes);

    // The end of central directory record (and its zip64 form), found by scanning back from the end.
    private static EndRecord? ReadEndRecord(Stream stream)
    {
        if (!stream.CanSeek || stream.Length < 22)
        {
            return null;
        }

        var tail = (int)Math.Min(stream.Length, 22 + 65535);
        var buffer = new byte[tail];
        stream.Position = stream.Length - tail;
        stream.ReadExactly(buffer);
        for (var i = tail - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i)) != 0x06054b50)
            {
                continue;
            }

            long entries = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(i + 10));
            long size = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i + 12));
            var locator = i - 20;
            if ((entries == 0xFFFF || size == 0xFFFFFFFF) && locator >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(locator)) == 0x07064b50)
            {
                var offset = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(locator + 8));
                if (offset < 0 || offset + 56 > stream.Length)
                {
                    return new EndRecord(long.MaxValue, long.MaxValue);
                }

                var record = new byte[56];
                stream.Position = offset;
                stream.ReadExactly(record);
                if (BinaryPrimitives.ReadUInt32LittleEndian(record) == 0x06064b50)
                {
                    entries = BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(32));
                    size = BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(40));
                }
            }

            return new EndRecord(entries < 0 ? long.MaxValue : entries, size < 0 ? long.MaxValue : size);
        }

        return null;
    }
}
