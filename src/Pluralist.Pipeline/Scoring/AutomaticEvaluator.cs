using System.Globalization;
using System.Text.RegularExpressions;
using Pluralist.Core.Text;
using Pluralist.Files;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Scoring;

/// <summary>A criterion and the text images are scored against; <c>{prompt}</c> stands for the image's prompt.</summary>
public sealed record CriterionPrompt(string Criterion, string Template)
{
    public string Text(string prompt) => Template.Replace("{prompt}", prompt, StringComparison.Ordinal);
}

/// <summary>The criterion texts of the automatic evaluator: the prompt itself, then one per LIVS criterion.</summary>
public static partial class CriterionPrompts
{
    public const string Overall = "overall";

    /// <summary>
    /// <c>overall</c> (the prompt alone: CLIP score, PickScore and HPSv2 as published) and the six LIVS criteria, each
    /// the prompt followed by what the criterion asks (docs/pipeline.md); English or French.
    /// </summary>
    public static IReadOnlyList<CriterionPrompt> Default(string language = "en") => language.StartsWith("fr", StringComparison.OrdinalIgnoreCase)
        ?
        [
            new(Overall, "{prompt}"),
            new("accessibility", "{prompt}, un lieu accessible à tous, y compris en fauteuil roulant"),
            new("safety", "{prompt}, un lieu sûr, de jour comme de nuit"),
            new("comfort", "{prompt}, un lieu confortable où s'asseoir à l'ombre"),
            new("invitingness", "{prompt}, un lieu accueillant et animé"),
            new("inclusivity", "{prompt}, un lieu qui accueille des personnes de tous âges et de toutes origines"),
            new("diversity", "{prompt}, un lieu varié, avec des personnes et des usages divers"),
        ]
        :
        [
            new(Overall, "{prompt}"),
            new("accessibility", "{prompt}, an accessible place for everyone, including wheelchair users"),
            new("safety", "{prompt}, a safe place, by day and at night"),
            new("comfort", "{prompt}, a comfortable place with seats and shade"),
            new("invitingness", "{prompt}, an inviting, lively place"),
            new("inclusivity", "{prompt}, a place that welcomes people of every age and background"),
            new("diversity", "{prompt}, a varied place with diverse people and uses"),
        ];

    /// <summary>Reads <c>criterion,template</c> rows; every problem is reported as <c>file:line:col (field): message</c>.</summary>
    public static IReadOnlyList<CriterionPrompt> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var errors = new List<CsvError>();
        using var reader = new StreamReader(path, StrictUtf8.Encoding);
        var table = CsvTable.Parse(reader, path, errors);
        var result = new List<CriterionPrompt>();
        if (errors.Count == 0 && table.RequireColumns("criterion", "template"))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var row in table.Rows)
            {
                var c = table.String(row, "criterion");
                var t = table.String(row, "template");
                if (c.Length > 0 && !Key().IsMatch(c))
                {
                    table.AddError(row, "criterion", $"'{c}' is not a key (lower-case letters, digits and '-')");
                }
                else if (c.Length > 0 && !seen.Add(c))
                {
                    table.AddError(row, "criterion", $"'{c}' appears twice");
                }

                if (t.Length > 0 && !t.Contains("{prompt}", StringComparison.Ordinal))
                {
                    table.AddError(row, "template", "must contain {prompt} (the image's prompt)");
                }

                result.Add(new CriterionPrompt(c, t));
            }

            if (table.Rows.Count == 0)
            {
                errors.Add(new CsvError(path, 2, 0, string.Empty, "no criteria"));
            }
        }

        if (errors.Count > 0)
        {
            throw new InvalidDataException(string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
        }

        return result;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex Key();
}

/// <summary>
/// The scores of one prompt's images on every criterion. Everything derived from them stays within the prompt: the
/// share is the image's softmax probability among the prompt's images (PickScore's reading of the logits), the rank
/// is its place among them, and a pair's preference compares two of them.
/// </summary>
public sealed class PromptScores
{
    private readonly Dictionary<string, int> _index;

