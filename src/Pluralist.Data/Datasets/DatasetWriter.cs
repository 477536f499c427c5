using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Pluralist.Core.Cleaning;
using Pluralist.Core.Preferences;

namespace Pluralist.Data.Datasets;

/// <summary>Everything a dataset export needs, in memory.</summary>
public sealed record DatasetInput
{
    public required string StudyName { get; init; }

    public required IReadOnlyList<string> Criteria { get; init; }

    public required string Protocol { get; init; }

    public required IReadOnlyList<PreferenceLabel> Labels { get; init; }

    /// <summary>Caption (prompt text) per prompt id.</summary>
    public required IReadOnlyDictionary<long, string> Captions { get; init; }

    /// <summary>Absolute path of each image file per image id.</summary>
    public required IReadOnlyDictionary<long, string> ImagePaths { get; init; }

    /// <summary>Consented identity group per participant; a label's group is written only if it matches.</summary>
    public IReadOnlyDictionary<long, string> ConsentedGroups { get; init; } = new Dictionary<long, string>();

    /// <summary>Groups with fewer participants than this are left out (written as no group) with a warning.</summary>
    public int MinGroupSize { get; init; } = 5;

    public CleaningReport? Cleaning { get; init; }

    public int SplitSeed { get; init; }

    /// <summary>Share of prompts in the validation split (by prompt; the rest after test is train).</summary>
    public double ValidationShare { get; init; } = 0.1;

    /// <summary>Share of prompts in the test split.</summary>
    public double TestShare { get; init; } = 0.1;

    /// <summary>Warnings raised before the export (for example answers left out as not cleaned); written to the datasheet.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>How the rows were cleaned, for the datasheet (for example the cleaning run id and date).</summary>
    public string? CleaningProvenance { get; init; }

    public string Licence { get; init; } = "CC BY 4.0";

    /// <summary>Generator of each image (<c>model_0</c> / <c>model_1</c> in Parquet datasets), where known.</summary>
    public IReadOnlyDictionary<long, string> ImageModels { get; init; } = new Dictionary<long, string>();

    /// <summary>
    /// Labels made from a synthetic run, included only when asked for by name (<c>dataset build --include-synthetic</c>);
    /// written after people's with <c>synthetic_run</c> set (the column exists only in datasets that include a run).
    /// </summary>
    public IReadOnlyList<PreferenceLabel> SyntheticLabels { get; init; } = [];

    /// <summary>The synthetic run <see cref="SyntheticLabels"/> come from, as the datasheet names it; null when none is included.</summary>
    public string? SyntheticRun { get; init; }

    /// <summary>People's labels, then the synthetic ones.</summary>
    public IEnumerable<(PreferenceLabel Label, bool Synthetic)> AllLabels =>
        Labels.Select(l => (l, false)).Concat(SyntheticLabels.Select(l => (l, true)));
}

/// <summary>What an export wrote, and the warnings it raised.</summary>
public sealed record DatasetResult(int Rows, int Images, IReadOnlyDictionary<string, int> RowsPerSplit, IReadOnlyList<string> Warnings)
{
    /// <summary>Tied labels (label_0 = 0.5) left out (Parquet layout, <see cref="TiePolicy.Drop"/>).</summary>
    public int TiesDropped { get; init; }

    /// <summary>Tied labels kept with a resolved label_0 (Parquet layout, <see cref="TiePolicy.KeepSoft"/>).</summary>
    public int TiesKept { get; init; }
}

