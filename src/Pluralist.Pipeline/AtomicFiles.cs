using System.Globalization;

namespace Pluralist.Pipeline;

/// <summary>
/// Writes several files next to each other: each is written and flushed to a temporary file first, and the files are
/// renamed into place only when all of them are complete, so an error while writing leaves the old files untouched.
/// (The renames themselves are separate operations: a crash between two renames can leave a mix.)
/// </summary>
internal static class AtomicFiles
{
    /// <summary>One text file (strict UTF-8, no BOM) via a temporary file and a rename.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAll(Path.GetDirectoryName(Path.GetFullPath(path))!, [(Path.GetFileName(path), s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)))]);

    public static void WriteAll(string folder, IReadOnlyList<(string Name, Action<Stream> Write)> files)
    {
        var temps = new List<(string Temp, string Final)>();
        try
        {
            foreach (var (name, write) in files)
            {
                var final = Path.Combine(folder, name);
                var temp = final + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
                temps.Add((temp, final));
                using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    write(fs);
                    fs.Flush(true);
                }
            }

            foreach (var (temp, final) in temps)
            {
                File.Move(temp, final, overwrite: true);
            }
        }
        finally
        {
            foreach (var (temp, _) in temps)
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }
    }
}
