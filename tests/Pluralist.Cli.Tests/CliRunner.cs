using System.Diagnostics;

namespace Pluralist.Cli.Tests;

/// <summary>Runs the built <c>pluralist.dll</c> as a separate process.</summary>
internal static class CliRunner
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "pluralist.dll");

    public static (int Code, string Out, string Err) Run(string workingDirectory, params IEnumerable<string> args) =>
        RunWith(new Dictionary<string, string>(), workingDirectory, args);

    /// <summary>Runs with extra environment variables (settings such as <c>Pluralist__Imports__MaxArchiveEntries</c>).</summary>
    public static (int Code, string Out, string Err) RunWith(IReadOnlyDictionary<string, string> environment, string workingDirectory, params IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("PLURALIST_DATA");
        psi.Environment.Remove("PLURALIST_DB");
        psi.Environment.Remove("PLURALIST_CONNECTION");
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The path of a file shipped in the repository's <c>models/</c> folder.</summary>
    public static string Shipped(string name) =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(FoundationCommandTests.FindDocs()))!, "models", name);

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pluralist-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
