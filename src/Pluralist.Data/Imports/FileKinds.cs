using System.Runtime.InteropServices;

namespace Pluralist.Data.Imports;

/// <summary>Reads a path's <see cref="FileKind"/>: <c>statx</c> on Linux (which tells pipes and devices apart), file attributes elsewhere.</summary>
public static class FileKinds
{
    public static FileKind Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux())
        {
            var buffer = new byte[256];
            if (NativeMethods.Statx(AtCurrentDirectory, System.Text.Encoding.UTF8.GetBytes(path + "\0"), AtSymlinkNoFollow, StatxType, buffer) != 0)
            {
                return FileKind.Missing;
            }

            // struct statx: stx_mode is the u16 at offset 28 on every Linux architecture.
            return (BitConverter.ToUInt16(buffer, 28) & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0xA000 => FileKind.SymbolicLink,
                _ => FileKind.Special,
            };
        }

        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return FileKind.SymbolicLink;
        }

        return Directory.Exists(path) ? FileKind.Directory : info.Exists ? FileKind.Regular : FileKind.Missing;
    }

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);
    }
}
