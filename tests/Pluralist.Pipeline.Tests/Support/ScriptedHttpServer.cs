using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pluralist.Pipeline.Tests.Support;

/// <summary>A request the server received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Body, string? Authorization, string Query = "");

/// <summary>A scripted answer: status, JSON body, optional delay before answering, optional headers.</summary>
public sealed record ScriptedResponse(int Status, string Body, TimeSpan Delay = default, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>Raw bytes sent instead of <see cref="Body"/> (an image), with content type <c>image/png</c>.</summary>
    public byte[]? Bytes { get; init; }
}

/// <summary>
/// A local HTTP server (HttpListener on 127.0.0.1, a free port) that records every request and answers with the next
/// scripted response, or with <see cref="Fallback"/> (computed from the request) when the script is used up.
/// </summary>
public sealed class ScriptedHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ScriptedResponse> _script = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ScriptedHttpServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Func<RecordedRequest, ScriptedResponse>? Fallback { get; set; }

    public void Enqueue(params ScriptedResponse[] responses)
    {
        foreach (var r in responses)
        {
            _script.Enqueue(r);
        }
    }

    private async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            _ = Task.Run(() => Handle(ctx));
        }
    }

    private async Task Handle(HttpListenerContext ctx)
    {
        try
        {
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync().ConfigureAwait(false);
            var req = new RecordedRequest(ctx.Request.HttpMethod, ctx.Request.Url!.AbsolutePath, body, ctx.Request.Headers["Authorization"], ctx.Request.Url.Query);
            Requests.Enqueue(req);
            var resp = _script.TryDequeue(out var r) ? r : Fallback?.Invoke(req) ?? new ScriptedResponse(500, "{\"error\":\"script exhausted\"}");
            if (resp.Delay > TimeSpan.Zero)
            {
                await Task.Delay(resp.Delay, _stop.Token).ConfigureAwait(false);
            }

            ctx.Response.StatusCode = resp.Status;
            ctx.Response.ContentType = resp.Bytes is null ? "application/json" : "image/png";
            foreach (var (k, v) in resp.Headers ?? new Dictionary<string, string>())
            {
                ctx.Response.Headers[k] = v;
            }

            var bytes = resp.Bytes ?? Encoding.UTF8.GetBytes(resp.Body);
            ctx.Response.ContentLength64 = bytes.Length;
            await ctx.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            ctx.Response.Close();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // shutting down
        }
        catch (HttpListenerException)
        {
            // the client went away (e.g. it timed out)
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