/// <summary>
/// Writes a preference dataset: <c>pairs.jsonl</c> (Pick-a-Pic layout plus provenance),
/// <c>pairs.csv</c>, <c>images/</c> with <c>metadata.jsonl</c> and <c>metadata.csv</c> (image-folder
/// layout), and a README.md datasheet.
/// </summary>
public static class DatasetWriter
{
    public static DatasetResult Write(DatasetInput input, string outDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        var plan = DatasetPlan.Make(input);
        var warnings = plan.Warnings;
        var splits = plan.Splits;
        Directory.CreateDirectory(outDir);
        var imagesDir = Path.Combine(outDir, "images");
        Directory.CreateDirectory(imagesDir);
        var fileNames = new Dictionary<long, string>();
        foreach (var img in input.AllLabels.SelectMany(x => new[] { x.Label.Image0Id, x.Label.Image1Id }).Distinct().Order())
        {
            var src = input.ImagePaths[img];
            var name = img.ToString(CultureInfo.InvariantCulture) + Path.GetExtension(src).ToLowerInvariant();
            File.Copy(src, Path.Combine(imagesDir, name), overwrite: true);
            fileNames[img] = name;
        }

        var perSplit = new Dictionary<string, int>();
        using (var jsonl = new StreamWriter(Path.Combine(outDir, "pairs.jsonl"), false, new UTF8Encoding(false)))
        using (var csv = new StreamWriter(Path.Combine(outDir, "pairs.csv"), false, new UTF8Encoding(false)))
        {
            var withRun = input.SyntheticRun is not null;
            csv.WriteLine("split,pair_id,caption,jpg_0,jpg_1,label_0,soft_label,criterion,weight,participant,group,source_answers" + (withRun ? ",synthetic_run" : ""));
            foreach (var (l, synthetic) in input.AllLabels)
            {
                var split = splits[l.PromptId];
                perSplit[split] = perSplit.GetValueOrDefault(split) + 1;
                var group = plan.SafeGroup(l);
                var o = new JsonObject
                {
                    ["split"] = split,
                    ["pair_id"] = l.PairId,
                    ["caption"] = input.Captions[l.PromptId],
                    ["jpg_0"] = "images/" + fileNames[l.Image0Id],
                    ["jpg_1"] = "images/" + fileNames[l.Image1Id],
                    ["label_0"] = l.Label0,
                    ["soft_label"] = l.SoftLabel,
                    ["criterion"] = l.Criterion,
                    ["weight"] = l.Weight,
                    ["participant"] = l.ParticipantId,
                    ["group"] = group,
                    ["source_answers"] = new JsonArray(l.SourceAnswers.Select(a => (JsonNode)a).ToArray()),
                };
                if (withRun)
                {
                    o["synthetic_run"] = synthetic ? input.SyntheticRun : null;
                }

                jsonl.WriteLine(o.ToJsonString());
                csv.WriteLine(string.Join(",", [
                    split, l.PairId.ToString(CultureInfo.InvariantCulture), Csv(input.Captions[l.PromptId]),
                    "images/" + fileNames[l.Image0Id], "images/" + fileNames[l.Image1Id],
                    l.Label0.ToString("R", CultureInfo.InvariantCulture), l.SoftLabel.ToString("R", CultureInfo.InvariantCulture),
                    Csv(l.Criterion ?? ""), l.Weight.ToString("R", CultureInfo.InvariantCulture),
                    l.ParticipantId?.ToString(CultureInfo.InvariantCulture) ?? "", Csv(group ?? ""),
                    string.Join(";", l.SourceAnswers)]) + (withRun ? "," + Csv(synthetic ? input.SyntheticRun! : "") : ""));
            }
        }

        var imagePrompt = input.AllLabels.SelectMany(x => new[] { (x.Label.Image0Id, x.Label.PromptId), (x.Label.Image1Id, x.Label.PromptId) }).Distinct().OrderBy(x => x.Item1).ToList();
        using (var meta = new StreamWriter(Path.Combine(imagesDir, "metadata.jsonl"), false, new UTF8Encoding(false)))
        using (var metaCsv = new StreamWriter(Path.Combine(imagesDir, "metadata.csv"), false, new UTF8Encoding(false)))
        {
            metaCsv.WriteLine("file_name,text,prompt_id,split");
            foreach (var (img, prompt) in imagePrompt)
            {
                meta.WriteLine(new JsonObject { ["file_name"] = fileNames[img], ["text"] = input.Captions[prompt], ["prompt_id"] = prompt, ["split"] = splits[prompt] }.ToJsonString());
                metaCsv.WriteLine($"{fileNames[img]},{Csv(input.Captions[prompt])},{prompt.ToString(CultureInfo.InvariantCulture)},{splits[prompt]}");
            }
        }

        File.WriteAllText(Path.Combine(outDir, "README.md"), Datasheet(input, perSplit, fileNames.Count, warnings, JsonlFiles), new UTF8Encoding(false));
        return new DatasetResult(input.Labels.Count + input.SyntheticLabels.Count, fileNames.Count, perSplit, warnings);
    }

