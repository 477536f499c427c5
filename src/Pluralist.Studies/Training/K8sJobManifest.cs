using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pluralist.Studies.Training;

/// <summary>What <c>--submit k8s</c> needs beyond the run: the image, the namespace and the volume holding the run folder.</summary>
public sealed record K8sJobOptions
{
    /// <summary>Container image with the trainer's Python environment (torch, diffusers, accelerate; python3-torch for embedded).</summary>
    public required string Image { get; init; }

    public string Namespace { get; init; } = "default";

    /// <summary>PersistentVolumeClaim that holds the run folder (ReadWriteMany for several nodes).</summary>
    public required string Pvc { get; init; }

    /// <summary>Path of the run folder inside the claim; null = the run folder's name.</summary>
    public string? PvcPath { get; init; }

    /// <summary>Where the container sees the run folder.</summary>
    public string MountPath { get; init; } = "/pluralist/run";

    /// <summary>Pod failures retried before the Job fails (a retry restarts the trainer from step 0).</summary>
    public int BackoffLimit { get; init; }
}

/// <summary>
/// Writes a Kubernetes <c>batch/v1</c> Job for a run folder (docs/formats.md, "Kubernetes Job manifest"): one pod per
/// node running <c>launch.sh</c> from the run folder on a PersistentVolumeClaim, with the node's GPUs as
/// <c>nvidia.com/gpu</c> limits; several nodes make an Indexed Job (the completion index is the node rank) with a
/// headless Service so that the pods reach the main one at <c>JOB-0.JOB</c>. Every name is checked against the
/// Kubernetes rules before anything is written.
/// </summary>
public static partial class K8sJobManifest
{
    public const string FileName = "k8s-job.yaml";
    public const int MainPort = 29500;

