using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pluralist.Studies.Load;

/// <summary>
/// An app instance as a child process on a fixed local port (<c>pluralist serve</c>, or the web app's own Program
/// in tests), with its output kept for failure messages, and SIGKILL for crash runs.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private const int KeptLines = 200_000;

    private readonly Queue<string> _lastLines = new();
    private readonly List<string> _log = [];
    private bool _disposed;

    private ServerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Whether the process has ended (killed, or exited by itself).</summary>
    public bool HasExited => _disposed || _process.HasExited;

    /// <summary>The last lines the server printed (for failure messages).</summary>
    public string Tail
    {
        get
        {
            lock (_lastLines)
            {
                return string.Join('\n', _lastLines);
            }
        }
    }

    /// <summary>Everything the server printed so far (stdout and stderr, up to 200,000 lines), to scan.</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_lastLines)
            {
                return [.. _log];
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary><c>dotnet DLL ARGS</c> with the same <c>dotnet</c> host as this process where there is one.</summary>
    public static ProcessStartInfo DotnetStartInfo(string dll, IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(dll);
        ArgumentNullException.ThrowIfNull(args);
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>Starts the process of <paramref name="info"/> and waits until it answers <c>GET /</c> on <paramref name="address"/>.</summary>
    public static async Task<ServerProcess> StartAsync(ProcessStartInfo info, Uri address, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var server = new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
        try
        {
            await WaitUntilAnsweringAsync(server, address, timeout, ct);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private static async Task WaitUntilAnsweringAsync(ServerProcess server, Uri address, TimeSpan timeout, CancellationToken ct)
    {
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {server._process.ExitCode}:\n{server.Tail}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri("/", UriKind.Relative), ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Busy starting.
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"The server did not answer within {timeout}:\n{server.Tail}");
    }

    /// <summary>SIGKILL on Unix: no shutdown, no flushing, nothing the app can intercept.</summary>
    public void Kill()
    {
        if (!_disposed && !_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        // Kill first: Kill does nothing once disposed (a process left running after its owner is done).
        Kill();
        _disposed = true;
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            if (_log.Count < KeptLines)
            {
                _log.Add(line);
            }

            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }
}
