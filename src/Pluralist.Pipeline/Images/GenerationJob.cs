using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Files;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Images;

/// <summary>How the parameters of the N variants of a prompt are chosen.</summary>
public enum VariationMode
{
    /// <summary>Variant v takes combination v mod |G||S| of the guidance values G (outer) and step values S (inner).</summary>
    Grid = 0,

    /// <summary>Guidance uniform in the range (rounded to 0.5), steps uniform in the range, from a per-variant seeded generator.</summary>
    Random = 1,
}

/// <summary>A prompt to render; the id names its folder (letters, digits, '-', '_'). Language and source go into the manifest, so a pool made from it keeps them.</summary>
public sealed record GenerationPrompt(string Id, string Text, string Language = "en", PromptSource Source = PromptSource.Human);

/// <summary>Settings of a generation job.</summary>
public sealed record GenerationJobOptions
{
    public required string OutputFolder { get; init; }

    /// <summary>Variants per prompt (LIVS rendered 20 and kept 4).</summary>
    public int Variants { get; init; } = 20;

    public VariationMode Mode { get; init; } = VariationMode.Grid;

    /// <summary>Grid values: guidance (classifier-free guidance scale) and sampling steps.</summary>
    public IReadOnlyList<double> GuidanceValues { get; init; } = [5, 7.5, 10, 12.5];

    public IReadOnlyList<int> StepValues { get; init; } = [20, 30, 40, 50, 60];

    /// <summary>Random-mode ranges (inclusive).</summary>
    public double MinGuidance { get; init; } = 4;

    public double MaxGuidance { get; init; } = 12;

    public int MinSteps { get; init; } = 20;

    public int MaxSteps { get; init; } = 60;

    public int Width { get; init; } = 512;

    public int Height { get; init; } = 512;

    /// <summary>Job seed: every variant's seed is derived from it, the prompt id and the variant index.</summary>
    public long Seed { get; init; } = 1;

    public string? NegativePrompt { get; init; }

    /// <summary>On resume, render again the variants whose last attempt failed.</summary>
    public bool RetryFailed { get; init; } = true;
}

/// <summary>One manifest row: a rendered (or failed) variant.</summary>
public sealed record ManifestRow(
    string Prompt,
    int Variant,
    string File,
    string Generator,
    long Seed,
    double Guidance,
    int Steps,
    int Width,
    int Height,
    string? Sha256,
    string Status,
    string? Error,
    string? Parameters,
    DateTimeOffset CreatedAt,
    string? Text = null,
    string? Language = null,
    string? Source = null);

/// <summary>Progress after each variant.</summary>
public sealed record GenerationProgress(int Total, int Generated, int Skipped, int Failed, string Prompt, int Variant);

/// <summary>What a run did; <see cref="Failures"/> lists every variant that failed in this run.</summary>
public sealed record GenerationSummary(int Total, int Generated, int Skipped, int Failed, IReadOnlyList<ManifestRow> Failures);

/// <summary>
/// Renders N variants per prompt into <c>OutputFolder/images/PROMPT/VVV.png</c> and records each in
/// <c>OutputFolder/manifest.csv</c> (columns prompt, variant, file, generator, seed, guidance, steps, width, height,
/// sha256, status ok|failed, error, parameters as JSON, created_at). Rows are appended and flushed one at a time, so an
/// interrupted job loses at most the variant in flight; a rerun skips variants whose latest row is ok with the planned
/// parameters and a file of the recorded SHA-256, and renders the rest. A failed variant (timeout, HTTP error, not a PNG)
/// is recorded and the job goes on. A run that completes rewrites the manifest with one row per variant.
/// </summary>
public sealed partial class GenerationJob(IImageGenerator generator, GenerationJobOptions options)
{
    private static readonly string[] Header = ["prompt", "variant", "file", "generator", "seed", "guidance", "steps", "width", "height", "sha256", "status", "error", "parameters", "created_at", "text", "language", "source"];

    /// <summary>The planned parameters of variant <paramref name="variant"/> of prompt <paramref name="promptId"/>.</summary>
    public (long Seed, double Guidance, int Steps) Plan(string promptId, int variant)
    {
        ArgumentNullException.ThrowIfNull(promptId);
        // SplitMix64 over (job seed, FNV-1a of the prompt id, variant): independent of prompt order and of resumes.
        ulong state = (ulong)options.Seed ^ (Fnv1a(promptId) * 0x9E3779B97F4A7C15UL) ^ ((ulong)variant * 0xD1B54A32D192ED03UL);
        long seed = (long)(SplitMix(ref state) >> 33); // 31 bits: A1111 and most servers take a 32-bit signed seed
        if (options.Mode == VariationMode.Grid)
        {
            int combos = options.GuidanceValues.Count * options.StepValues.Count;
            int c = variant % combos;
            return (seed, options.GuidanceValues[c / options.StepValues.Count], options.StepValues[c % options.StepValues.Count]);
        }

        double u = (SplitMix(ref state) >> 11) * (1.0 / (1UL << 53));
        double guidance = Math.Round((options.MinGuidance + u * (options.MaxGuidance - options.MinGuidance)) * 2, MidpointRounding.AwayFromZero) / 2;
        int steps = options.MinSteps + (int)(SplitMix(ref state) % (ulong)(options.MaxSteps - options.MinSteps + 1));
        return (seed, guidance, steps);
    }