    private static readonly JsonSerializerOptions Quoting = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A DNS-1123 label (namespaces, Job names): lower-case letters, digits and '-', at most 63.</summary>
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    /// <summary>The Job name for a run folder: <c>pluralist-NAME-HASH</c>, a DNS-1123 label short enough for Indexed pod host names.</summary>
    public static string JobName(string runDir, string manifestSha256)
    {
        var slug = Slug(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir))), 32);
        return $"pluralist-{slug}-{manifestSha256[..8]}";
    }

    /// <summary>Lower-case letters, digits and single '-', at most <paramref name="max"/> characters, never empty.</summary>
    public static string Slug(string name, int max)
    {
        var b = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
            if (ok)
            {
                b.Append(c);
            }
            else if (b.Length > 0 && b[^1] != '-')
            {
                b.Append('-');
            }
        }

        var s = b.ToString().Trim('-');
        s = s.Length > max ? s[..max].TrimEnd('-') : s;
        return s.Length == 0 ? "run" : s;
    }

    /// <summary>Checks the options; each problem names the option.</summary>
    public static void Validate(K8sJobOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        Need(!string.IsNullOrWhiteSpace(o.Image) && !o.Image.Any(char.IsWhiteSpace), "--image", $"'{o.Image}' is not an image reference (e.g. registry.example/trainer:1.0)");
        Need(o.Namespace.Length <= 63 && Label().IsMatch(o.Namespace), "--namespace", $"'{o.Namespace}' is not a Kubernetes namespace (lower-case letters, digits and '-', at most 63)");
        Need(o.Pvc.Length <= 253 && o.Pvc.Split('.').All(p => p.Length is > 0 and <= 63 && Label().IsMatch(p)), "--pvc", $"'{o.Pvc}' is not a PersistentVolumeClaim name (lower-case DNS-1123 subdomain)");
        Need(o.PvcPath is null || (o.PvcPath.Length > 0 && !o.PvcPath.StartsWith('/') && !o.PvcPath.Split('/').Contains("..")), "--pvc-path", $"'{o.PvcPath}' must be a relative path inside the claim, without '..'");
        Need(o.MountPath.StartsWith('/') && !o.MountPath.Split('/').Contains("..") && !o.MountPath.Any(char.IsWhiteSpace), "--remote-dir", $"'{o.MountPath}' must be an absolute path in the container, without '..' or spaces");
        Need(o.BackoffLimit >= 0, "--backoff-limit", "must be >= 0");
    }

    /// <summary>The manifest's YAML text for the run described by <paramref name="m"/>.</summary>
    public static string Yaml(RunManifest m, string jobName, string runName, K8sJobOptions o)
    {
        ArgumentNullException.ThrowIfNull(m);
        Validate(o);
        var inv = CultureInfo.InvariantCulture;
        int nodes = m.Settings.Nodes;
        bool gpu = m.Model != "embedded";
        var launch = $"{o.MountPath.TrimEnd('/')}/launch.sh";
        var b = new StringBuilder();
        b.Append(inv, $"# Kubernetes Job for the Pluralist run '{runName}' ({m.Model} {m.Mode}, {nodes} node(s) x {m.Settings.GpusPerNode} {(gpu ? "GPU(s)" : "process(es) on CPU")}).\n");
        b.Append(inv, $"# The run folder must be at '{o.PvcPath ?? runName}' in the PersistentVolumeClaim '{o.Pvc}'; apply with: kubectl apply -f {FileName}\n");
        b.Append("apiVersion: batch/v1\n");
        b.Append("kind: Job\n");
        b.Append("metadata:\n");
        b.Append(inv, $"  name: {Q(jobName)}\n");
        b.Append(inv, $"  namespace: {Q(o.Namespace)}\n");
        Labels(b, "  ", runName);
        b.Append("spec:\n");
        b.Append(inv, $"  backoffLimit: {o.BackoffLimit}\n");
        b.Append(inv, $"  completions: {nodes}\n");
        b.Append(inv, $"  parallelism: {nodes}\n");
        if (nodes > 1)
        {
            b.Append("  completionMode: Indexed\n");
        }

        b.Append("  template:\n");
        b.Append("    metadata:\n");
        Labels(b, "      ", runName);
        b.Append("    spec:\n");
        b.Append("      restartPolicy: Never\n");
        if (nodes > 1)
        {
            b.Append(inv, $"      subdomain: {Q(jobName)}\n");
        }

        b.Append("      containers:\n");
        b.Append("        - name: trainer\n");
        b.Append(inv, $"          image: {Q(o.Image)}\n");
        var command = nodes > 1
            ? $"[\"bash\", \"-c\", {Q($"NODE_RANK=\"$JOB_COMPLETION_INDEX\" exec bash {launch}")}]"
            : $"[\"bash\", {Q(launch)}]";
        b.Append(inv, $"          command: {command}\n");
        b.Append("          env:\n");
        b.Append("            - name: PYTHONUNBUFFERED\n              value: \"1\"\n");
        b.Append(inv, $"            - name: MAIN_ADDR\n              value: {Q(nodes > 1 ? $"{jobName}-0.{jobName}" : "127.0.0.1")}\n");
        b.Append(inv, $"            - name: MAIN_PORT\n              value: \"{MainPort}\"\n");
        if (gpu)
        {
            b.Append("          resources:\n");
            b.Append("            limits:\n");
            b.Append(inv, $"              nvidia.com/gpu: {m.Settings.GpusPerNode}\n");
        }

        b.Append("          volumeMounts:\n");
        b.Append(inv, $"            - name: run\n              mountPath: {Q(o.MountPath)}\n              subPath: {Q(o.PvcPath ?? runName)}\n");
        b.Append("            - name: dshm\n              mountPath: /dev/shm\n");
        b.Append("      volumes:\n");
        b.Append(inv, $"        - name: run\n          persistentVolumeClaim:\n            claimName: {Q(o.Pvc)}\n");
        b.Append("        - name: dshm\n          emptyDir:\n            medium: Memory\n");
        if (nodes > 1)
        {
            b.Append("---\n");
            b.Append("# Headless Service: the pods of the Indexed Job reach the main one (index 0) at JOB-0.JOB.\n");
            b.Append("apiVersion: v1\n");
            b.Append("kind: Service\n");
            b.Append("metadata:\n");
            b.Append(inv, $"  name: {Q(jobName)}\n");
            b.Append(inv, $"  namespace: {Q(o.Namespace)}\n");
            Labels(b, "  ", runName);
            b.Append("spec:\n");
            b.Append("  clusterIP: None\n");
            b.Append("  selector:\n");
            b.Append(inv, $"    job-name: {Q(jobName)}\n");
        }

        return b.ToString();
    }

    private static void Labels(StringBuilder b, string indent, string runName)
    {
        b.Append(indent).Append("labels:\n");
        b.Append(indent).Append("  app.kubernetes.io/name: pluralist\n");
        b.Append(indent).Append("  pluralist/run: ").Append(Q(Slug(runName, 63))).Append('\n');
    }

    /// <summary>A double-quoted YAML scalar (JSON string syntax, which YAML 1.2 reads as the same string).</summary>
    internal static string Q(string v) => JsonSerializer.Serialize(v, Quoting);

    private static void Need(bool ok, string option, string why)
    {
        if (!ok)
        {
            throw new StudyInputException($"{option}: {why}");
        }
    }
}
