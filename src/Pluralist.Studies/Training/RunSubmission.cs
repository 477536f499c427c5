using System.Text.Json;
using Pluralist.Files;

namespace Pluralist.Studies.Training;

/// <summary>
/// <c>submission.json</c> in a run folder (docs/formats.md, "Run submission"): where and as what the run was submitted,
/// so that <c>runs status</c>, <c>logs</c> and <c>pull</c> find it again.
/// </summary>
public sealed record RunSubmission
{
    public const string FileName = "submission.json";
    public const string FormatName = "pluralist-run-submission-1";

    public string Format { get; init; } = FormatName;

    /// <summary>ray or k8s.</summary>
    public required string Backend { get; init; }

    /// <summary>Ray: the dashboard's address; k8s: null (the Job is applied with kubectl).</summary>
    public string? Address { get; init; }

    /// <summary>Ray: the submission id; k8s: the Job's name.</summary>
    public required string JobId { get; init; }

    /// <summary>k8s: the namespace of the Job.</summary>
    public string? Namespace { get; init; }

    /// <summary>k8s: the manifest file in the run folder.</summary>
    public string? Manifest { get; init; }

    public required DateTimeOffset SubmittedAt { get; init; }

    /// <summary>The command the job runs.</summary>
    public required string Entrypoint { get; init; }

    /// <summary>Where the job sees the run folder (a shared filesystem or a volume); it writes to its <c>output/</c>.</summary>
    public required string RemoteDir { get; init; }

    /// <summary>SHA-256 of <c>manifest.json</c> when submitted.</summary>
    public required string ManifestSha256 { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, RunManifest.Json);

    /// <summary>The submission of <paramref name="runDir"/>, or null when it has none.</summary>
    public static RunSubmission? TryLoad(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        RunSubmission? s;
        try
        {
            s = JsonSerializer.Deserialize<RunSubmission>(File.ReadAllText(path), RunManifest.Json);
        }
        catch (JsonException e)
        {
            throw new StudyInputException($"{path}: not a submission record ({e.Message})");
        }

        if (s is null || s.Format != FormatName)
        {
            throw new StudyInputException($"{path}: field 'format' is '{s?.Format}', expected '{FormatName}'");
        }

        if (s.Backend is not ("ray" or "k8s"))
        {
            throw new StudyInputException($"{path}: field 'backend' is '{s.Backend}', expected ray or k8s");
        }

        if (s.Backend == "ray" && string.IsNullOrEmpty(s.Address))
        {
            throw new StudyInputException($"{path}: field 'address' is missing (a ray submission names the dashboard)");
        }

        return s;
    }

    /// <summary>The submission, or a clear error when the run was not submitted.</summary>
    public static RunSubmission Load(string runDir) =>
        TryLoad(runDir) ?? throw new StudyInputException($"{runDir}: not submitted (no {FileName}): submit it with `pluralist runs submit {runDir} --submit ray --address URL` or `--submit k8s`");

    /// <summary>Writes the record durably into the run folder.</summary>
    public void Save(string runDir) => DurableFile.WriteAllText(Path.Combine(runDir, FileName), ToJson());
}
