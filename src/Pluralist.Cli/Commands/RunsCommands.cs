using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pluralist.Studies;
using Pluralist.Studies.Training;

namespace Pluralist.Cli;

/// <summary><c>pluralist runs</c>: torch run folders written by <c>train dpo --engine torch</c>: check, submit, follow, pull.</summary>
public static class RunsCommands
{
    private static readonly JsonSerializerOptions JsonOut = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The <c>runs</c> group.</summary>
    public static Command Create()
    {
        var runs = new Command("runs", "Torch run folders (train dpo --engine torch): check, submit to Ray or Kubernetes, follow, pull the weights back.");
        runs.Subcommands.Add(Check());
        runs.Subcommands.Add(Submit());
        runs.Subcommands.Add(List());
        runs.Subcommands.Add(Status());
        runs.Subcommands.Add(Logs());
        runs.Subcommands.Add(Stop());
        runs.Subcommands.Add(Pull());
        return runs;
    }

    /// <summary>HTTP client for the cluster's API (30 s per request).</summary>
    internal static HttpClient Http() => new() { Timeout = TimeSpan.FromSeconds(30) };

    private static Command Check()
    {
        var run = new Argument<string>("RUN") { Description = "The run folder." };
        var cmd = new Command("check", "Validate a run folder: files present, dataset hashes, settings in range and consistent.") { run };
        cmd.SetAction(CliContext.Run((parse, _) =>
        {
            var dir = parse.GetValue(run)!;
            var problems = RunFolderCheck.Check(dir);
            if (problems.Count > 0)
            {
                throw new CliInputException($"{dir}: {problems.Count} problem(s):\n" + string.Join('\n', problems.Select(p => "  " + p)));
            }

            Console.WriteLine($"{Path.GetFullPath(dir)}: valid run folder");
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static Command Submit()
    {
        var run = new Argument<string>("RUN") { Description = "The run folder." };
        var options = new SubmitOptions();
        var cmd = new Command("submit", "Submit a checked run folder to Ray (Jobs REST API) or write its Kubernetes Job manifest; records submission.json.") { run };
        options.AddTo(cmd);
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            CommandHelpers.Require(parse.GetValue(options.Backend) is not null, "--submit", "required: ray or k8s");
            await options.SubmitAsync(parse, parse.GetValue(run)!, ct);
            return 0;
        }));
        return cmd;
    }

    private static Command List()
    {
        var dir = new Argument<string>("DIR") { Description = "Folder holding run folders (default: the current folder).", DefaultValueFactory = _ => "." };
        var json = new Option<bool>("--json") { Description = "One JSON array instead of the table." };
        var cmd = new Command("list", "List the run folders under DIR with their state (written, submitted, output present, pulled); reads files only.") { dir, json };
        cmd.SetAction(CliContext.Run((parse, _) =>
        {
            var root = parse.GetValue(dir)!;
            if (!Directory.Exists(root))
            {
                throw new CliInputException($"{root}: no such folder");
            }

            var rows = new List<RunRow>();
            foreach (var d in new[] { root }.Concat(Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal)))
            {
                if (!File.Exists(Path.Combine(d, "manifest.json")))
                {
                    continue;
                }

                try
                {
                    var m = RunPull.LoadManifest(d);
                    var s = RunSubmission.TryLoad(d);
                    var output = Path.Combine(d, m.Output);
                    bool weights = File.Exists(Path.Combine(output, RunPull.EmbeddedFile)) || File.Exists(Path.Combine(output, RunPull.LoraFile))
                        || File.Exists(Path.Combine(output, "unet", RunPull.UnetFile)) || File.Exists(Path.Combine(output, RunPull.UnetFile))
                        || File.Exists(Path.Combine(output, "unet", RunPull.UnetFile + ".index.json"));
                    var state = Directory.Exists(Path.Combine(d, "pulled")) ? "pulled" : weights ? "output written" : s is null ? "written" : "submitted";
                    rows.Add(new RunRow(d, m.Model, m.Mode, m.Settings.Steps, state, s?.Backend, s?.JobId, s?.Address, s?.SubmittedAt, null));
                }
                catch (StudyInputException e)
                {
                    rows.Add(new RunRow(d, "?", "?", 0, "unreadable", null, null, null, null, e.Message));
                }
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, JsonOut));
                return Task.FromResult(0);
            }

            if (rows.Count == 0)
            {
                Console.WriteLine($"{Path.GetFullPath(root)}: no run folders (folders with manifest.json)");
                return Task.FromResult(0);
            }

            Console.WriteLine("run\tmodel\tmode\tsteps\tstate\tjob\tsubmitted");
            foreach (var r in rows)
            {
                var job = r.Backend is null ? "-" : $"{r.Backend}:{r.JobId}";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Run}\t{r.Model}\t{r.Mode}\t{r.Steps}\t{r.State}\t{job}\t{r.SubmittedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-"}{(r.Problem is null ? "" : "\t" + r.Problem)}"));
            }

