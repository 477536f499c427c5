using Pluralist.Pipeline.Onnx;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Scoring;

/// <summary>What a CLIP-architecture scorer reports for an image and a text.</summary>
public enum ScoreKind
{
    /// <summary>
    /// exp(logit_scale) · cos(image, text): the logit that PickScore (Kirstain et al. 2023) and HPSv2 (Wu et al. 2023)
    /// were trained on, softmaxed over the images of one prompt. PickScore reports it as is; HPSv2's own script prints the
    /// cosine (this score divided by the logit scale, 100).
    /// </summary>
    Preference,

    /// <summary>CLIP score as torchmetrics reports it: 100 · max(cos(image, text), 0) (Hessel et al. 2021 use 2.5 instead of 100).</summary>
    ClipScore,
}

/// <summary>Names of <see cref="ScoreKind"/> on the command line and in files.</summary>
public static class ScoreKinds
{
    public static IReadOnlyList<string> All { get; } = ["preference", "clip-score"];

    public static string ToToken(this ScoreKind kind) => kind == ScoreKind.ClipScore ? "clip-score" : "preference";

    public static bool TryParse(string? text, out ScoreKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "preference":
            case "pickscore":
            case "hpsv2":
                kind = ScoreKind.Preference;
                return true;
            case "clip-score":
            case "clipscore":
                kind = ScoreKind.ClipScore;
                return true;
            default:
                kind = ScoreKind.Preference;
                return false;
        }
    }
}

/// <summary>One image's score against one text, with the cosine it comes from.</summary>
public readonly record struct ImageTextScore(double Score, double Cosine);

/// <summary>Scores images against a text. Scores are comparable between images of the same text only.</summary>
public interface IImageTextScorer
{
    /// <summary>Recorded with every score (<c>preference:onnx-clip:pickscore</c>).</summary>
    string Name { get; }

    ScoreKind Kind { get; }

    /// <summary>The factor that turns a cosine into a preference logit (exp(logit_scale)).</summary>
    double LogitScale { get; }

    /// <summary>Scores every image against every text: [image][text]. Each image is embedded once.</summary>
    ImageTextScore[][] Score(IReadOnlyList<string> texts, IReadOnlyList<RgbaImage> images);
}

/// <summary>A CLIP-architecture model run by ONNX Runtime as a scorer: CLIP score, PickScore, HPSv2 (see <see cref="ScoreKind"/>).</summary>
public sealed class OnnxClipScorer(OnnxClipModel model, ScoreKind kind) : IImageTextScorer
{
    private readonly Dictionary<string, float[]> _texts = new(StringComparer.Ordinal);

    public string Name { get; } = kind.ToToken() + ":" + new OnnxClipImageEmbedder(model).Name;

    public ScoreKind Kind => kind;

    public double LogitScale => model.LogitScale;

    public ImageTextScore[][] Score(IReadOnlyList<string> texts, IReadOnlyList<RgbaImage> images)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(images);
        var missing = texts.Where(t => !_texts.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToArray();
        var embedded = model.EmbedTexts(missing);
        for (int i = 0; i < missing.Length; i++)
        {
            _texts[missing[i]] = embedded[i];
        }

        var t = texts.Select(x => _texts[x]).ToArray();
        return model.EmbedImages(images).Select(i => t.Select(tv =>
        {
            double cos = OnnxClipModel.Dot(i, tv);
            return new ImageTextScore(kind == ScoreKind.ClipScore ? 100 * Math.Max(cos, 0) : model.LogitScale * cos, cos);
        }).ToArray()).ToArray();
    }
}
