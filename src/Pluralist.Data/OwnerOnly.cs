namespace Pluralist.Data;

/// <summary>
/// Folders and files only their owner can read (0700 and 0600 on Unix): the data directory holds the
/// database, emails with invitation codes and the keys that sign sessions. Applies to what is created;
/// existing folders and files keep their permissions.
/// </summary>
public static class OwnerOnly
{
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder as owner-only (missing parents get the usual mode).</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, Folder);
        }
    }

    /// <summary>
    /// Creates an empty owner-only file if there is none. SQLite gives its -wal and -shm files the
    /// permissions of the database file, so creating the database this way covers them too.
    /// </summary>
    public static void CreateEmptyFile(string path)
    {
        if (System.IO.File.Exists(path))
        {
            return;
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = File;
        }

        try
        {
            using var _ = new FileStream(path, options);
        }
        catch (IOException) when (System.IO.File.Exists(path))
        {
            // Created at the same moment by another process: keep theirs.
        }
    }
}
