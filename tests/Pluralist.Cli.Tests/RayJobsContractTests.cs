using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pluralist.Diffusion;
using Pluralist.Pipeline.Tests.Support;
using Pluralist.Studies;
using Pluralist.Studies.Training;
using Pluralist.Tensors;

namespace Pluralist.Cli.Tests;

/// <summary>
/// An in-process server that follows the Ray Jobs REST API as Ray documents it: <c>POST /api/jobs/</c> takes
/// <c>entrypoint</c> (required), <c>submission_id</c>, <c>runtime_env</c>, <c>metadata</c> and the entrypoint's
/// resources and answers <c>{"job_id", "submission_id"}</c>, or 400 with a text traceback when the id already exists;
/// <c>GET /api/jobs/{id}</c> answers the job's details (status, message, start_time and end_time in ms) and moves it one
/// step along <see cref="Steps"/> per poll, or 404 <c>Job ID does not exist</c>; <c>GET /api/jobs/{id}/logs</c> answers
/// <c>{"logs"}</c>, one more line per status step after PENDING; <c>POST /api/jobs/{id}/stop</c> answers <c>{"stopped"}</c>.
/// </summary>
internal sealed class FakeRay : IDisposable
{
    private readonly ConcurrentDictionary<string, Job> _jobs = new();

    public FakeRay()
    {
        Server.Fallback = Answer;
    }

    public ScriptedHttpServer Server { get; } = new();

    /// <summary>The statuses a job goes through, one per status poll; the last one stays.</summary>
    public string[] Steps { get; set; } = ["PENDING", "RUNNING", "SUCCEEDED"];

    /// <summary>The message of a job that ends FAILED.</summary>
    public string FailureMessage { get; set; } = "Job entrypoint command failed with exit code 1, last available logs: CUDA out of memory";

    public IReadOnlyDictionary<string, Job> Jobs => _jobs;

    internal sealed class Job(JsonObject body)
    {
        public JsonObject Body { get; } = body;

        public int Step { get; set; }

        public bool Stopped { get; set; }
    }

    /// <summary>Adds a job as another client would have submitted it.</summary>
    public void Add(string id, JsonObject body) => _jobs[id] = new Job(body);

    private string StatusOf(Job j) => j.Stopped ? "STOPPED" : Steps[Math.Min(j.Step, Steps.Length - 1)];

    private ScriptedResponse Answer(RecordedRequest r)
    {
        if (r is { Method: "POST", Path: "/api/jobs/" })
        {
            JsonObject body;
            try
            {
                body = JsonNode.Parse(r.Body)!.AsObject();
            }
            catch (JsonException e)
            {
                return new ScriptedResponse(400, $"Failed to parse request body: {e.Message}");
            }

            if (body["entrypoint"] is not JsonValue)
            {
                return new ScriptedResponse(400, "Traceback (most recent call last):\nTypeError: __init__() missing 1 required positional argument: 'entrypoint'");
            }

            var id = (string?)body["submission_id"] ?? $"raysubmit_{Guid.NewGuid():N}"[..26];
            if (!_jobs.TryAdd(id, new Job(body)))
            {
                return new ScriptedResponse(400, $"Traceback (most recent call last):\nValueError: Job with submission_id {id} already exists. Please use a different submission_id.");
            }

            return new ScriptedResponse(200, JsonSerializer.Serialize(new { job_id = id, submission_id = id }));
        }

        var parts = r.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || parts[0] != "api" || parts[1] != "jobs")
        {
            return new ScriptedResponse(404, "404: Not Found");
        }

        var jobId = Uri.UnescapeDataString(parts[2]);
        if (!_jobs.TryGetValue(jobId, out var job))
        {
            return new ScriptedResponse(404, $"Job {jobId} does not exist");
        }

