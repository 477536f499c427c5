using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pluralist.Studies.Training;

/// <summary>A cluster or its API answered badly or not at all; the message names the address and the request.</summary>
public sealed class RunBackendException(string message, Exception? inner = null, int? status = null) : Exception(message, inner)
{
    /// <summary>The HTTP status the server answered, or null when it did not answer.</summary>
    public int? Status { get; } = status;
}

/// <summary>What <c>POST /api/jobs/</c> takes (Ray Jobs REST API): the entrypoint command and what it reserves.</summary>
public sealed record RayJobRequest
{
    public required string Entrypoint { get; init; }

    public required string SubmissionId { get; init; }

    /// <summary>Environment variables of the entrypoint (<c>runtime_env.env_vars</c>).</summary>
    public IReadOnlyDictionary<string, string> EnvVars { get; init; } = new Dictionary<string, string>();

    /// <summary>String metadata stored with the job (<c>metadata</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public double EntrypointNumGpus { get; init; }

    public double EntrypointNumCpus { get; init; }
}

/// <summary>A job's state: as Ray's <c>GET /api/jobs/{id}</c> describes it, or a Kubernetes Job's status mapped onto Ray's names.</summary>
public sealed record RunJobInfo(string SubmissionId, string Status, string? Message, string? ErrorType, DateTimeOffset? Started, DateTimeOffset? Ended, string? Entrypoint, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>SUCCEEDED, FAILED and STOPPED do not change any more.</summary>
    public bool Finished => Status is "SUCCEEDED" or "FAILED" or "STOPPED";
}

/// <summary>
/// A client of the Ray Jobs REST API served by the dashboard of a Ray head node (port 8265 by default): submit
/// (<c>POST /api/jobs/</c>), status (<c>GET /api/jobs/{id}</c>), logs (<c>GET /api/jobs/{id}/logs</c>) and stop
/// (<c>POST /api/jobs/{id}/stop</c>). Every failure (no answer, a 4xx or 5xx, a body that is not the documented JSON)
/// becomes a <see cref="RunBackendException"/> naming the address and the request.
/// </summary>
public sealed class RayJobsClient
{
    private readonly HttpClient _http;

    public RayJobsClient(HttpClient http, Uri address)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(address);
        _http = http;
        Address = address;
    }

    /// <summary>The dashboard's address, always ending in '/'.</summary>
    public Uri Address { get; }

    /// <summary>Parses <c>--address</c>: an http or https URL of the dashboard (<c>http://HEAD:8265</c>).</summary>
    public static Uri ParseAddress(string text, string option = "--address")
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
        {
            throw new StudyInputException($"{option} {text}: expected the Ray dashboard's http(s) address, e.g. http://HEAD:8265");
        }

        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>Submits the job and returns the submission id the cluster answered.</summary>
    public async Task<string> SubmitAsync(RayJobRequest job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var body = new JsonObject
        {
            ["entrypoint"] = job.Entrypoint,
            ["submission_id"] = job.SubmissionId,
            ["runtime_env"] = new JsonObject { ["env_vars"] = Obj(job.EnvVars) },
            ["metadata"] = Obj(job.Metadata),
            ["entrypoint_num_cpus"] = job.EntrypointNumCpus,
            ["entrypoint_num_gpus"] = job.EntrypointNumGpus,
        };
        var answer = await SendAsync(HttpMethod.Post, "api/jobs/", body, ct).ConfigureAwait(false);
        var id = Text(answer, "submission_id") ?? Text(answer, "job_id");
        return string.IsNullOrEmpty(id)
            ? throw new RunBackendException($"Ray at {Address} answered POST /api/jobs/ without a submission_id: {Short(answer.ToJsonString())}")
            : id;
    }

    /// <summary>The job's status; a job the cluster does not know is a <see cref="RunBackendException"/>.</summary>
    public async Task<RunJobInfo> GetAsync(string submissionId, CancellationToken ct = default)
    {
        var o = await SendAsync(HttpMethod.Get, "api/jobs/" + Uri.EscapeDataString(submissionId), null, ct).ConfigureAwait(false);
        var status = Text(o, "status") ?? throw new RunBackendException($"Ray at {Address} answered GET /api/jobs/{submissionId} without a status: {Short(o.ToJsonString())}");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (o["metadata"] is JsonObject m)
        {
            foreach (var (k, v) in m)
            {
                if (v is JsonValue value && value.TryGetValue<string>(out var s))
                {
                    metadata[k] = s;
                }
            }
        }

        return new RunJobInfo(Text(o, "submission_id") ?? submissionId, status, Text(o, "message"), Text(o, "error_type"), Time(o, "start_time"), Time(o, "end_time"), Text(o, "entrypoint"), metadata);
    }

    /// <summary>Everything the job printed so far.</summary>
    public async Task<string> LogsAsync(string submissionId, CancellationToken ct = default)
    {
        var o = await SendAsync(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(submissionId)}/logs", null, ct).ConfigureAwait(false);
        return o["logs"] is JsonValue v && v.TryGetValue<string>(out var logs)
            ? logs
            : throw new RunBackendException($"Ray at {Address} answered GET /api/jobs/{submissionId}/logs without logs: {Short(o.ToJsonString())}");
    }

    /// <summary>Asks the job to stop; false when it had already finished.</summary>
    public async Task<bool> StopAsync(string submissionId, CancellationToken ct = default)
    {
        var o = await SendAsync(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(submissionId)}/stop", null, ct).ConfigureAwait(false);
        return o["stopped"] is JsonValue v && v.TryGetValue<bool>(out var stopped) && stopped;
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        var what = $"{method} /{path}";
        using var request = new HttpRequestMessage(method, new Uri(Address, path));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RunBackendException($"Ray at {Address} did not answer {what} ({e.Message}): is the cluster's dashboard running and reachable at this address?", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RunBackendException($"Ray at {Address} did not answer {what} within {_http.Timeout.TotalSeconds:0} s", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && method == HttpMethod.Get)
            {
                throw new RunBackendException($"Ray at {Address} does not know the job ({what} answered 404: {Short(text)}); Ray keeps jobs only while the cluster's head node lives", null, 404);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new RunBackendException($"Ray at {Address} answered {(int)response.StatusCode} {response.ReasonPhrase} to {what}: {Short(text)}", null, (int)response.StatusCode);
            }

            try
            {
                return JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException e)
            {
                throw new RunBackendException($"Ray at {Address} answered {what} with something other than a JSON object: {Short(text)}", e);
            }
        }
    }

    private static JsonObject Obj(IReadOnlyDictionary<string, string> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values)
        {
            o[k] = v;
        }

        return o;
    }

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Ray's times are milliseconds since the epoch; 0 or null = not yet.</summary>
    private static DateTimeOffset? Time(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<double>(out var ms) && ms > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : null;

    private static string Short(string text)
    {
        var one = new StringBuilder(text.Length);
        foreach (var c in text.Trim())
        {
            one.Append(char.IsControl(c) ? ' ' : c);
        }

        return one.Length > 400 ? one.ToString(0, 400) + "..." : one.ToString();
    }
}