    internal PromptScores(string promptId, string promptText, IReadOnlyList<string> imageIds, IReadOnlyList<CriterionPrompt> criteria, ImageTextScore[][] scores)
    {
        PromptId = promptId;
        PromptText = promptText;
        ImageIds = imageIds;
        Criteria = criteria;
        Scores = scores;
        _index = imageIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
    }

    public string PromptId { get; }

    public string PromptText { get; }

    public IReadOnlyList<string> ImageIds { get; }

    public IReadOnlyList<CriterionPrompt> Criteria { get; }

    /// <summary>[image][criterion].</summary>
    public ImageTextScore[][] Scores { get; }

    /// <summary>exp(s_i) / Σ_j exp(s_j) over this prompt's images, for one criterion.</summary>
    public double Share(int criterion, int image)
    {
        double max = Scores.Max(s => s[criterion].Score), sum = Scores.Sum(s => Math.Exp(s[criterion].Score - max));
        return Math.Exp(Scores[image][criterion].Score - max) / sum;
    }

    /// <summary>1 for the best-scored image of the prompt on the criterion; equal scores share the better rank.</summary>
    public int Rank(int criterion, int image) => 1 + Scores.Count(s => s[criterion].Score > Scores[image][criterion].Score);

    /// <summary>
    /// The preference between two images of this prompt on a criterion, in [-1, 1] oriented to the pair's order as in
    /// the study's exports (-1 = image_0 strongly preferred): P(image_1) − P(image_0) under the two-image softmax,
    /// tanh((s1 − s0) / 2). An image of another prompt is refused: a scorer compares images of one prompt only.
    /// </summary>
    public double Preference(int criterion, string image0, string image1)
    {
        int Index(string id) => _index.TryGetValue(id, out var i)
            ? i
            : throw new ArgumentException($"image '{id}' is not one of prompt {PromptId}'s images; a scorer compares images of the same prompt only");
        return Math.Tanh((Scores[Index(image1)][criterion].Score - Scores[Index(image0)][criterion].Score) / 2);
    }
}

/// <summary>
/// Scores images per criterion text with a CLIP-architecture scorer (CLIP score, PickScore, HPSv2) and compares them
/// within their prompt only.
/// </summary>
public sealed class AutomaticEvaluator
{
    public AutomaticEvaluator(IImageTextScorer scorer, IReadOnlyList<CriterionPrompt>? criteria = null)
    {
        Scorer = scorer ?? throw new ArgumentNullException(nameof(scorer));
        Criteria = criteria ?? CriterionPrompts.Default();
        if (Criteria.Count == 0)
        {
            throw new ArgumentException("no criteria", nameof(criteria));
        }
    }

    public IImageTextScorer Scorer { get; }

    public IReadOnlyList<CriterionPrompt> Criteria { get; }

    /// <summary>Scores the images of one prompt (ids and images in the same order) on every criterion.</summary>
    public PromptScores ScorePrompt(string promptId, string promptText, IReadOnlyList<string> imageIds, IReadOnlyList<RgbaImage> images)
    {
        ArgumentNullException.ThrowIfNull(promptText);
        ArgumentNullException.ThrowIfNull(imageIds);
        ArgumentNullException.ThrowIfNull(images);
        if (imageIds.Count != images.Count || imageIds.Distinct(StringComparer.Ordinal).Count() != imageIds.Count)
        {
            throw new ArgumentException($"prompt {promptId}: {imageIds.Count} distinct image ids are needed for {images.Count} images", nameof(imageIds));
        }

        var scores = Scorer.Score(Criteria.Select(c => c.Text(promptText)).ToArray(), images);
        return new PromptScores(promptId, promptText, imageIds, Criteria, scores);
    }

