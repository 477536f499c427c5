using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pluralist.Studies.Training;

/// <summary>
/// Reads a Job's state and its pods' logs from the Kubernetes API server: <c>GET /apis/batch/v1/namespaces/{ns}/jobs/{name}</c>
/// (status <c>active</c>, <c>succeeded</c>, <c>failed</c>, <c>startTime</c>, <c>completionTime</c> and the
/// <c>Complete</c> / <c>Failed</c> conditions), <c>GET /api/v1/namespaces/{ns}/pods?labelSelector=job-name=NAME</c> and
/// <c>GET /api/v1/namespaces/{ns}/pods/{pod}/log</c>, with a bearer token (a service account's) or through
/// <c>kubectl proxy</c> (plain http on the loopback, no token). It reads only: the Job is created with kubectl.
/// </summary>
public sealed class K8sJobsClient
{
    private readonly HttpClient _http;
    private readonly string? _token;

    public K8sJobsClient(HttpClient http, Uri apiServer, string? token)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(apiServer);
        _http = http;
        _token = token;
        Address = apiServer.AbsoluteUri.EndsWith('/') ? apiServer : new Uri(apiServer.AbsoluteUri + "/");
    }

    public Uri Address { get; }

    /// <summary>Parses <c>--api-server</c>: https, or http on the loopback only (kubectl proxy), so that a token never crosses a network in clear.</summary>
    public static Uri ParseAddress(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
        {
            throw new StudyInputException($"--api-server {text}: expected the Kubernetes API server's https address (or http://127.0.0.1:8001 from kubectl proxy)");
        }

        if (uri.Scheme == "http" && !uri.IsLoopback)
        {
            throw new StudyInputException($"--api-server {text}: plain http only on the loopback (kubectl proxy): a bearer token never crosses a network in clear");
        }

        return uri;
    }

    /// <summary>An HttpClient that trusts the cluster's CA certificate (PEM) in addition to nothing else; null = the system's trust.</summary>
    public static HttpClient Http(string? caFile, TimeSpan timeout)
    {
        if (caFile is null)
        {
            return new HttpClient { Timeout = timeout };
        }

        X509Certificate2Collection ca = [];
        try
        {
            ca.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new StudyInputException($"--ca-file {caFile}: not a PEM certificate ({e.Message})");
        }

        if (ca.Count == 0)
        {
            throw new StudyInputException($"--ca-file {caFile}: holds no certificate");
        }

#pragma warning disable CA2000 // the HttpClient owns and disposes the handler
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, errors) =>
            {
                if (cert is null || (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = timeout };
#pragma warning restore CA2000
    }

    /// <summary>The Job's state as SUCCEEDED (condition Complete), FAILED (condition Failed, with its reason and message), RUNNING (active pods) or PENDING.</summary>
    public async Task<RunJobInfo> GetAsync(string ns, string job, CancellationToken ct = default)
    {
        var o = await GetJsonAsync($"apis/batch/v1/namespaces/{Uri.EscapeDataString(ns)}/jobs/{Uri.EscapeDataString(job)}", ct).ConfigureAwait(false);
        var status = o["status"] as JsonObject ?? [];
        string state = "PENDING";
        string? message = null, reason = null;
        if (status["conditions"] is JsonArray conditions)
        {
            foreach (var c in conditions.OfType<JsonObject>())
            {
                if (Str(c, "status") != "True")
                {
                    continue;
                }

                var type = Str(c, "type");
                if (type is "Complete" or "Failed")
                {
                    state = type == "Complete" ? "SUCCEEDED" : "FAILED";
                    reason = Str(c, "reason");
                    message = Str(c, "message");
                }
            }
        }

        if (state == "PENDING" && Int(status, "active") > 0)
        {
            state = "RUNNING";
        }

        var counts = string.Create(CultureInfo.InvariantCulture, $"pods active {Int(status, "active")}, succeeded {Int(status, "succeeded")}, failed {Int(status, "failed")}");
        return new RunJobInfo(job, state, message is null ? counts : $"{message} ({counts})", reason, Time(status, "startTime"), Time(status, "completionTime"), null, new Dictionary<string, string>());
    }

    /// <summary>The logs of the Job's pods (by name), each headed by its pod's name when there are several.</summary>
    public async Task<string> LogsAsync(string ns, string job, CancellationToken ct = default)
    {
        var list = await GetJsonAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods?labelSelector={Uri.EscapeDataString("job-name=" + job)}", ct).ConfigureAwait(false);
        var pods = (list["items"] as JsonArray ?? []).OfType<JsonObject>().Select(p => Str(p["metadata"] as JsonObject ?? [], "name")).OfType<string>().Order(StringComparer.Ordinal).ToList();
        var text = new System.Text.StringBuilder();
        foreach (var pod in pods)
        {
            var log = await SendAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods/{Uri.EscapeDataString(pod)}/log", ct).ConfigureAwait(false);
            if (pods.Count > 1)
            {
                text.Append("==> ").Append(pod).Append(" <==\n");
            }

            text.Append(log);
        }

        return text.ToString();
    }

    private async Task<JsonObject> GetJsonAsync(string path, CancellationToken ct)
    {
        var text = await SendAsync(path, ct).ConfigureAwait(false);
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new RunBackendException($"Kubernetes API at {Address} answered GET /{path} with something other than a JSON object", e);
        }
    }

    private async Task<string> SendAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Address, path));
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RunBackendException($"Kubernetes API at {Address} did not answer GET /{path} ({e.Message}): is the address right and its certificate trusted (--ca-file)?", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RunBackendException($"Kubernetes API at {Address} did not answer GET /{path} within {_http.Timeout.TotalSeconds:0} s", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // Kubernetes answers errors as a Status object whose message says why (forbidden, not found).
                string why = text;
                try
                {
                    why = JsonNode.Parse(text)?["message"]?.GetValue<string>() ?? text;
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException)
                {
                }

                why = why.Length > 400 ? why[..400] + "..." : why;
                throw new RunBackendException($"Kubernetes API at {Address} answered {(int)response.StatusCode} {response.ReasonPhrase} to GET /{path}: {why}", null, (int)response.StatusCode);
            }

            return text;
        }
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static int Int(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;

    private static DateTimeOffset? Time(JsonObject o, string name) =>
        Str(o, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
