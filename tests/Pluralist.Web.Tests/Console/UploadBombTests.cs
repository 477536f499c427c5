using System.Globalization;
using System.Net;
using System.Text;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Demo;
using Pluralist.Studies.Load;
using Pluralist.Testing;
using Pluralist.Web.Tests.Load;
using Xunit.Abstractions;

namespace Pluralist.Web.Tests.Console;

/// <summary>
/// Decompression bombs sent to the pool upload of a server running as its own process (issue 16,
/// finding 5): each gets a 4xx naming the entry and the limit, nothing is stored, the server keeps
/// answering, and its peak resident memory (VmHWM) stays under <see cref="PeakBoundMb"/>
/// (docs/console.md states the bound).
/// </summary>
public sealed class UploadBombTests(ITestOutputHelper output)
{
    /// <summary>The server's peak resident memory through every upload below, in MB (the probe saw 6,300).</summary>
    public const int PeakBoundMb = 320;

    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Bombs_get_a_located_4xx_nothing_is_stored_and_the_server_stays_small()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var dataRoot = Path.Combine(Path.GetTempPath(), "pluralist-bomb-" + Guid.NewGuid().ToString("N"));
        await using (var db = database.CreateContext())
        {
            await DemoSeeder.SeedAsync(db, new DataDirectory(dataRoot), DateTimeOffset.UtcNow, 1, imagesPerPrompt: 2);
            await StaffAccounts.SetAsync(db, "bombs@example.org", Role.Researcher, Password);
        }

        var address = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}/");
        using var server = await WebProcess.StartAsync(address, new Dictionary<string, string>
        {
            ["Pluralist:Data"] = dataRoot,
            ["Pluralist:Db"] = "Sqlite",
            ["Pluralist:Connection"] = database.Options.ConnectionString,
            ["Pluralist:Imports:MaxUploadBytes"] = (3 << 20).ToString(CultureInfo.InvariantCulture),
            ["Pluralist:Imports:MaxArchiveEntries"] = "100",
            ["Logging:LogLevel:Default"] = "Warning",
        }, TimeSpan.FromSeconds(60));
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        var login = await ParticipantClient.PostFormAsync(client, "/console/login", "/console/login", new() { ["email"] = "bombs@example.org", ["password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var before = await CountAsync(database, dataRoot);
        var startMb = PeakMb(server.Id);

        // 1. A 16384 × 16384 PNG (1 GiB of pixels once decoded) in a zip of a few KB: refused from its header.
        var png = ImportBombs.Png(16384, 16384);
        var pixels = ImportBombs.Zip([("pool.csv", "file,prompt,generator\nhuge.png,A plaza,base\n"u8.ToArray(), 0), ("huge.png", png, 0)]);
        var text = await RefusedAsync(client, pixels, HttpStatusCode.BadRequest);
        Assert.Contains("pool.csv:2:1 (file): huge.png cannot be read as an image: it is 16384×16384 pixels (268.4 megapixels), over the limit of 40 megapixels (Pluralist:Imports:MaxImagePixels); nothing was decoded", text, StringComparison.Ordinal);

        // 2. A 2.4 MB zip whose 12 images each inflate to 200 MiB of zeros (2.4 GB in all): stopped while inflating, each named.
        var rows = new StringBuilder("file,prompt,generator\n");
        for (var i = 0; i < 12; i++)
        {
            rows.Append(CultureInfo.InvariantCulture, $"z{i}.png,A plaza,base\n");
        }

        var bomb = ImportBombs.ZipOfZeros(12, 200L << 20, i => $"z{i}.png", [("pool.csv", Encoding.UTF8.GetBytes(rows.ToString()))]);
        output.WriteLine($"pixel bomb: {pixels.Length} bytes; zip bomb: {bomb.Length} bytes");
        text = await RefusedAsync(client, bomb, HttpStatusCode.BadRequest);
        for (var i = 0; i < 12; i++)
        {
            Assert.Contains($"pool.csv:{i + 2}:1 (file): z{i}.png inflates to more than 100 times its compressed size", text, StringComparison.Ordinal);
        }

        // 3. More entries than allowed (here 100): refused from the archive's end record.
        var many = ImportBombs.Zip([("pool.csv", "file,prompt,generator\n"u8.ToArray(), 0), .. Enumerable.Range(0, 150).Select(i => ($"e{i}.png", new byte[] { 1 }, 0))]);
        text = await RefusedAsync(client, many, HttpStatusCode.BadRequest);
        Assert.Contains("upload: the archive holds 151 entries, more than the limit of 100 (Pluralist:Imports:MaxArchiveEntries)", text, StringComparison.Ordinal);

        // 4. A body over the upload limit (here 3 MiB): 413 before the form is read.
        text = await RefusedAsync(client, new byte[4 << 20], HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("larger than 3 MiB, the limit for this form (Pluralist:Imports:MaxUploadBytes)", text, StringComparison.Ordinal);

        // Nothing stored, no temporary file left among the images, and the server still answers.
        Assert.Equal(before, await CountAsync(database, dataRoot));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/console/studies/livs-default/images")).StatusCode);
        var peakMb = PeakMb(server.Id);
        output.WriteLine($"server VmHWM: {startMb} MB after start and sign-in, {peakMb} MB after the uploads (bound {PeakBoundMb} MB)");
        Assert.True(peakMb < PeakBoundMb, $"the server's peak resident memory reached {peakMb} MB");
    }

    private static async Task<string> RefusedAsync(HttpClient client, byte[] zip, HttpStatusCode expected)
    {
        var html = await client.GetStringAsync("/console/studies/livs-default/images");
        var token = new HtmlParser().ParseDocument(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new ByteArrayContent(zip), "zip", "pool.zip" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console/studies/livs-default/images?handler=Upload") { Content = form };
        request.Headers.ExpectContinue = true; // a body over the limit is refused before it is sent
        using var response = await client.SendAsync(request);
        var text = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {text[..Math.Min(text.Length, 2000)]}");
        return text;
    }

    private static async Task<(int Images, int Files)> CountAsync(TestDatabase database, string dataRoot)
    {
        await using var db = database.CreateContext();
        return (await db.Images.CountAsync(), Directory.GetFiles(Path.Combine(dataRoot, "images"), "*", SearchOption.AllDirectories).Length);
    }

    // Peak resident set size of a process, from Linux's /proc.
    private static long PeakMb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