    /// <summary>Reads a pairs.jsonl back into labels (groups and captions are not part of a label).</summary>
    public static List<(PreferenceLabel Label, string Split, string Caption)> ReadPairs(string path)
    {
        var result = new List<(PreferenceLabel, string, string)>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            var o = JsonNode.Parse(line)?.AsObject() ?? throw new InvalidDataException($"{path}:{n}: empty line");
            string img(string k) => Path.GetFileNameWithoutExtension(o[k]!.GetValue<string>());
            var label = new PreferenceLabel(
                o["pair_id"]!.GetValue<long>(), 0,
                long.Parse(img("jpg_0"), CultureInfo.InvariantCulture), long.Parse(img("jpg_1"), CultureInfo.InvariantCulture),
                o["criterion"]?.GetValue<string>(), o["label_0"]!.GetValue<double>(), o["soft_label"]!.GetValue<double>(),
                o["weight"]!.GetValue<double>(), o["participant"]?.GetValue<long>(), o["group"]?.GetValue<string>(),
                o["source_answers"]!.AsArray().Select(x => x!.GetValue<long>()).ToList());
            result.Add((label, o["split"]!.GetValue<string>(), o["caption"]!.GetValue<string>()));
        }

        return result;
    }

    // Quoted, and neutralised against formula injection, by the one CSV writer.
    private static string Csv(string s) => Pluralist.Core.Text.CsvWriter.Escape(s);

    private const string JsonlFiles = "`pairs.jsonl` / `pairs.csv`: caption, jpg_0, jpg_1, label_0, soft_label, criterion, weight, participant, group, source_answers (AnnotationScore ids), split. `images/metadata.jsonl` / `metadata.csv`: image-folder layout (file_name, text).";

    /// <summary>The datasheet (README.md body): study, protocol, splits, licence, cleaning provenance, warnings, then <paramref name="files"/>.</summary>
    internal static string Datasheet(DatasetInput input, IReadOnlyDictionary<string, int> perSplit, int images, IReadOnlyList<string> warnings, string files)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.Append(ci, $"# {input.StudyName}: preference dataset\n\n");
        sb.Append(ci, $"- Criteria: {string.Join(", ", input.Criteria)}\n");
        sb.Append(ci, $"- Label protocol: `{input.Protocol}` (label_0 = 1 when image_0 is preferred, 0 when image_1 is, 0.5 tie; soft_label = p(image_0 preferred))\n");
        sb.Append(ci, $"- Rows: {input.Labels.Count + input.SyntheticLabels.Count}, images: {images}\n");
        if (input.SyntheticRun is not null)
        {
            sb.Append(ci, $"- **Synthetic rows**: {input.SyntheticLabels.Count} of the rows are not people's answers but a model's, from synthetic run `{input.SyntheticRun}` (included by name; column `synthetic_run`, empty on people's rows; their `participant` is empty and `source_answers` are synthetic answer ids)\n");
        }

        sb.Append(ci, $"- Splits by prompt (seed {input.SplitSeed}, no prompt in two splits): {string.Join(", ", perSplit.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))}\n");
        sb.Append(ci, $"- Licence: {input.Licence}\n");
        sb.Append(ci, $"- Identity groups: only consented markers, groups below {input.MinGroupSize} participants left out\n\n");
        sb.Append("## Cleaning\n\n");
        if (input.Cleaning is { } c)
        {
            sb.Append(ci, $"Rules version `{c.RulesVersion}`{(input.CleaningProvenance is { } prov ? $" ({prov})" : "")}: {c.RowsIn} answers in, {c.RowsOut} out.\n\n| stage | rule | reason | rows in | dropped | rows out |\n|---|---|---|---|---|---|\n");
            foreach (var s in c.Stages)
            {
                sb.Append(ci, $"| {s.Stage} | {s.Rule} | {s.ReasonCode} | {s.RowsIn} | {s.Dropped} | {s.RowsOut} |\n");
            }
        }
        else
        {
            sb.Append("No cleaning run: labels were built from uncleaned answers.\n");
        }

        if (warnings.Count > 0)
        {
            sb.Append("\n## Warnings\n\n");
            foreach (var w in warnings)
            {
                sb.Append("- ").Append(w).Append('\n');
            }
        }

        sb.Append("\n## Files\n\n").Append(files).Append('\n');
        return sb.ToString();
    }
}
