using System.Globalization;
using System.Text.Json;
using Pluralist.Files;

namespace Pluralist.Studies.Training;

/// <summary>
/// Submits a checked run folder to a cluster and records the submission in it (<see cref="RunSubmission"/>): to Ray
/// through the Jobs REST API, or as a Kubernetes Job manifest to apply. Ray's API carries no files, so the job runs the
/// folder where the cluster sees it (a shared filesystem, <c>--remote-dir</c>) and writes its weights to its
/// <c>output/</c> there; a folder that fails <see cref="RunFolderCheck"/> is refused before anything is sent.
/// </summary>
public static class RunSubmitter
{
    /// <summary>Metadata key carrying the manifest's hash, so that a retried submit recognises its own job.</summary>
    public const string ManifestKey = "pluralist_manifest_sha256";

    /// <summary>The run's manifest after <see cref="RunFolderCheck"/> passed; refuses a run already submitted.</summary>
    public static RunManifest Checked(string runDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        var problems = RunFolderCheck.Check(runDir);
        if (problems.Count > 0)
        {
            throw new StudyInputException($"{runDir}: not submitted, the run folder has {problems.Count} problem(s) (`pluralist runs check`):\n" + string.Join('\n', problems.Select(p => "  " + p)));
        }

        if (RunSubmission.TryLoad(runDir) is { } done)
        {
            throw new StudyInputException($"{runDir}: already submitted ({done.Backend} job {done.JobId}{(done.Address is null ? "" : " at " + done.Address)}, {done.SubmittedAt:u}); follow it with `pluralist runs status {runDir}`, or write a new run folder");
        }

        try
        {
            return JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(Path.Combine(runDir, "manifest.json")), RunManifest.Json)
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new StudyInputException($"{Path.Combine(runDir, "manifest.json")}: {e.Message}");
        }
    }

    /// <summary>Submits the run to Ray and writes <c>submission.json</c>; <paramref name="remoteDir"/> null = the folder's absolute path here.</summary>
    public static async Task<RunSubmission> SubmitRayAsync(string runDir, RayJobsClient ray, string? remoteDir, Func<DateTimeOffset> clock, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentNullException.ThrowIfNull(clock);
        var m = Checked(runDir);
        if (m.Settings.Nodes > 1)
        {
            throw new StudyInputException($"--nodes {m.Settings.Nodes}: a Ray job's entrypoint runs on one node, and launch.sh runs once per node: submit a several-node run with --submit k8s (an Indexed Job), or run launch.sh on each node");
        }

        var remote = RemoteDir(runDir, remoteDir);
        var sha = TorchRunFolder.FileHash(Path.Combine(runDir, "manifest.json"));
        var name = K8sJobManifest.Slug(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir))), 40);
        var job = new RayJobRequest
        {
            Entrypoint = "bash " + TorchRunFolder.Shell(remote + "/launch.sh"),
            SubmissionId = $"pluralist-{name}-{sha[..12]}",
            EnvVars = new Dictionary<string, string> { ["PYTHONUNBUFFERED"] = "1" },
            Metadata = new Dictionary<string, string>
            {
                ["pluralist_run"] = name,
                ["pluralist_model"] = m.Model,
                ["pluralist_mode"] = m.Mode,
                ["pluralist_dataset_sha256"] = m.Dataset.Sha256,
                [ManifestKey] = sha,
            },
            EntrypointNumGpus = m.Model == "embedded" ? 0 : m.Settings.GpusPerNode,
            EntrypointNumCpus = m.Model == "embedded" ? m.Settings.GpusPerNode : 1,
        };
        string id;
        try
        {
            id = await ray.SubmitAsync(job, ct).ConfigureAwait(false);
        }
        catch (RunBackendException e) when (e.Status is >= 400 and < 500 && e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase))
        {
            // An earlier submit reached Ray but its answer was lost: the job with this id is ours when it carries our manifest's hash.
            var existing = await ray.GetAsync(job.SubmissionId, ct).ConfigureAwait(false);
            if (!existing.Metadata.TryGetValue(ManifestKey, out var theirs) || theirs != sha)
            {
                throw new RunBackendException($"Ray at {ray.Address} already has a job {job.SubmissionId} for another run (its {ManifestKey} is '{theirs}', this run's is {sha})", e);
            }

            id = existing.SubmissionId;
        }

        var submission = new RunSubmission
        {
            Backend = "ray",
            Address = ray.Address.AbsoluteUri,
            JobId = id,
            SubmittedAt = clock(),
            Entrypoint = job.Entrypoint,
            RemoteDir = remote,
            ManifestSha256 = sha,
        };
        submission.Save(runDir);
        return submission;
    }

    /// <summary>Writes <c>k8s-job.yaml</c> and <c>submission.json</c> (backend k8s); nothing is sent: the manifest is applied with kubectl.</summary>
    public static RunSubmission WriteK8s(string runDir, K8sJobOptions options, Func<DateTimeOffset> clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        K8sJobManifest.Validate(options);
        var m = Checked(runDir);
        var sha = TorchRunFolder.FileHash(Path.Combine(runDir, "manifest.json"));
        var runName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir)));
        var jobName = K8sJobManifest.JobName(runDir, sha);
        var yaml = K8sJobManifest.Yaml(m, jobName, runName, options);
        var submission = new RunSubmission
        {
            Backend = "k8s",
            JobId = jobName,
            Namespace = options.Namespace,
            Manifest = K8sJobManifest.FileName,
            SubmittedAt = clock(),
            Entrypoint = string.Create(CultureInfo.InvariantCulture, $"bash {options.MountPath.TrimEnd('/')}/launch.sh"),
            RemoteDir = options.MountPath,
            ManifestSha256 = sha,
        };
        DurableFile.WriteAllText(Path.Combine(runDir, K8sJobManifest.FileName), yaml);
        submission.Save(runDir);
        return submission;
    }

    private static string RemoteDir(string runDir, string? remoteDir)
    {
        var remote = remoteDir ?? Path.GetFullPath(runDir);
        remote = remote.Length > 1 ? remote.TrimEnd('/') : remote;
        if (!remote.StartsWith('/') || remote.Split('/').Contains(".."))
        {
            throw new StudyInputException($"--remote-dir {remote}: must be the absolute path (without '..') where the cluster's nodes see the run folder");
        }

        return remote;
    }
}
