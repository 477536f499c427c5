using Pluralist.Pipeline.Embedders;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Onnx;

/// <summary>Image embeddings of an ONNX CLIP model (its own preprocessing), L2-normalised; for <c>images select</c>.</summary>
public sealed class OnnxClipImageEmbedder(OnnxClipModel model, int batchSize = 16) : IImageEmbedder
{
    /// <summary><c>onnx-clip:FOLDER</c>, recorded with every selection.</summary>
    public string Name { get; } = "onnx-clip:" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath((model ?? throw new ArgumentNullException(nameof(model))).Folder)));

    public int Dimension => model.Dimension;

    public IReadOnlyList<float[]> Embed(IReadOnlyList<RgbaImage> images) => model.EmbedImages(images, batchSize);
}