        if (r.Method == "GET" && parts.Length == 3)
        {
            var status = StatusOf(job);
            job.Step++;
            long start = status == "PENDING" ? 0 : 1_765_000_000_000;
            return new ScriptedResponse(200, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["type"] = "SUBMISSION",
                ["job_id"] = null,
                ["submission_id"] = jobId,
                ["driver_info"] = null,
                ["status"] = status,
                ["entrypoint"] = (string?)job.Body["entrypoint"],
                ["message"] = status switch
                {
                    "PENDING" => "Job has not started yet. It may be waiting for resources (CPUs, GPUs, memory, custom resources) to become available.",
                    "RUNNING" => "Job is currently running.",
                    "SUCCEEDED" => "Job finished successfully.",
                    "STOPPED" => "Job was intentionally stopped.",
                    _ => FailureMessage,
                },
                ["error_type"] = status == "FAILED" ? "JOB_ENTRYPOINT_COMMAND_ERROR" : null,
                ["start_time"] = start,
                ["end_time"] = status is "SUCCEEDED" or "FAILED" or "STOPPED" ? start + 60_000 : null,
                ["metadata"] = job.Body["metadata"]?.DeepClone(),
                ["runtime_env"] = job.Body["runtime_env"]?.DeepClone(),
            }));
        }

        if (r.Method == "GET" && parts.Length == 4 && parts[3] == "logs")
        {
            // A pending job has printed nothing; each status it has been seen in since adds a line.
            var lines = Enumerable.Range(0, Math.Min(job.Step, Steps.Length)).Where(i => Steps[i] != "PENDING").Select(i => $"step log {i}: {Steps[i]}\n");
            return new ScriptedResponse(200, JsonSerializer.Serialize(new { logs = string.Concat(lines) }));
        }

        if (r.Method == "POST" && parts.Length == 4 && parts[3] == "stop")
        {
            bool running = StatusOf(job) is "PENDING" or "RUNNING";
            job.Stopped |= running;
            return new ScriptedResponse(200, JsonSerializer.Serialize(new { stopped = running }));
        }

        return new ScriptedResponse(405, "405: Method Not Allowed");
    }

    public void Dispose() => Server.Dispose();
}