    public async Task<GenerationSummary> RunAsync(IReadOnlyList<GenerationPrompt> prompts, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        Validate(prompts);
        Directory.CreateDirectory(options.OutputFolder);
        var manifestPath = Path.Combine(options.OutputFolder, "manifest.csv");
        var latest = ReadManifest(manifestPath);
        int total = prompts.Count * options.Variants, generated = 0, skipped = 0, failed = 0;
        var failures = new List<ManifestRow>();

        var fresh = !File.Exists(manifestPath) || new FileInfo(manifestPath).Length == 0;
        if (!fresh && !HasCurrentHeader(manifestPath))
        {
            // A manifest written before the text column: rewritten in the current layout before rows are appended.
            WriteCompacted(manifestPath, latest.Values.OrderBy(r => r.Prompt, StringComparer.Ordinal).ThenBy(r => r.Variant));
        }

        await using (var stream = new FileStream(manifestPath, FileMode.Append, FileAccess.Write, FileShare.Read))
        await using (var writer = new StreamWriter(stream, StrictUtf8.Encoding))
        {
            var csv = new CsvWriter(writer);
            if (fresh)
            {
                csv.WriteRow(Header);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var prompt in prompts)
            {
                for (int v = 0; v < options.Variants; v++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (seed, guidance, steps) = Plan(prompt.Id, v);
                    var file = $"images/{prompt.Id}/{v.ToString("D3", CultureInfo.InvariantCulture)}.png";
                    if (latest.TryGetValue((prompt.Id, v), out var previous) && IsDone(previous, seed, guidance, steps))
                    {
                        skipped++;
                        progress?.Report(new GenerationProgress(total, generated, skipped, failed, prompt.Id, v));
                        continue;
                    }

                    var request = new GenerationRequest(prompt.Text, seed, guidance, steps, options.Width, options.Height, options.NegativePrompt);
                    ManifestRow row;
                    try
                    {
                        var image = await generator.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
                        if (!Png.TryReadSize(image.Png, out var w, out var h))
                        {
                            throw new GeneratorException($"{generator.Name} returned {image.Png.Length} bytes that are not a PNG");
                        }

                        // A received image is always saved and recorded, even when cancellation arrived meanwhile.
                        await DurableFile.WriteAsync(Path.Combine(options.OutputFolder, file), (s, c) => s.WriteAsync(image.Png, c).AsTask(), CancellationToken.None).ConfigureAwait(false);
                        row = new ManifestRow(prompt.Id, v, file, generator.Name, seed, guidance, steps, w, h, Sha256(image.Png), "ok", null,
                            JsonSerializer.Serialize(image.Parameters), DateTimeOffset.UtcNow, prompt.Text, prompt.Language, prompt.Source.ToToken());
                        generated++;
                    }
                    catch (GeneratorException ex)
                    {
                        row = new ManifestRow(prompt.Id, v, file, generator.Name, seed, guidance, steps, options.Width, options.Height, null, "failed",
                            ex.Message.ReplaceLineEndings(" "), null, DateTimeOffset.UtcNow, prompt.Text, prompt.Language, prompt.Source.ToToken());
                        failures.Add(row);
                        failed++;
                    }

                    latest[(prompt.Id, v)] = row;
                    csv.WriteRow(Fields(row));
                    await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    progress?.Report(new GenerationProgress(total, generated, skipped, failed, prompt.Id, v));
                }
            }
        }

        // Compact: one row per variant, in prompt and variant order (rows of other prompts kept after them).
        var order = prompts.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var rows = latest.Values.OrderBy(r => order.TryGetValue(r.Prompt, out var i) ? i : int.MaxValue).ThenBy(r => r.Prompt, StringComparer.Ordinal).ThenBy(r => r.Variant);
        WriteCompacted(manifestPath, rows);
        return new GenerationSummary(total, generated, skipped, failed, failures);
    }

