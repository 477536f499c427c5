using System.Globalization;
using Pluralist.Core.Text;
using Pluralist.Files;
using Pluralist.Pipeline.Embedders;
using Pluralist.Pipeline.Images;

namespace Pluralist.Pipeline.Selection;

/// <summary>
/// Selection over a generation job's output folder: reads <c>manifest.csv</c>, embeds every <c>ok</c> image of each
/// prompt, keeps k per prompt with <see cref="SelectionJob"/>, and writes <c>selection.csv</c> (prompt, variant, file,
/// sha256, rank, embedder, method) and <c>selection-report.csv</c> (one row per prompt with the Vendi scores of the
/// selected set, of random sets, and of all candidates). Both files are replaced together.
/// </summary>
public static class FolderSelection
{
    /// <param name="folder">A generation job's output folder.</param>
    /// <param name="embedder">Turns each image into a vector.</param>
    /// <param name="options">k, method, baseline draws, seed.</param>
    /// <param name="progress">Receives each prompt id as it is embedded.</param>
    /// <param name="quality">Quality (MMR relevance, or the weight of the quality-weighted method) of each image, >= 0;
    /// 1 for every image when null. For example a CLIP image-text score, or 0 for images reported broken.</param>
    public static SelectionReport Run(string folder, IImageEmbedder embedder, SelectionOptions options, IProgress<string>? progress = null, Func<ManifestRow, double>? quality = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(options);
        var manifest = GenerationJob.ReadManifest(Path.Combine(folder, "manifest.csv"));
        if (manifest.Count == 0)
        {
            throw new InvalidDataException($"{Path.Combine(folder, "manifest.csv")}: no images to select from");
        }

        var rows = new Dictionary<string, ManifestRow>(StringComparer.Ordinal);
        var groups = new List<CandidateGroup>();
        foreach (var g in manifest.Values.Where(r => r.Status == "ok").GroupBy(r => r.Prompt, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            progress?.Report(g.Key);
            var ordered = g.OrderBy(r => r.Variant).ToArray();
            var vectors = embedder.EmbedImageFiles(ordered.Select(r => Path.Combine(folder, r.File)).ToArray());
            groups.Add(new CandidateGroup(g.Key, ordered.Select((r, i) =>
            {
                rows[r.File] = r;
                return new Candidate(r.File, vectors[i], quality?.Invoke(r) ?? 1);
            }).ToArray()));
        }

        var report = SelectionJob.Run(groups, options);
        DurableFile.WriteAll(folder,
        [
            ("selection.csv", s =>
            {
                using var w = new StreamWriter(s, StrictUtf8.Encoding, leaveOpen: true);
                var csv = new CsvWriter(w);
                csv.WriteRow("prompt", "variant", "file", "sha256", "rank", "embedder", "method");
                foreach (var r in report.Results)
                {
                    for (int i = 0; i < r.Selected.Count; i++)
                    {
                        var m = rows[r.Selected[i]];
                        csv.WriteRow(m.Prompt, m.Variant.ToString(CultureInfo.InvariantCulture), m.File, m.Sha256, (i + 1).ToString(CultureInfo.InvariantCulture),
                            embedder.Name, options.Method.ToToken());
                    }
                }
            }),
            ("selection-report.csv", s =>
            {
                using var w = new StreamWriter(s, StrictUtf8.Encoding, leaveOpen: true);
                report.WriteCsv(w);
            }),
        ]);
        return report;
    }
}