/// <summary>The Ray Jobs client, submit, status, logs and pull against <see cref="FakeRay"/>.</summary>
public sealed class RayJobsContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 9, 30, 0, TimeSpan.Zero);

    /// <summary>An SDXL LoRA run folder (2 GPUs, 1 node unless told) written by the project's writer.</summary>
    internal static async Task<string> SdxlRun(string dir, int gpus = 2, int nodes = 1, string name = "run")
    {
        var pq = Path.Combine(dir, "pq");
        if (!Directory.Exists(pq))
        {
            await TorchRunCommandTests.ParquetDataset(dir);
        }

        var run = Path.Combine(dir, name);
        await TorchRunFolder.WriteAsync(new TorchRunRequest
        {
            Model = TorchModel.Sdxl,
            Dataset = pq,
            Options = new DpoOptions { Mode = FineTuneMode.Lora, BatchSize = 4, Steps = 10 },
            GpusPerNode = gpus,
            Nodes = nodes,
        }, run);
        return run;
    }

    /// <summary>A LoRA file in the diffusers/PEFT naming (unet.*.lora_A.weight / lora_B.weight), rank 4, fp32.</summary>
    internal static void WriteLora(string path, bool dropOneUp = false)
    {
        var t = new Dictionary<string, Tensor>();
        foreach (var layer in new[] { "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q", "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k" })
        {
            t[layer + ".lora_A.weight"] = new Tensor(Enumerable.Range(0, 4 * 8).Select(i => i * 0.01f).ToArray(), 4, 8);
            if (!(dropOneUp && layer.EndsWith("to_k", StringComparison.Ordinal)))
            {
                t[layer + ".lora_B.weight"] = new Tensor(new float[8 * 4], 8, 4);
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Safetensors.Save(path, t);
    }

    private static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Submit_sends_the_documented_body_and_records_the_submission_in_the_run_folder()
    {
        var dir = CliRunner.TempDir();
        var run = await SdxlRun(dir);
        using var ray = new FakeRay();
        using var http = new HttpClient();
        var client = new RayJobsClient(http, RayJobsClient.ParseAddress(ray.Server.BaseUri.AbsoluteUri.TrimEnd('/')));
        var s = await RunSubmitter.SubmitRayAsync(run, client, "/mnt/shared/runs/run", () => Now);

        var post = Assert.Single(ray.Server.Requests, r => r.Method == "POST");
        Assert.Equal("/api/jobs/", post.Path);
        var body = JsonNode.Parse(post.Body)!.AsObject();
        Assert.Equal("bash /mnt/shared/runs/run/launch.sh", (string)body["entrypoint"]!);
        var sha = TorchRunFolder.FileHash(Path.Combine(run, "manifest.json"));
        Assert.Equal($"pluralist-run-{sha[..12]}", (string)body["submission_id"]!);
        Assert.Equal(2, (double)body["entrypoint_num_gpus"]!);
        Assert.Equal(1, (double)body["entrypoint_num_cpus"]!);
        Assert.Equal("1", (string)body["runtime_env"]!["env_vars"]!["PYTHONUNBUFFERED"]!);
        Assert.Equal(sha, (string)body["metadata"]![RunSubmitter.ManifestKey]!);
        Assert.Equal("sdxl", (string)body["metadata"]!["pluralist_model"]!);
        Assert.All(body["metadata"]!.AsObject(), kv => Assert.Equal(JsonValueKind.String, kv.Value!.GetValueKind())); // Ray's metadata is Dict[str, str]

        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "submission.json")))!;
        Assert.Equal("pluralist-run-submission-1", (string)record["format"]!);
        Assert.Equal("ray", (string)record["backend"]!);
        Assert.Equal(ray.Server.BaseUri.AbsoluteUri, (string)record["address"]!);
        Assert.Equal(s.JobId, (string)record["job_id"]!);
        Assert.Equal(Now, DateTimeOffset.Parse((string)record["submitted_at"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("/mnt/shared/runs/run", (string)record["remote_dir"]!);
        Assert.Equal(s.JobId, RunSubmission.Load(run).JobId);
        Assert.Empty(RunFolderCheck.Check(run)); // the record does not disturb the folder's check

        // Submitting again is refused without a request.
        var again = await Assert.ThrowsAsync<StudyInputException>(() => RunSubmitter.SubmitRayAsync(run, client, null, () => Now));
        Assert.Contains("already submitted (ray job " + s.JobId, again.Message, StringComparison.Ordinal);
        Assert.Single(ray.Server.Requests);
    }

    [Fact]
    public async Task Status_goes_from_pending_to_running_to_succeeded_and_the_logs_grow()
    {
        using var ray = new FakeRay();
        using var http = new HttpClient();
        var client = new RayJobsClient(http, ray.Server.BaseUri);
        var id = await client.SubmitAsync(new RayJobRequest { Entrypoint = "bash /x/launch.sh", SubmissionId = "pluralist-x-1" });
        Assert.Equal("pluralist-x-1", id);
        var first = await client.GetAsync(id);
        Assert.Equal("PENDING", first.Status);
        Assert.Null(first.Started);
        Assert.False(first.Finished);
        Assert.Equal("", await client.LogsAsync(id));
        var second = await client.GetAsync(id);
        Assert.Equal("RUNNING", second.Status);
        Assert.NotNull(second.Started);
        Assert.Contains("step log 1: RUNNING", await client.LogsAsync(id), StringComparison.Ordinal);
        var third = await client.GetAsync(id);
        Assert.Equal("SUCCEEDED", third.Status);
        Assert.True(third.Finished);
        Assert.Equal(third.Started!.Value.AddMinutes(1), third.Ended);
        Assert.False(await client.StopAsync(id)); // already finished
    }

    [Fact]
    public async Task A_failed_job_shows_its_message_in_status_logs_and_pull()
    {
        var dir = CliRunner.TempDir();
        var run = await SdxlRun(dir);
        using var ray = new FakeRay { Steps = ["RUNNING", "FAILED"] };
        using var http = new HttpClient();
        await RunSubmitter.SubmitRayAsync(run, new RayJobsClient(http, ray.Server.BaseUri), null, () => Now);

        var (code, output, err) = CliRunner.Run(dir, "runs", "logs", "run", "--follow", "--interval", "0.05");
        Assert.True(code == 1, $"exit {code}: {output}\n{err}");
        Assert.Contains("step log 0: RUNNING", output, StringComparison.Ordinal);
        Assert.Contains("FAILED: Job entrypoint command failed with exit code 1", err, StringComparison.Ordinal);

        (code, output, err) = CliRunner.Run(dir, "runs", "status", "run");
        Assert.True(code == 0, err);
        Assert.Contains(": FAILED", output, StringComparison.Ordinal);
        Assert.Contains("message: Job entrypoint command failed with exit code 1, last available logs: CUDA out of memory (JOB_ENTRYPOINT_COMMAND_ERROR)", output, StringComparison.Ordinal);

        WriteLora(Path.Combine(run, "output", RunPull.LoraFile));
        (code, _, err) = CliRunner.Run(dir, "runs", "pull", "run");
        Assert.Equal(1, code);
        Assert.Contains("is FAILED (Job entrypoint command failed", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(run, "pulled")));
    }

    [Fact]
    public async Task A_server_that_is_gone_is_named_by_its_address()
    {
        var port = ClosedPort();
        using var http = new HttpClient();
        var client = new RayJobsClient(http, new Uri($"http://127.0.0.1:{port}/"));
        var e = await Assert.ThrowsAsync<RunBackendException>(() => client.GetAsync("pluralist-x-1"));
        Assert.Contains($"Ray at http://127.0.0.1:{port}/ did not answer GET /api/jobs/pluralist-x-1", e.Message, StringComparison.Ordinal);
        Assert.Null(e.Status);

        var dir = CliRunner.TempDir();
        var run = await SdxlRun(dir);
        var (code, _, err) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "ray", "--address", $"http://127.0.0.1:{port}");
        Assert.Equal(2, code);
        Assert.Contains($"error: Ray at http://127.0.0.1:{port}/ did not answer POST /api/jobs/", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal); // no stack trace
        Assert.False(File.Exists(Path.Combine(run, "submission.json")));
    }

    [Fact]
    public async Task Error_answers_are_named_with_their_status_and_nothing_is_recorded()
    {
        var dir = CliRunner.TempDir();
        var run = await SdxlRun(dir);
        using var ray = new FakeRay();
        using var http = new HttpClient();
        var client = new RayJobsClient(http, ray.Server.BaseUri);
        ray.Server.Enqueue(new ScriptedResponse(500, "Internal Server Error: GCS unavailable"));
        var e = await Assert.ThrowsAsync<RunBackendException>(() => RunSubmitter.SubmitRayAsync(run, client, null, () => Now));
        Assert.Equal(500, e.Status);
        Assert.Contains($"Ray at {ray.Server.BaseUri} answered 500 Internal Server Error to POST /api/jobs/: Internal Server Error: GCS unavailable", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run, "submission.json")));

        ray.Server.Enqueue(new ScriptedResponse(403, "Forbidden"));
        e = await Assert.ThrowsAsync<RunBackendException>(() => RunSubmitter.SubmitRayAsync(run, client, null, () => Now));
        Assert.Equal(403, e.Status);
        Assert.False(File.Exists(Path.Combine(run, "submission.json")));

        e = await Assert.ThrowsAsync<RunBackendException>(() => client.GetAsync("nobody"));
        Assert.Equal(404, e.Status);
        Assert.Contains("does not know the job (GET /api/jobs/nobody answered 404: Job nobody does not exist)", e.Message, StringComparison.Ordinal);

        ray.Server.Enqueue(new ScriptedResponse(200, "<html>proxy login</html>"));
        e = await Assert.ThrowsAsync<RunBackendException>(() => client.LogsAsync("nobody"));
        Assert.Contains("with something other than a JSON object: <html>proxy login</html>", e.Message, StringComparison.Ordinal);

        // The malformed request Ray refuses (no entrypoint) is answered 400 by the server: the client never sends one.
        using var empty = new StringContent("{}");
        using var bad = await http.PostAsync(new Uri(ray.Server.BaseUri, "api/jobs/"), empty);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task A_run_folder_that_fails_its_check_is_refused_before_anything_is_submitted()
    {
        var dir = CliRunner.TempDir();
        var run = await SdxlRun(dir);
        var parquet = Directory.GetFiles(Path.Combine(run, "dataset", "data"), "*.parquet")[0];
        File.AppendAllText(parquet, "x");
        using var ray = new FakeRay();
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<StudyInputException>(() => RunSubmitter.SubmitRayAsync(run, new RayJobsClient(http, ray.Server.BaseUri), null, () => Now));
        Assert.Contains("not submitted, the run folder has 1 problem(s)", e.Message, StringComparison.Ordinal);
        Assert.Contains("the file changed after the run was written", e.Message, StringComparison.Ordinal);
        Assert.Empty(ray.Server.Requests);

        var (code, _, err) = CliRunner.Run(dir, "runs", "submit", "run", "--submit", "ray", "--address", ray.Server.BaseUri.AbsoluteUri);
        Assert.Equal(1, code);
        Assert.Contains(Path.GetFileName(parquet), err, StringComparison.Ordinal);
        Assert.Empty(ray.Server.Requests);
        Assert.False(File.Exists(Path.Combine(run, "submission.json")));
    }

    [Fact]
    public async Task A_retried_submit_adopts_its_own_job_and_refuses_another_runs_job_with_that_id()
    {
        var dir = CliRunner.TempDir();
        var run = await SdxlRun(dir);
        using var ray = new FakeRay();
        using var http = new HttpClient();
        var client = new RayJobsClient(http, ray.Server.BaseUri);
        var sha = TorchRunFolder.FileHash(Path.Combine(run, "manifest.json"));
        var id = $"pluralist-run-{sha[..12]}";

        // The first submit reached Ray, its answer was lost: the job is there with this run's manifest hash.
        ray.Add(id, new JsonObject { ["entrypoint"] = "bash x", ["metadata"] = new JsonObject { [RunSubmitter.ManifestKey] = sha } });
        var s = await RunSubmitter.SubmitRayAsync(run, client, null, () => Now);
        Assert.Equal(id, s.JobId);

        var other = await SdxlRun(dir, gpus: 4, name: "run2");
        var sha2 = TorchRunFolder.FileHash(Path.Combine(other, "manifest.json"));
        ray.Add($"pluralist-run2-{sha2[..12]}", new JsonObject { ["entrypoint"] = "bash y", ["metadata"] = new JsonObject { [RunSubmitter.ManifestKey] = "0000" } });
        var e = await Assert.ThrowsAsync<RunBackendException>(() => RunSubmitter.SubmitRayAsync(other, client, null, () => Now));
        Assert.Contains("already has a job pluralist-run2-", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(other, "submission.json")));
    }

    [Fact]
    public async Task Ray_refuses_a_several_node_run_and_a_relative_remote_dir()
    {
        var dir = CliRunner.TempDir();
        var run = await SdxlRun(dir, gpus: 2, nodes: 2);
        using var ray = new FakeRay();
        using var http = new HttpClient();
        var client = new RayJobsClient(http, ray.Server.BaseUri);
        var e = await Assert.ThrowsAsync<StudyInputException>(() => RunSubmitter.SubmitRayAsync(run, client, null, () => Now));
        Assert.StartsWith("--nodes 2:", e.Message, StringComparison.Ordinal);
        var one = await SdxlRun(dir, name: "one");
        e = await Assert.ThrowsAsync<StudyInputException>(() => RunSubmitter.SubmitRayAsync(one, client, "runs/one", () => Now));
        Assert.StartsWith("--remote-dir runs/one:", e.Message, StringComparison.Ordinal);
        Assert.Empty(ray.Server.Requests);
        Assert.Throws<StudyInputException>(() => RayJobsClient.ParseAddress("ray://head:10001"));
    }
}
