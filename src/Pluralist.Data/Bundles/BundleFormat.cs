using Pluralist.Core.Model;

namespace Pluralist.Data.Bundles;
/// <summary>File names, CSV columns and field conventions of a study bundle (docs/formats.md); <c>study.json</c> is <see cref="StudyJsonFormat"/>.</summary>
public static class BundleFormat
{
    public const string FormatName = "pluralist-study-bundle";
    public const int FormatVersion = 1;

    public const string StudyJson = "study.json";
    public const string PromptsCsv = "prompts.csv";
    public const string ImagesCsv = "images.csv";
    public const string PairsCsv = "pairs.csv";
    public const string ParticipantsCsv = "participants.csv";
    public const string ConsentsCsv = "consents.csv";
    public const string AssignmentsCsv = "assignments.csv";
    public const string AnnotationsCsv = "annotations.csv";
    public const string ReportsCsv = "reports.csv";
    public const string RatingsCsv = "ratings.csv";
    public const string ImagesFolder = "images";

    /// <summary>The identity-marker value written for "prefer not to say".</summary>
    public const string PreferNotToSay = "prefer-not-to-say";

    public static readonly string[] PromptColumns = ["prompt", "text", "language", "source", "parent", "scenario", "external_id", "created_at"];
    public static readonly string[] ImageColumns = ["image", "prompt", "generator", "seed", "guidance", "steps", "width", "height", "content_hash", "file", "reference", "flags", "external_id", "created_at", "parameters"];
    public static readonly string[] PairColumns = ["pair", "image_0", "image_1", "kind", "batch", "expected_preference", "external_id", "created_at"];
    public static readonly string[] ParticipantColumns = ["participant", "language", "created_at", "withdrawn_at"];

    /// <summary>
    /// The participants.csv column beside identity question <paramref name="marker"/>'s answers holding the analysis group
    /// each answer counts in (<c>gender_group</c>); derived on export, ignored on import. Keys never hold '_', so it cannot
    /// clash with a question's own column.
    /// </summary>
    public static string GroupColumn(string marker) => marker + "_group";
    public static readonly string[] ConsentColumns = ["participant", "version", "language", "consented_at", "withdrawn_at", "markers_consented", "markers_declined"];
    public static readonly string[] AssignmentColumns = ["assignment", "participant", "pair", "batch", "criteria_shown", "image_0_side", "language", "served_at"];
    public static readonly string[] AnnotationColumns = ["annotation", "assignment", "participant", "pair", "criterion", "position", "score", "image_0_side", "preference", "comment", "client_duration_ms", "server_duration_ms", "client_request_id", "language", "submitted_at", "slider_steps"];
    public static readonly string[] ReportColumns = ["report", "image", "participant", "assignment", "reason", "comment", "reported_at"];
    public static readonly string[] RatingColumns = ["rating", "participant", "image", "question", "value", "categories", "client_request_id", "client_duration_ms", "server_duration_ms", "language", "served_at", "submitted_at"];

    /// <summary><c>left</c> when image_0 was shown on the left, else <c>right</c>.</summary>
    public static string Side(bool image0OnLeft) => image0OnLeft ? "left" : "right";

    /// <summary>Flags as <c>broken;distorted;excluded</c> (empty for none).</summary>
    public static string FormatFlags(ImageFlags flags) => string.Join(';', new[]
    {
        (ImageFlags.Broken, "broken"), (ImageFlags.Distorted, "distorted"), (ImageFlags.Excluded, "excluded"),
    }.Where(f => flags.HasFlag(f.Item1)).Select(f => f.Item2));

    public static bool TryParseFlags(string? text, out ImageFlags flags)
    {
        flags = ImageFlags.None;
        foreach (var part in SplitList(text))
        {
            switch (part.ToUpperInvariant())
            {
                case "BROKEN": flags |= ImageFlags.Broken; break;
                case "DISTORTED": flags |= ImageFlags.Distorted; break;
                case "EXCLUDED": flags |= ImageFlags.Excluded; break;
                default: return false;
            }
        }

        return true;
    }

    /// <summary>A <c>;</c>-separated list, trimmed, empty items dropped.</summary>
    public static IReadOnlyList<string> SplitList(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Lower-case letters, digits and '-', starting with a letter or digit, at most 64 characters.</summary>
    public static bool IsKey(string key) =>
        key.Length is > 0 and <= 64 && char.IsAsciiLetterOrDigit(key[0]) &&
        key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
