using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;

namespace Pluralist.Studies.Load;

/// <summary>The answer form of the task page: the assignment, its CSRF token and the criteria shown, in order.</summary>
public sealed record LoadTask(long AssignmentId, string Token, IReadOnlyList<string> Criteria);

/// <summary>
/// An answer the server refused with a status other than 5xx (a 4xx, or a page without the expected form): not
/// retried, counted by its kind (<see cref="Kind"/>, such as <c>http-409</c> or <c>join-429</c>).
/// </summary>
public sealed class LoadProtocolException(string kind, string message) : Exception(message)
{
    /// <summary>Short name of what went wrong, for the report's errors by kind.</summary>
    public string Kind { get; } = kind;
}

/// <summary>
/// One simulated participant over real HTTP, as the browser does it: join with an invitation code, consent, then
/// <c>GET /task</c> (the page) and <c>POST /api/assignments/{id}/annotation</c> with a client request id.
/// Cookies live in the session, so it can move to another instance of the same app (<see cref="MoveTo"/>).
/// </summary>
public sealed class ParticipantSession : IDisposable
{
    private static readonly HtmlParser Parser = new();
    private readonly CookieContainer _cookies = new();
    private readonly HttpClient _client;

    private ParticipantSession(Uri address, TimeSpan timeout)
    {
        Address = address;
        var handler = new SocketsHttpHandler
        {
            CookieContainer = _cookies,
            UseCookies = true,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };
        _client = new HttpClient(handler) { Timeout = timeout };
    }

    /// <summary>The instance this participant talks to now.</summary>
    public Uri Address { get; private set; }

    /// <summary>
    /// Joins with <paramref name="code"/> on <paramref name="address"/> and consents without identity answers.
    /// A refusal (a used code, the instance's code rate limit) is a <see cref="LoadProtocolException"/>.
    /// </summary>
    public static async Task<ParticipantSession> JoinAsync(Uri address, string code, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var session = new ParticipantSession(address, timeout);
        try
        {
            await session.PostFormAsync("/", "/join", new() { ["code"] = code }, "join", ct);
            await session.PostFormAsync("/consent", "/consent", new() { ["agree"] = "true" }, "consent", ct);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Talks to <paramref name="address"/> from now on, with the same session cookies (an instance over the same database and keys).</summary>
    public void MoveTo(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address == Address)
        {
            return;
        }

        foreach (Cookie cookie in _cookies.GetCookies(Address))
        {
            _cookies.Add(address, new Cookie(cookie.Name, cookie.Value, "/") { HttpOnly = cookie.HttpOnly });
        }

        Address = address;
    }

    /// <summary>
    /// The task page's assignment, or null when the participant has none (done, on a break, the batch closed).
    /// A 5xx is an <see cref="HttpRequestException"/> (retried like a network error).
    /// </summary>
    public async Task<LoadTask?> NextTaskAsync(CancellationToken ct = default)
    {
        using var response = await _client.GetAsync(new Uri(Address, "/task"), ct);
        ThrowOnServerError(response);
        if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther)
        {
            return null;
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new LoadProtocolException($"task-{(int)response.StatusCode}", $"GET /task answered {(int)response.StatusCode}");
        }

        // The task page is read on every cycle: its answer form is found by a scan of the start tags (a DOM of the whole
        // page cost the tool more CPU than the rest of its work on the page).
        var form = TaskForm.Read(await response.Content.ReadAsStringAsync(ct));
        if (form is null)
        {
            return null;
        }

        var criteria = form.Criteria;
        if (!long.TryParse(form.Assignment, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            || form.Token is not { Length: > 0 } token || criteria.Count == 0 || criteria.Contains(""))
        {
            throw new LoadProtocolException("task-form", "the task page's answer form lacks data-assignment, data-token or the criteria's data-key");
        }

        return new LoadTask(id, token, criteria);
    }

    /// <summary>
    /// Submits <paramref name="scores"/> (one per criterion shown) under <paramref name="requestId"/>; true when the server
    /// says it already had this request (<c>duplicate</c>). Only a 200 acknowledges; a 5xx is an <see cref="HttpRequestException"/>.
    /// </summary>
    public async Task<bool> SubmitAsync(LoadTask task, string requestId, IReadOnlyList<double?> scores, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(scores);
        var body = JsonSerializer.Serialize(new
        {
            clientRequestId = requestId,
            scores = task.Criteria.Select((c, k) => new { criterion = c, score = scores[k] }),
            clientDurationMs = 1000,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Address, $"/api/assignments/{task.AssignmentId}/annotation"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-CSRF-TOKEN", task.Token);
        using var response = await _client.SendAsync(request, ct);
        ThrowOnServerError(response);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new LoadProtocolException($"submit-{(int)response.StatusCode}", $"POST annotation answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}");
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.TryGetProperty("duplicate", out var duplicate) && duplicate.GetBoolean();
    }

    public void Dispose() => _client.Dispose();

    private async Task PostFormAsync(string page, string action, Dictionary<string, string> fields, string step, CancellationToken ct)
    {
        using var get = await _client.GetAsync(new Uri(Address, page), ct);
        ThrowOnServerError(get);
        var doc = await Parser.ParseDocumentAsync(await get.Content.ReadAsStringAsync(ct), ct);
        fields["__RequestVerificationToken"] = doc.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
            ?? throw new LoadProtocolException($"{step}-form", $"GET {page} answered {(int)get.StatusCode} without a form to {step}");
        using var content = new FormUrlEncodedContent(fields);
        using var post = await _client.PostAsync(new Uri(Address, action), content, ct);
        ThrowOnServerError(post);
        if (post.StatusCode != HttpStatusCode.Redirect)
        {
            var text = await post.Content.ReadAsStringAsync(ct);
            var hint = post.StatusCode == HttpStatusCode.TooManyRequests
                ? " (the instance limits invitation-code attempts per address: start it with Pluralist__CodeAttemptsPerMinute=1000000)"
                : "";
            throw new LoadProtocolException($"{step}-{(int)post.StatusCode}", $"POST {action} answered {(int)post.StatusCode}{hint}: {text[..Math.Min(text.Length, 200)]}");
        }
    }

    private static void ThrowOnServerError(HttpResponseMessage response)
    {
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode}", null, response.StatusCode);
        }
    }
}
