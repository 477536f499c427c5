using System.Diagnostics;
using Pluralist.Data;
using Pluralist.Studies.Demo;
using Pluralist.Studies.Load;
using Pluralist.Testing;

namespace Pluralist.Web.Tests.Load;

/// <summary>A server process (as <c>pluralist loadtest --spawn</c> and the crash tests start them) ends when it is disposed.</summary>
public sealed class ServerProcessTests
{
    [Fact]
    public async Task Disposing_a_server_process_ends_it()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var dataRoot = Path.Combine(Path.GetTempPath(), "pluralist-process-" + Guid.NewGuid().ToString("N"));
        await using (var db = database.CreateContext())
        {
            await DemoSeeder.SeedAsync(db, new DataDirectory(dataRoot), DateTimeOffset.UtcNow, 1, imagesPerPrompt: 4);
        }

        var address = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}/");
        var settings = new Dictionary<string, string>
        {
            ["Pluralist:Data"] = dataRoot,
            ["Pluralist:Db"] = "Sqlite",
            ["Pluralist:Connection"] = database.Options.ConnectionString,
        };
        var server = await WebProcess.StartAsync(address, settings, TimeSpan.FromSeconds(90));
        var id = server.Id;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        Assert.True((await http.GetAsync("/health/live")).IsSuccessStatusCode);

        server.Dispose();

        Assert.True(server.HasExited);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(id));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/health/live"));
    }
}
