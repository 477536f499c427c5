using Pluralist.Data.Imports;

namespace Pluralist.Data.Bundles;

/// <summary>Read access to the files of a bundle, whether a folder or a .zip archive. Paths use '/'.</summary>
public interface IBundleSource : IDisposable
{
    /// <summary>The folder or archive as the user named it.</summary>
    string DisplayName { get; }

    /// <summary>The limits every read from this source is held to.</summary>
    ImportLimits Limits { get; }

    /// <summary>Whether something is at <paramref name="path"/>: a link, a device or a path leaving the bundle count too, and <see cref="Open"/> then says why it is refused.</summary>
    bool Exists(string path);

    /// <summary>
    /// Opens a regular file of the bundle for reading, through the import's limits. Throws
    /// <see cref="FileNotFoundException"/> when absent and <see cref="ImportFileException"/> when the
    /// path is a link, a device or pipe, or leaves the bundle, or when reading passes a limit.
    /// </summary>
    Stream Open(string path);
}
