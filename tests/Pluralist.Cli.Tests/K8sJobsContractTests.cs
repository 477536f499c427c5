using System.Text.Json;
using Pluralist.Pipeline.Tests.Support;
using Pluralist.Studies.Training;

namespace Pluralist.Cli.Tests;

/// <summary>
/// An in-process server that answers as the Kubernetes API server does for one Job: <c>GET
/// /apis/batch/v1/namespaces/{ns}/jobs/{name}</c> with the Job's status (no pods yet, then one active pod, then the
/// <c>Failed</c> or <c>Complete</c> condition), <c>GET /api/v1/namespaces/{ns}/pods?labelSelector=job-name=NAME</c>
/// with the Job's pod, <c>GET .../pods/{pod}/log</c> with its text; a request without the bearer token gets 401 and a
/// <c>Status</c> object, an unknown Job 404.
/// </summary>
internal sealed class FakeKube : IDisposable
{
    private int _polls;

    public FakeKube(string ns, string job, string token)
    {
        Namespace = ns;
        Job = job;
        Token = token;
        Server.Fallback = Answer;
    }

    public ScriptedHttpServer Server { get; } = new();

    public string Namespace { get; }

    public string Job { get; }

    public string Token { get; }

    public bool Fails { get; set; }

    private static ScriptedResponse Status(int code, string reason, string message) =>
        new(code, JsonSerializer.Serialize(new { kind = "Status", apiVersion = "v1", metadata = new { }, status = "Failure", message, reason, code }));

    private ScriptedResponse Answer(RecordedRequest r)
    {
        if (r.Authorization != $"Bearer {Token}")
        {
            return Status(401, "Unauthorized", "Unauthorized");
        }

        if (r.Path == $"/apis/batch/v1/namespaces/{Namespace}/jobs/{Job}")
        {
            int poll = _polls++;
            object status = poll switch
            {
                0 => new { },
                1 => new { active = 1, ready = 1, startTime = "2026-12-06T09:00:00Z" },
                _ when Fails => new
                {
                    failed = 1,
                    startTime = "2026-12-06T09:00:00Z",
                    conditions = new object[]
                    {
                        new { type = "FailureTarget", status = "True", reason = "BackoffLimitExceeded", message = "Job has reached the specified backoff limit" },
                        new { type = "Failed", status = "True", reason = "BackoffLimitExceeded", message = "Job has reached the specified backoff limit" },
                    },
                },
                _ => new
                {
                    succeeded = 1,
                    startTime = "2026-12-06T09:00:00Z",
                    completionTime = "2026-12-06T11:00:00Z",
                    conditions = new object[] { new { type = "Complete", status = "True" } },
                },
            };
            return new ScriptedResponse(200, JsonSerializer.Serialize(new { apiVersion = "batch/v1", kind = "Job", metadata = new { name = Job, @namespace = Namespace }, status }));
        }

        if (r.Path.StartsWith("/apis/batch/v1/namespaces/", StringComparison.Ordinal))
        {
            return Status(404, "NotFound", $"jobs.batch \"{r.Path.Split('/')[^1]}\" not found");
        }

        if (r.Path == $"/api/v1/namespaces/{Namespace}/pods" && Uri.UnescapeDataString(r.Query) == $"?labelSelector=job-name={Job}")
        {
            return new ScriptedResponse(200, JsonSerializer.Serialize(new { kind = "PodList", apiVersion = "v1", items = new[] { new { metadata = new { name = $"{Job}-x7k2p" } } } }));
        }

        if (r.Path == $"/api/v1/namespaces/{Namespace}/pods/{Job}-x7k2p/log")
        {
            return new ScriptedResponse(200, _polls < 2 ? "" : "Steps: 10%|#  | 1/10\n" + (_polls > 2 ? "Steps: 100%|###| 10/10\n" : ""));
        }

        return Status(404, "NotFound", "the server could not find the requested resource");
    }

    public void Dispose() => Server.Dispose();
}

/// <summary><c>runs status</c> and <c>runs logs</c> of a k8s run through the Kubernetes API server.</summary>
public sealed class K8sJobsContractTests
{
    private static async Task<(string Dir, RunSubmission S, string Token)> K8sRun()
    {
        var dir = CliRunner.TempDir();
        await RayJobsContractTests.SdxlRun(dir);
        var (code, _, err) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "k8s", "--image", "img", "--pvc", "claim", "--namespace", "livs");
        Assert.True(code == 0, err);
        var token = Path.Combine(dir, "token");
        File.WriteAllText(token, "s3cr3t-token\n");
        return (dir, RunSubmission.Load(Path.Combine(dir, "run")), token);
    }

    [Fact]
    public async Task Status_and_logs_follow_the_job_through_the_api_server_with_the_bearer_token()
    {
        var (dir, s, token) = await K8sRun();
        using var kube = new FakeKube("livs", s.JobId, "s3cr3t-token");
        var api = kube.Server.BaseUri.AbsoluteUri;
        var (code, output, err) = CliRunner.Run(dir, "runs", "status", "run", "--api-server", api, "--token-file", token);
        Assert.True(code == 0, err);
        Assert.Contains($"k8s Job {s.JobId} in namespace livs: PENDING", output, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(dir, "runs", "logs", "run", "--follow", "--interval", "0.05", "--api-server", api, "--token-file", token);
        Assert.True(code == 0, err);
        Assert.Contains("Steps: 100%|###| 10/10", output, StringComparison.Ordinal);
        Assert.All(kube.Server.Requests, r => Assert.Equal("Bearer s3cr3t-token", r.Authorization));
        Assert.DoesNotContain("s3cr3t", output + err, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(dir, "runs", "status", "run", "--api-server", api, "--token-file", token, "--json");
        Assert.True(code == 0, err);
        Assert.Contains("\"status\": \"SUCCEEDED\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_job_a_refused_token_and_a_plain_http_remote_server_are_named()
    {
        var (dir, s, token) = await K8sRun();
        using var kube = new FakeKube("livs", s.JobId, "another-token") { Fails = true };
        var api = kube.Server.BaseUri.AbsoluteUri;
        var (code, _, err) = CliRunner.Run(dir, "runs", "status", "run", "--api-server", api, "--token-file", token);
        Assert.Equal(2, code);
        Assert.Contains($"error: Kubernetes API at {api} answered 401 Unauthorized to GET /apis/batch/v1/namespaces/livs/jobs/{s.JobId}: Unauthorized", err, StringComparison.Ordinal);

        using var failing = new FakeKube("livs", s.JobId, "s3cr3t-token") { Fails = true };
        (code, var output, err) = CliRunner.Run(dir, "runs", "logs", "run", "--follow", "--interval", "0.05", "--api-server", failing.Server.BaseUri.AbsoluteUri, "--token-file", token);
        Assert.Equal(1, code);
        Assert.Contains("Steps: 10%", output, StringComparison.Ordinal);
        Assert.Contains("FAILED: Job has reached the specified backoff limit (pods active 0, succeeded 0, failed 1)", err, StringComparison.Ordinal);

        (code, _, err) = CliRunner.Run(dir, "runs", "status", "run", "--api-server", "http://k8s.example:6443", "--token-file", token);
        Assert.Equal(1, code);
        Assert.Contains("plain http only on the loopback", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(dir, "runs", "status", "run", "--token-file", token);
        Assert.Equal(1, code);
        Assert.Contains("--token-file and --ca-file need --api-server", err, StringComparison.Ordinal);
    }
}
