using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Onnx;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Reward;

/// <summary>The frozen image-text backbone under a <see cref="RewardModel"/>: one embedding per image and per prompt.</summary>
public interface IRewardBackbone
{
    /// <summary>Recorded in the model; scoring refuses another backbone (<c>world-clip</c>, <c>onnx-clip:FOLDER</c>).</summary>
    string Name { get; }

    int ImageDim { get; }

    int TextDim { get; }

    IReadOnlyList<float[]> EmbedImages(IReadOnlyList<RgbaImage> images);

    IReadOnlyList<float[]> EmbedTexts(IReadOnlyList<string> texts);
}

/// <summary>The shipped world-clip (or any CLIP checkpoint run by the tensor engine): the offline default.</summary>
public sealed class WorldClipBackbone(WorldClip clip, string name = WorldClip.Name) : IRewardBackbone
{
    private readonly Embedders.ClipImageEmbedder _images = clip.ImageEmbedder();
    private readonly Embedders.ClipTextEmbedder _texts = clip.TextEmbedder();

    public string Name => name;

    public int ImageDim => clip.Model.Config.ProjectionDim;

    public int TextDim => clip.Model.Config.ProjectionDim;

    public IReadOnlyList<float[]> EmbedImages(IReadOnlyList<RgbaImage> images) => _images.Embed(images);

    public IReadOnlyList<float[]> EmbedTexts(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new List<float[]>(texts.Count);
        for (int start = 0; start < texts.Count; start += 64)
        {
            result.AddRange(_texts.Embed(texts.Skip(start).Take(64).ToList()));
        }

        return result;
    }
}

/// <summary>A real CLIP exported to ONNX, run by ONNX Runtime (docs/pipeline.md section 8).</summary>
public sealed class OnnxClipBackbone(OnnxClipModel model) : IRewardBackbone
{
    public string Name { get; } = "onnx-clip:" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath((model ?? throw new ArgumentNullException(nameof(model))).Folder)));

    public int ImageDim => model.Dimension;

    public int TextDim => model.Dimension;

    public IReadOnlyList<float[]> EmbedImages(IReadOnlyList<RgbaImage> images) => model.EmbedImages(images);

    public IReadOnlyList<float[]> EmbedTexts(IReadOnlyList<string> texts) => model.EmbedTexts(texts);
}