    /// <summary>
    /// Reads a manifest: the latest row per (prompt, variant). A last line without its line end (a write cut short) is
    /// ignored; any other problem is an error naming the line and field.
    /// </summary>
    public static Dictionary<(string Prompt, int Variant), ManifestRow> ReadManifest(string path)
    {
        var result = new Dictionary<(string, int), ManifestRow>();
        if (!File.Exists(path))
        {
            return result;
        }

        var name = Path.GetFileName(path);
        var text = StrictUtf8.TryDecode(File.ReadAllBytes(path), name, out var error) ?? throw new InvalidDataException(error!.ToString());
        int lastEnd = text.LastIndexOf('\n');
        text = lastEnd < 0 ? "" : text[..(lastEnd + 1)];
        if (text.Length == 0)
        {
            return result;
        }

        var errors = new List<CsvError>();
        var table = CsvTable.Parse(new StringReader(text), name, errors);
        table.RequireColumns(Header[..^3]); // text, language and source came later: optional
        foreach (var row in table.Rows)
        {
            var r = new ManifestRow(table.String(row, "prompt"), table.Int(row, "variant"), table.String(row, "file"), table.String(row, "generator"),
                table.Long(row, "seed"), table.Double(row, "guidance"), table.Int(row, "steps"), table.Int(row, "width"), table.Int(row, "height"),
                table.OptionalString(row, "sha256"), table.String(row, "status"), table.OptionalString(row, "error"), table.OptionalString(row, "parameters"),
                table.DateTime(row, "created_at"), Optional(table, row, "text"), Optional(table, row, "language"), Optional(table, row, "source"));
            if (r.Status is not ("ok" or "failed"))
            {
                table.AddError(row, "status", $"'{r.Status}' is not ok or failed");
            }

            result[(r.Prompt, r.Variant)] = r;
        }

        if (errors.Count > 0)
        {
            throw new InvalidDataException(string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
        }

        return result;
    }

    private static string? Optional(CsvTable table, CsvRecord row, string column) => table.HasColumn(column) ? table.OptionalString(row, column) : null;

    private static bool HasCurrentHeader(string path)
    {
        using var reader = new StreamReader(path, StrictUtf8.Encoding);
        return reader.ReadLine() == string.Join(',', Header);
    }

    private static void WriteCompacted(string manifestPath, IEnumerable<ManifestRow> rows)
    {
        DurableFile.Write(manifestPath, s =>
        {
            using var w = new StreamWriter(s, StrictUtf8.Encoding, leaveOpen: true);
            var csv = new CsvWriter(w);
            csv.WriteRow(Header);
            foreach (var r in rows)
            {
                csv.WriteRow(Fields(r));
            }
        });
    }

    /// <summary>SHA-256 of the bytes, lower-case hex.</summary>
    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private bool IsDone(ManifestRow r, long seed, double guidance, int steps)
    {
        if (r.Seed != seed || r.Guidance != guidance || r.Steps != steps)
        {
            return false;
        }

        if (r.Status == "failed")
        {
            return !options.RetryFailed;
        }

        var path = Path.Combine(options.OutputFolder, r.File);
        return r.Width > 0 && File.Exists(path) && r.Sha256 == Sha256(File.ReadAllBytes(path));
    }

    private void Validate(IReadOnlyList<GenerationPrompt> prompts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Variants, 1);
        if (options.Mode == VariationMode.Grid && (options.GuidanceValues.Count == 0 || options.StepValues.Count == 0))
        {
            throw new ArgumentException("the grid needs at least one guidance value and one step value");
        }

        if (options.MinSteps < 1 || options.MaxSteps < options.MinSteps || options.MaxGuidance < options.MinGuidance)
        {
            throw new ArgumentException("the random ranges must have min <= max and steps >= 1");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in prompts)
        {
            if (!SafeId().IsMatch(p.Id))
            {
                throw new ArgumentException($"prompt id '{p.Id}' must be letters, digits, '-' or '_' (it names a folder)");
            }

            if (!seen.Add(p.Id))
            {
                throw new ArgumentException($"prompt id '{p.Id}' appears twice");
            }
        }
    }

    private static string?[] Fields(ManifestRow r) =>
    [
        r.Prompt, r.Variant.ToString(CultureInfo.InvariantCulture), r.File, r.Generator, r.Seed.ToString(CultureInfo.InvariantCulture),
        CsvWriter.Format(r.Guidance), r.Steps.ToString(CultureInfo.InvariantCulture), r.Width.ToString(CultureInfo.InvariantCulture),
        r.Height.ToString(CultureInfo.InvariantCulture), r.Sha256, r.Status, r.Error, r.Parameters, CsvWriter.Format(r.CreatedAt), r.Text, r.Language, r.Source,
    ];

    private static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex SafeId();
}
