using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pluralist.Web.Tests.Load;

/// <summary>The web app's own Program as a child process (<c>dotnet Pluralist.Web.dll</c>) on a fixed local port.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private const int KeptLines = 200_000;

    private readonly Queue<string> _lastLines = new();
    private readonly List<string> _log = [];

    private ServerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

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

    /// <summary>Starts the server and waits until it answers on <paramref name="address"/>.</summary>
    public static async Task<ServerProcess> StartAsync(Uri address, IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Pluralist.Web.dll");
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString().TrimEnd('/'));
        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var server = new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
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
                using var response = await probe.GetAsync("/");
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy starting.
            }

            await Task.Delay(100);
        }

        server.Kill();
        throw new TimeoutException($"The server did not answer within {timeout}:\n{server.Tail}");
    }

    /// <summary>SIGKILL on Unix: no shutdown, no flushing, nothing the app can intercept.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
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
