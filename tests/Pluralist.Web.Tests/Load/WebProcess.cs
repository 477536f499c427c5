using Pluralist.Studies.Load;

namespace Pluralist.Web.Tests.Load;

/// <summary>The web app's own Program as a child process (<c>dotnet Pluralist.Web.dll</c>) on a fixed local port.</summary>
public static class WebProcess
{
    /// <summary>Starts the app with <paramref name="settings"/> as <c>--key=value</c> arguments and waits until it answers on <paramref name="address"/>.</summary>
    public static Task<ServerProcess> StartAsync(Uri address, IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        var args = new List<string> { "--urls", address.ToString().TrimEnd('/') };
        args.AddRange(settings.Select(kv => $"--{kv.Key}={kv.Value}"));
        var info = ServerProcess.DotnetStartInfo(Path.Combine(AppContext.BaseDirectory, "Pluralist.Web.dll"), args);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return ServerProcess.StartAsync(info, address, timeout);
    }
}
