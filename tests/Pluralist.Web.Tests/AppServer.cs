using System.Net;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pluralist.Data;
using Pluralist.Studies.Demo;
using Pluralist.Testing;

namespace Pluralist.Web.Tests;

/// <summary>The app on Kestrel at 127.0.0.1 on a free port, over a fresh database seeded with the demo.</summary>
public sealed class AppServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataRoot;
    private readonly bool _ownsDatabase;
    private bool _sharesData;

    private AppServer(WebApplication app, TestDatabase database, bool ownsDatabase, string dataRoot, Uri address, Queue<string> codes)
    {
        _app = app;
        Database = database;
        _ownsDatabase = ownsDatabase;
        _dataRoot = dataRoot;
        Address = address;
        Codes = codes;
    }

    public TestDatabase Database { get; }

    /// <summary>The app's data directory (images, outbox, keys).</summary>
    public string DataRoot => _dataRoot;

    public Uri Address { get; }

    public Queue<string> Codes { get; }

    /// <summary>The app's services (the OpenTelemetry providers, the job runners).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the app. <paramref name="settings"/> adds configuration (<c>Pluralist:BehindProxy</c>…) over the
    /// defaults here; <paramref name="routes"/> adds endpoints before the server starts (a test's own failing endpoint);
    /// <paramref name="telemetry"/> adds exporters to the app's OpenTelemetry pipeline (and so builds it).
    /// </summary>
    public static async Task<AppServer> StartAsync(DatabaseProvider provider = DatabaseProvider.Sqlite, int codes = 20, int codeAttemptsPerMinute = 1000, int imagesPerPrompt = 4, int signInAttemptsPerMinute = 1000, Action<Pluralist.Core.Model.Study>? configure = null,
        IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplication>? routes = null, Func<DatabaseOptions, IReadOnlyDictionary<string, string?>>? settingsFor = null,
        Action<OpenTelemetry.OpenTelemetryBuilder>? telemetry = null)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var dataRoot = Path.Combine(Path.GetTempPath(), "pluralist-web-" + Guid.NewGuid().ToString("N"));
        if (settingsFor is not null)
        {
            var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
            foreach (var (key, value) in settingsFor(database.Options))
            {
                all[key] = value;
            }

            settings = all;
        }

        return await StartOnAsync(database, true, dataRoot, null, codes, codeAttemptsPerMinute, imagesPerPrompt, signInAttemptsPerMinute, configure, settings, routes, telemetry);
    }

    /// <summary>
    /// Another instance of the app on this one's database, with a data directory of its own (a second node behind a
    /// proxy) unless <paramref name="shareData"/> (then this one's: a shared volume); it hands out codes from the same
    /// queue. Disposing it leaves the database to this one.
    /// </summary>
    public async Task<AppServer> StartAnotherAsync(int codeAttemptsPerMinute = 1000, int signInAttemptsPerMinute = 1000, IReadOnlyDictionary<string, string?>? settings = null, bool shareData = false)
    {
        var another = await StartOnAsync(Database, false, shareData ? _dataRoot : Path.Combine(Path.GetTempPath(), "pluralist-web-" + Guid.NewGuid().ToString("N")), Codes, 0, codeAttemptsPerMinute, 4, signInAttemptsPerMinute, null, settings, null);
        // The data directory stays to this one, which may still be running when the other is disposed.
        another._sharesData = shareData;
        return another;
    }

    /// <summary>The app on an existing database (migrated by the app, not seeded) with the given data directory, which it deletes when disposed.</summary>
    public static Task<AppServer> StartOnAsync(TestDatabase database, string dataRoot, int codeAttemptsPerMinute = 1000, int signInAttemptsPerMinute = 1000) =>
        StartOnAsync(database, false, dataRoot, new Queue<string>(), 0, codeAttemptsPerMinute, 4, signInAttemptsPerMinute, null, null, null);

    private static async Task<AppServer> StartOnAsync(TestDatabase database, bool ownsDatabase, string dataRoot, Queue<string>? sharedCodes, int codes, int codeAttemptsPerMinute, int imagesPerPrompt, int signInAttemptsPerMinute,
        Action<Pluralist.Core.Model.Study>? configure, IReadOnlyDictionary<string, string?>? settings, Action<WebApplication>? routes, Action<OpenTelemetry.OpenTelemetryBuilder>? telemetry = null)
    {
        var provider = database.Provider;
        var data = new DataDirectory(dataRoot);
        var all = new Dictionary<string, string?>
        {
            ["Pluralist:Data"] = dataRoot,
            ["Pluralist:Db"] = provider.ToString(),
            ["Pluralist:Connection"] = database.Options.ConnectionString,
            ["Pluralist:CodeAttemptsPerMinute"] = codeAttemptsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pluralist:SignInAttemptsPerMinute"] = signInAttemptsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = await PluralistWebApp.CreateAsync(["--urls", "http://127.0.0.1:0"], all, telemetry);
        routes?.Invoke(app);
        var queue = sharedCodes;
        if (queue is null)
        {
            await using var db = database.CreateContext();
            var seed = await DemoSeeder.SeedAsync(db, data, DateTimeOffset.UtcNow, codes, imagesPerPrompt);
            queue = new Queue<string>(seed.InvitationCodes);
            if (configure is not null)
            {
                var study = await db.Studies.FindAsync(seed.Study.Id);
                configure(study!);
                await db.SaveChangesAsync();
            }
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new AppServer(app, database, ownsDatabase, dataRoot, new Uri(address), queue);
    }

    /// <summary>A browser-like client with its own cookies, not following redirects.</summary>
    public HttpClient NewClient() => NewClient(new CookieContainer());

    /// <summary>A client with the given cookies (another instance's, copied with <see cref="CopyCookies"/>).</summary>
    public HttpClient NewClient(CookieContainer cookies)
    {
        var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false, UseCookies = true };
        return new HttpClient(handler) { BaseAddress = Address };
    }

    /// <summary>The cookies <paramref name="from"/> holds for this server's address, as a new container for <paramref name="to"/>.</summary>
    public static CookieContainer CopyCookies(CookieContainer from, AppServer source, AppServer to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(to);
        var copy = new CookieContainer();
        foreach (Cookie cookie in from.GetCookies(source.Address))
        {
            copy.Add(to.Address, new Cookie(cookie.Name, cookie.Value, "/"));
        }

        return copy;
    }

    /// <summary>A participant who joined with a fresh code and consented (no identity answers).</summary>
    public async Task<ParticipantClient> JoinAsync(Action<Dictionary<string, string>>? consentForm = null)
    {
        var client = NewClient();
        var join = await ParticipantClient.PostFormAsync(client, "/", "/join", new() { ["code"] = Codes.Dequeue() });
        Assert.Equal(HttpStatusCode.Redirect, join.StatusCode);
        var form = new Dictionary<string, string> { ["agree"] = "true" };
        consentForm?.Invoke(form);
        var consent = await ParticipantClient.PostFormAsync(client, "/consent", "/consent", form);
        Assert.Equal(HttpStatusCode.Redirect, consent.StatusCode);
        return new ParticipantClient(client);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDatabase)
        {
            await Database.DisposeAsync();
        }
        try
        {
            if (!_sharesData)
            {
                Directory.Delete(_dataRoot, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held open by the OS: the temp folder is cleaned later.
        }
    }
}

/// <summary>One participant's session: fetch the task page, submit answers.</summary>
public sealed class ParticipantClient(HttpClient client)
{
    public HttpClient Http { get; } = client;

    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string pageWithForm, string action, Dictionary<string, string> fields)
    {
        var html = await client.GetStringAsync(pageWithForm);
        var doc = new HtmlParser().ParseDocument(html);
        var token = doc.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
            ?? throw new InvalidOperationException($"No antiforgery token on {pageWithForm}");
        fields["__RequestVerificationToken"] = token;
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>The task page's assignment: id, criteria keys shown, CSRF token.</summary>
    public async Task<TaskPage?> NextTaskAsync()
    {
        var response = await Http.GetAsync("/task");
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new HttpRequestException($"GET /task answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 2000)]}");
        }

        var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var form = doc.QuerySelector("form#answer");
        if (form is null)
        {
            return null;
        }

        var keys = doc.QuerySelectorAll("input[type=range]").Select(e => e.GetAttribute("data-key")!).ToList();
        var images = doc.QuerySelectorAll(".images img").Select(e => e.GetAttribute("src")!).ToList();
        return new TaskPage(long.Parse(form.GetAttribute("data-assignment")!, System.Globalization.CultureInfo.InvariantCulture), keys, form.GetAttribute("data-token")!, images);
    }

    public Task<HttpResponseMessage> SubmitAsync(TaskPage task, object body, bool withToken = true) =>
        SubmitAsync(task.AssignmentId, task.Token, body, withToken);

    public async Task<HttpResponseMessage> SubmitAsync(long assignmentId, string token, object body, bool withToken = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/assignments/{assignmentId}/annotation")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        if (withToken)
        {
            request.Headers.Add("X-CSRF-TOKEN", token);
        }

        return await Http.SendAsync(request);
    }

    public static object Answer(TaskPage task, string requestId, params double?[] scores) => new
    {
        clientRequestId = requestId,
        scores = task.Criteria.Select((k, i) => new { criterion = k, score = i < scores.Length ? scores[i] : null }).ToArray(),
        comment = (string?)null,
        clientDurationMs = 1500,
    };
}

public sealed record TaskPage(long AssignmentId, IReadOnlyList<string> Criteria, string Token, IReadOnlyList<string> Images);