    /// <summary>
    /// Scores a generation job's folder: every <c>ok</c> image of <c>manifest.csv</c> against its prompt's criterion texts
    /// (the manifest's <c>text</c>), then writes <c>scores.csv</c> (<c>prompt,variant,file,criterion,text,score,cosine,share,rank,scorer</c>)
    /// and <c>score-pairs.csv</c> (every pair of images of the same prompt: <c>prompt,image_0,image_1,criterion,preference,scorer</c>),
    /// both replaced together. A prompt without text, or an unreadable image, is an error naming it, and nothing is written.
    /// </summary>
    public IReadOnlyList<PromptScores> ScoreFolder(string folder, IProgress<string>? progress = null)
    {
        var manifestPath = Path.Combine(folder, "manifest.csv");
        var manifest = Images.GenerationJob.ReadManifest(manifestPath);
        var results = new List<PromptScores>();
        var files = new Dictionary<string, Images.ManifestRow>(StringComparer.Ordinal);
        foreach (var g in manifest.Values.Where(r => r.Status == "ok").GroupBy(r => r.Prompt, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            progress?.Report(g.Key);
            var rows = g.OrderBy(r => r.Variant).ToArray();
            var text = rows.Select(r => r.Text).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t))
                ?? throw new InvalidDataException($"{manifestPath} (text): prompt {g.Key} has no prompt text, so it cannot be scored (rerun images generate to record it)");
            foreach (var r in rows)
            {
                files[r.File] = r;
            }

            var images = rows.Select(r => Images.ImageCodec.DecodeFile(Path.Combine(folder, r.File))).ToArray();
            results.Add(ScorePrompt(g.Key, text, rows.Select(r => r.File).ToArray(), images));
        }

        if (results.Count == 0)
        {
            throw new InvalidDataException($"{manifestPath}: no images to score");
        }

        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        DurableFile.WriteAll(folder,
        [
            ("scores.csv", s =>
            {
                using var w = new StreamWriter(s, StrictUtf8.Encoding, leaveOpen: true);
                var csv = new CsvWriter(w);
                csv.WriteRow("prompt", "variant", "file", "criterion", "text", "score", "cosine", "share", "rank", "scorer");
                foreach (var p in results)
                {
                    for (int i = 0; i < p.ImageIds.Count; i++)
                    {
                        var m = files[p.ImageIds[i]];
                        for (int c = 0; c < p.Criteria.Count; c++)
                        {
                            csv.WriteRow(p.PromptId, m.Variant.ToString(CultureInfo.InvariantCulture), m.File, p.Criteria[c].Criterion, p.Criteria[c].Text(p.PromptText),
                                F(p.Scores[i][c].Score), F(p.Scores[i][c].Cosine), F(p.Share(c, i)), p.Rank(c, i).ToString(CultureInfo.InvariantCulture), Scorer.Name);
                        }
                    }
                }
            }),
            ("score-pairs.csv", s =>
            {
                using var w = new StreamWriter(s, StrictUtf8.Encoding, leaveOpen: true);
                var csv = new CsvWriter(w);
                csv.WriteRow("prompt", "image_0", "image_1", "criterion", "preference", "scorer");
                foreach (var p in results)
                {
                    for (int a = 0; a < p.ImageIds.Count; a++)
                    {
                        for (int b = a + 1; b < p.ImageIds.Count; b++)
                        {
                            for (int c = 0; c < p.Criteria.Count; c++)
                            {
                                csv.WriteRow(p.PromptId, p.ImageIds[a], p.ImageIds[b], p.Criteria[c].Criterion, F(p.Preference(c, p.ImageIds[a], p.ImageIds[b])), Scorer.Name);
                            }
                        }
                    }
                }
            }),
        ]);
        return results;
    }

    /// <summary>
    /// A quality hook for <see cref="Selection.FolderSelection"/> (MMR, quality-weighted): max(0, cos(image, prompt)),
    /// the prompt from the manifest's <c>text</c> column; 1 for a row without text.
    /// </summary>
    public static Func<Images.ManifestRow, double> ImageTextQuality(string folder, IImageTextScorer scorer)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        return row => string.IsNullOrEmpty(row.Text)
            ? 1
            : Math.Max(0, scorer.Score([row.Text], [Images.ImageCodec.DecodeFile(Path.Combine(folder, row.File))])[0][0].Cosine);
    }
}
