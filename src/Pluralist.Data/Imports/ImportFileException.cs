namespace Pluralist.Data.Imports;

/// <summary>
/// A file an import must not read or could not read within its limits: a link, a device, a path
/// leaving the bundle, an entry that inflates too far. The message names the file.
/// </summary>
public sealed class ImportFileException : IOException
{
    public ImportFileException(string path, string message)
        : base(message) => Path = path;

    public ImportFileException()
    {
        Path = string.Empty;
    }

    public ImportFileException(string message)
        : base(message) => Path = string.Empty;

    public ImportFileException(string message, Exception innerException)
        : base(message, innerException) => Path = string.Empty;

    /// <summary>The file as the import names it (bundle-relative or entry name).</summary>
    public string Path { get; }
}