            return Task.FromResult(0);
        }));
        return cmd;
    }

    private sealed record RunRow(string Run, string Model, string Mode, int Steps, string State, string? Backend, string? JobId, string? Address, DateTimeOffset? SubmittedAt, string? Problem);

    /// <summary>Where a submitted run's job is read from: Ray's Jobs API, or the Kubernetes API server when <c>--api-server</c> is given.</summary>
    private sealed class JobSource(RunSubmission s, HttpClient http, RayJobsClient? ray, K8sJobsClient? k8s) : IDisposable
    {
        public string Label { get; } = s.Backend == "ray" ? $"ray job {s.JobId} at {s.Address}" : $"k8s Job {s.JobId} in namespace {s.Namespace}";

        public Task<RunJobInfo> GetAsync(CancellationToken ct) => ray?.GetAsync(s.JobId, ct) ?? k8s!.GetAsync(s.Namespace!, s.JobId, ct);

        public Task<string> LogsAsync(CancellationToken ct) => ray?.LogsAsync(s.JobId, ct) ?? k8s!.LogsAsync(s.Namespace!, s.JobId, ct);

        public void Dispose() => http.Dispose();
    }

    /// <summary><c>--api-server</c>, <c>--token-file</c>, <c>--ca-file</c>: reading a k8s run's Job from the Kubernetes API server.</summary>
    private sealed class KubeOptions
    {
        public Option<string?> ApiServer { get; } = new("--api-server") { Description = "k8s runs: the Kubernetes API server (https://HOST:6443, or http://127.0.0.1:8001 from kubectl proxy); without it the kubectl commands are printed." };

        public Option<string?> TokenFile { get; } = new("--token-file") { Description = "k8s runs: file holding a bearer token (a service account's) allowed to get jobs, pods and pods/log." };

        public Option<string?> CaFile { get; } = new("--ca-file") { Description = "k8s runs: the cluster's CA certificate (PEM) to trust for --api-server." };

        public void AddTo(Command cmd)
        {
            cmd.Options.Add(ApiServer);
            cmd.Options.Add(TokenFile);
            cmd.Options.Add(CaFile);
        }

        /// <summary>The job source, or null for a k8s run without --api-server.</summary>
        public JobSource? Open(ParseResult parse, string dir, RunSubmission s)
        {
            var api = parse.GetValue(ApiServer);
            var token = parse.GetValue(TokenFile);
            var ca = parse.GetValue(CaFile);
            if (s.Backend == "ray")
            {
                if (api is not null || token is not null || ca is not null)
                {
                    throw new CliInputException($"{(api is not null ? "--api-server" : token is not null ? "--token-file" : "--ca-file")}: only for a k8s run ({dir} was submitted to Ray)");
                }

                var http = Http();
                return new JobSource(s, http, new RayJobsClient(http, new Uri(s.Address!)), null);
            }

            if (api is null)
            {
                CommandHelpers.Require(token is null && ca is null, "--token-file and --ca-file need --api-server");
                return null;
            }

            var uri = K8sJobsClient.ParseAddress(api);
            string? bearer = null;
            if (token is not null)
            {
                if (!File.Exists(token))
                {
                    throw new CliInputException($"--token-file: file not found: {token}");
                }

                bearer = File.ReadAllText(token).Trim();
                CommandHelpers.Require(bearer.Length > 0 && !bearer.Any(char.IsWhiteSpace), "--token-file", "must hold one token");
            }

            var client = K8sJobsClient.Http(ca, TimeSpan.FromSeconds(30));
            return new JobSource(s, client, null, new K8sJobsClient(client, uri, bearer));
        }
    }

    private static void KubectlHint(RunSubmission s, string dir)
    {
        Console.WriteLine($"k8s Job {s.JobId} in namespace {s.Namespace} (manifest {Path.Combine(dir, s.Manifest ?? K8sJobManifest.FileName)}, written {s.SubmittedAt:u})");
        Console.WriteLine($"follow it with `kubectl -n {s.Namespace} get job {s.JobId}` and `kubectl -n {s.Namespace} logs -f job/{s.JobId}`, or give --api-server");
    }

    private static Command Status()
    {
        var run = new Argument<string>("RUN") { Description = "The run folder." };
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var kube = new KubeOptions();
        var cmd = new Command("status", "The submitted run's job status: PENDING, RUNNING, SUCCEEDED, FAILED (with the message) or STOPPED (Ray; k8s with --api-server).") { run, json };
        kube.AddTo(cmd);
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var dir = parse.GetValue(run)!;
            var s = Submission(dir);
            using var source = kube.Open(parse, dir, s);
            if (source is null)
            {
                KubectlHint(s, dir);
                return 0;
            }

            var info = await source.GetAsync(ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { run = Path.GetFullPath(dir), backend = s.Backend, address = s.Address, @namespace = s.Namespace, job_id = s.JobId, status = info.Status, message = info.Message, error_type = info.ErrorType, started = info.Started, ended = info.Ended }, JsonOut));
                return 0;
            }

            Console.WriteLine($"{source.Label}: {info.Status}");
            Console.WriteLine($"submitted {s.SubmittedAt:u}; started {(info.Started is { } a ? a.ToString("u", CultureInfo.InvariantCulture) : "-")}; ended {(info.Ended is { } b ? b.ToString("u", CultureInfo.InvariantCulture) : "-")}");
            if (!string.IsNullOrEmpty(info.Message))
            {
                Console.WriteLine($"message: {info.Message}{(info.ErrorType is null ? "" : $" ({info.ErrorType})")}");
            }

            return 0;
        }));
        return cmd;
    }

    private static Command Logs()
    {
        var run = new Argument<string>("RUN") { Description = "The run folder." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the job finishes; exit 1 unless it SUCCEEDED." };
        var interval = new Option<double>("--interval") { Description = "Seconds between polls with --follow.", DefaultValueFactory = _ => 2 };
        var kube = new KubeOptions();
        var cmd = new Command("logs", "The submitted run's job logs (Ray: GET /api/jobs/{id}/logs; k8s with --api-server: its pods' logs).") { run, follow, interval };
        kube.AddTo(cmd);
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var dir = parse.GetValue(run)!;
            var seconds = parse.GetValue(interval);
            CommandHelpers.Require(seconds is > 0 and <= 3600, "--interval", "must be in (0, 3600] seconds");
            var s = Submission(dir);
            using var source = kube.Open(parse, dir, s)
                ?? throw new CliInputException($"{dir}: a k8s run's logs come from the Kubernetes API: give --api-server (and --token-file), or use `kubectl -n {s.Namespace} logs -f job/{s.JobId}`");
            if (!parse.GetValue(follow))
            {
                Console.Write(await source.LogsAsync(ct));
                return 0;
            }

            var printed = "";
            while (true)
            {
                var info = await source.GetAsync(ct);
                var logs = await source.LogsAsync(ct);
                Console.Write(logs.StartsWith(printed, StringComparison.Ordinal) ? logs[printed.Length..] : logs);
                printed = logs;
                if (info.Finished)
                {
                    if (info.Status == "SUCCEEDED")
                    {
                        return 0;
                    }

                    Console.Error.WriteLine($"error: {source.Label} {info.Status}{(string.IsNullOrEmpty(info.Message) ? "" : ": " + info.Message)}");
                    return ExitCodes.BadInput;
                }

                await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            }
        }));
        return cmd;
    }

    private static Command Stop()
    {
        var run = new Argument<string>("RUN") { Description = "The run folder." };
        var cmd = new Command("stop", "Ask Ray to stop the submitted run's job (POST /api/jobs/{id}/stop).") { run };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var dir = parse.GetValue(run)!;
            var s = Submission(dir);
            if (s.Backend == "k8s")
            {
                throw new CliInputException($"{dir}: stop a k8s run with `kubectl -n {s.Namespace} delete job {s.JobId}`");
            }

            using var http = Http();
            bool stopped = await new RayJobsClient(http, new Uri(s.Address!)).StopAsync(s.JobId, ct);
            Console.WriteLine(stopped ? $"ray job {s.JobId}: stop requested" : $"ray job {s.JobId}: had already finished");
            return 0;
        }));
        return cmd;
    }

    private static Command Pull()
    {
        var run = new Argument<string>("RUN") { Description = "The run folder." };
        var from = new Option<string?>("--from") { Description = "The run's output folder as seen here (default: RUN/output, on storage the cluster shares)." };
        var to = new Option<string?>("--to") { Description = "Destination folder (default: RUN/pulled)." };
        var comfy = new Option<string?>("--comfyui-loras") { Description = "ComfyUI's models/loras folder: place the LoRA there for images generate --backend comfyui --lora NAME." };
        var name = new Option<string?>("--lora-name") { Description = "File name (without .safetensors) of the LoRA in --comfyui-loras (default: the run folder's name)." };
        var cmd = new Command("pull", "Bring back the run's LoRA or UNet weights and training log, checked; a Ray job must have SUCCEEDED.") { run, from, to, comfy, name };
        cmd.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var dir = parse.GetValue(run)!;
            using var http = Http();
            var pulled = await RunPull.PullAsync(dir, new RunPullOptions { From = parse.GetValue(from), To = parse.GetValue(to), ComfyUiLoras = parse.GetValue(comfy), LoraName = parse.GetValue(name) }, uri => new RayJobsClient(http, uri), ct);
            Console.WriteLine($"{pulled.Weights}: {pulled.Detail}");
            foreach (var f in pulled.Files.Where(f => f != pulled.Weights))
            {
                Console.WriteLine($"  {f}");
            }

            if (pulled.ComfyUiLora is { } lora)
            {
                Console.WriteLine($"ComfyUI LoRA {lora}: pluralist images generate --backend comfyui --url URL --workflow WORKFLOW --lora {lora}:1.0 ...");
            }
            else if (pulled.Kind == "embedded")
            {
                Console.WriteLine($"generate with it: pluralist generate --model {pulled.Weights} ...");
            }

            return 0;
        }));
        return cmd;
    }

    private static RunSubmission Submission(string dir)
    {
        if (!Directory.Exists(dir))
        {
            throw new CliInputException($"{dir}: no such run folder");
        }

        RunPull.LoadManifest(dir);
        return RunSubmission.Load(dir);
    }

    /// <summary>The submit options shared by <c>runs submit</c> and <c>train dpo --engine torch --submit</c>.</summary>
    internal sealed class SubmitOptions
    {
        public Option<string?> Backend { get; } = new("--submit") { Description = "Submit the run folder: ray (Jobs REST API, --address) or k8s (write k8s-job.yaml)." };

        public Option<string?> Address { get; } = new("--address") { Description = "ray: the dashboard's address, e.g. http://HEAD:8265." };

        public Option<string?> RemoteDir { get; } = new("--remote-dir") { Description = "Where the job sees the run folder (ray: the nodes' path, default its absolute path here; k8s: the mount path, default /pluralist/run)." };

        public Option<string?> Image { get; } = new("--image") { Description = "k8s: the trainer's container image." };

        public Option<string?> Pvc { get; } = new("--pvc") { Description = "k8s: the PersistentVolumeClaim holding the run folder." };

        public Option<string?> PvcPath { get; } = new("--pvc-path") { Description = "k8s: the run folder's path inside the claim (default: its name)." };

        public Option<string> Namespace { get; } = new("--namespace") { Description = "k8s: the namespace of the Job.", DefaultValueFactory = _ => "default" };

        public Option<int> BackoffLimit { get; } = new("--backoff-limit") { Description = "k8s: pod failures retried before the Job fails (a retry restarts the trainer).", DefaultValueFactory = _ => 0 };

        private Option[] All => [Backend, Address, RemoteDir, Image, Pvc, PvcPath, Namespace, BackoffLimit];

        public void AddTo(Command cmd)
        {
            foreach (var o in All)
            {
                cmd.Options.Add(o);
            }
        }

        /// <summary>Refuses submit options given without <c>--submit</c> and options of the other backend.</summary>
        public void CheckGiven(ParseResult parse)
        {
            var backend = parse.GetValue(Backend);
            Option[] ray = [Address], k8s = [Image, Pvc, PvcPath, Namespace, BackoffLimit];
            bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
            if (backend is null && All.Skip(1).FirstOrDefault(Given) is { } stray)
            {
                throw new CliInputException($"{stray.Name}: only with --submit ray or --submit k8s");
            }

            if (backend is not null and not "ray" and not "k8s")
            {
                throw new CliInputException($"--submit {backend}: expected ray or k8s");
            }

            if (backend == "ray" && k8s.FirstOrDefault(Given) is { } kOnly)
            {
                throw new CliInputException($"{kOnly.Name}: only with --submit k8s");
            }

            if (backend == "k8s" && ray.FirstOrDefault(Given) is { } rOnly)
            {
                throw new CliInputException($"{rOnly.Name}: only with --submit ray");
            }

            if (backend == "ray")
            {
                RayJobsClient.ParseAddress(parse.GetValue(Address) ?? throw new CliInputException("--address: required with --submit ray (the dashboard, e.g. http://HEAD:8265)"));
            }

            if (backend == "k8s")
            {
                K8sJobManifest.Validate(K8s(parse));
            }
        }

        private K8sJobOptions K8s(ParseResult parse) => new()
        {
            Image = parse.GetValue(Image) ?? throw new CliInputException("--image: required with --submit k8s (the trainer's container image)"),
            Pvc = parse.GetValue(Pvc) ?? throw new CliInputException("--pvc: required with --submit k8s (the PersistentVolumeClaim holding the run folder)"),
            PvcPath = parse.GetValue(PvcPath),
            Namespace = parse.GetValue(Namespace)!,
            MountPath = parse.GetValue(RemoteDir) ?? "/pluralist/run",
            BackoffLimit = parse.GetValue(BackoffLimit),
        };

        /// <summary>Submits <paramref name="runDir"/> as the options say and prints what was recorded.</summary>
        public async Task SubmitAsync(ParseResult parse, string runDir, CancellationToken ct)
        {
            CheckGiven(parse);
            if (parse.GetValue(Backend) == "ray")
            {
                using var http = Http();
                var ray = new RayJobsClient(http, RayJobsClient.ParseAddress(parse.GetValue(Address)!));
                var s = await RunSubmitter.SubmitRayAsync(runDir, ray, parse.GetValue(RemoteDir), () => DateTimeOffset.UtcNow, ct);
                Console.WriteLine($"submitted to Ray at {s.Address}: job {s.JobId}, entrypoint {s.Entrypoint}");
                Console.WriteLine($"recorded in {Path.Combine(Path.GetFullPath(runDir), RunSubmission.FileName)}; follow with `pluralist runs status {runDir}` and `pluralist runs logs {runDir} --follow`");
                return;
            }

            var k = RunSubmitter.WriteK8s(runDir, K8s(parse), () => DateTimeOffset.UtcNow);
            var manifest = Path.Combine(Path.GetFullPath(runDir), K8sJobManifest.FileName);
            Console.WriteLine($"Kubernetes Job {k.JobId} (namespace {k.Namespace}) written to {manifest}");
            Console.WriteLine($"copy the run folder to '{parse.GetValue(PvcPath) ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir)))}' in the claim {parse.GetValue(Pvc)}, then: kubectl apply -f {manifest}");
        }
    }
}
