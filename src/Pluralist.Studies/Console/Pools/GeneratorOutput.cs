using Pluralist.Core.Model;
using Pluralist.Core.Text;
using Pluralist.Data.Imports;

namespace Pluralist.Studies.Console.Pools;

/// <summary>
/// A pool from what <c>pluralist images generate</c> writes (<c>manifest.csv</c> and <c>images/</c>), narrowed to what
/// <c>images select</c> kept when <c>selection.csv</c> is there. Each image keeps its prompt's text, language and source
/// (human, scenario, llm-1..3, template), its generator, seed, guidance, steps and the generator's parameters. Failed variants
/// are left out; every problem is located (<c>manifest.csv:line:col (field)</c>) and nothing is stored while there is one.
/// </summary>
internal static class GeneratorOutput
{
    public const string ManifestCsv = "manifest.csv";
    public const string SelectionCsv = "selection.csv";

    public static List<PoolImage> Read(PoolSource source, ImportLimits limits, ImportErrors errors)
    {
        if (PoolUploads.ReadText(source, ManifestCsv, errors) is not { } text)
        {
            return [];
        }

        var manifest = CsvTable.Parse(new StringReader(text), ManifestCsv, errors.List);
        errors.Trim();
        if (!manifest.RequireColumns("prompt", "variant", "file", "generator", "seed", "guidance", "steps", "status"))
        {
            return [];
        }

        // An interrupted job appends; the latest row of a variant is the one that counts.
        var latest = new Dictionary<(string Prompt, string Variant), CsvRecord>();
        foreach (var row in manifest.Rows)
        {
            latest[(manifest.String(row, "prompt"), manifest.String(row, "variant"))] = row;
        }

        var rows = latest.Values.Where(r => manifest.String(r, "status") == "ok").OrderBy(r => r.Line).ToList();
        if (source.Contains(SelectionCsv) && Selected(source, manifest, rows, errors) is { } kept)
        {
            rows = kept;
        }

        var images = new List<PoolImage>();
        var files = new Dictionary<string, int>(StringComparer.Ordinal);
        var hashes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (ReadRow(source, limits, manifest, row, files, hashes) is { } image)
            {
                images.Add(image);
            }

            errors.Trim();
        }

        if (rows.Count == 0 && errors.Count == 0)
        {
            errors.Add(new CsvError(ManifestCsv, 0, 0, string.Empty, "no image rendered without error: nothing to add"));
        }

        return images;
    }

    /// <summary>The manifest rows named by selection.csv, in its order; null (with errors) when it cannot be read.</summary>
    private static List<CsvRecord>? Selected(PoolSource source, CsvTable manifest, List<CsvRecord> ok, ImportErrors errors)
    {
        if (PoolUploads.ReadText(source, SelectionCsv, errors) is not { } text)
        {
            return null;
        }

        var selection = CsvTable.Parse(new StringReader(text), SelectionCsv, errors.List);
        if (!selection.RequireColumns("prompt", "variant", "file"))
        {
            return null;
        }

        var byFile = ok.ToDictionary(r => manifest.String(r, "file"), StringComparer.Ordinal);
        var kept = new List<CsvRecord>();
        foreach (var row in selection.Rows)
        {
            var file = selection.String(row, "file");
            if (!byFile.TryGetValue(file, out var m))
            {
                selection.AddError(row, "file", $"{file} is not an image the manifest lists as rendered (status ok)");
            }
            else if (manifest.String(m, "prompt") != selection.String(row, "prompt") || manifest.String(m, "variant") != selection.String(row, "variant"))
            {
                selection.AddError(row, "file", $"{file} is prompt {manifest.String(m, "prompt")} variant {manifest.String(m, "variant")} in the manifest (line {m.Line}), not prompt {selection.String(row, "prompt")} variant {selection.String(row, "variant")}");
            }
            else
            {
                kept.Add(m);
            }
        }

        if (selection.Rows.Count == 0)
        {
            errors.Add(new CsvError(SelectionCsv, 2, 0, string.Empty, "selects no image"));
        }

        return kept;
    }

    private static PoolImage? ReadRow(PoolSource source, ImportLimits limits, CsvTable table, CsvRecord row, Dictionary<string, int> files, Dictionary<string, int> hashes)
    {
        var promptId = table.String(row, "prompt");
        var file = table.String(row, "file");
        var generator = table.String(row, "generator");
        var seed = table.Long(row, "seed");
        var guidance = table.Double(row, "guidance");
        var steps = table.Int(row, "steps");
        var text = table.HasColumn("text") ? table.OptionalString(row, "text")?.Trim() : null;
        if (string.IsNullOrEmpty(text))
        {
            table.AddError(row, "text", $"no prompt text for prompt {promptId}: the manifest predates the text column; run pluralist images generate again on the same folder (it resumes) to record it");
        }

        var language = ((table.HasColumn("language") ? table.OptionalString(row, "language") : null) ?? "en").Trim().ToLowerInvariant();
        if (language.Length is < 2 or > 8 || !language.All(char.IsAsciiLetterLower))
        {
            table.AddError(row, "language", $"'{language}' is not a language tag (en, fr, …)");
        }

        var promptSource = PromptSource.Human;
        if ((table.HasColumn("source") ? table.OptionalString(row, "source") : null) is { } s && !Tokens.TryParse(s, out promptSource))
        {
            table.AddError(row, "source", $"'{s}' is not one of {string.Join(", ", Tokens.All<PromptSource>())}");
        }

        var parameters = table.HasColumn("parameters") ? table.OptionalString(row, "parameters") : null;
        parameters = parameters is "null" ? null : parameters;
        if (parameters is not null && !IsJsonObject(parameters))
        {
            table.AddError(row, "parameters", "is not a JSON object");
        }

        if (PoolUploads.Inspect(source, limits, table, row, file, files, hashes) is not { } facts)
        {
            return null;
        }

        if ((table.HasColumn("sha256") ? table.OptionalString(row, "sha256") : null) is { Length: > 0 } recorded && !string.Equals(recorded, facts.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            table.AddError(row, "sha256", $"{file} is not the file the generator wrote (SHA-256 {facts.Sha256}, recorded {recorded})");
            return null;
        }

        return new PoolImage(row.Line, file, facts, text ?? "", language, promptSource, generator, seed, guidance, steps, parameters, promptId);
    }

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
