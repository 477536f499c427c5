using Pluralist.Pipeline.Clip;
using Pluralist.Pipeline.Images;
using Pluralist.Tensors;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Embedders;

/// <summary>Turns an image into a vector whose cosine similarity says how alike two images look.</summary>
public interface IImageEmbedder
{
    /// <summary>Name recorded with selections (<c>color-layout/1</c>, <c>clip</c>).</summary>
    string Name { get; }

    int Dimension { get; }

    /// <summary>Embeds several images (a batch where the implementation can): one vector each, L2-normalised.</summary>
    IReadOnlyList<float[]> Embed(IReadOnlyList<RgbaImage> images);
}

/// <summary>Helpers over any embedder.</summary>
public static class ImageEmbedderExtensions
{
    public static float[] Embed(this IImageEmbedder embedder, RgbaImage image)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        return embedder.Embed([image])[0];
    }

    /// <summary>Decodes (<see cref="ImageCodec"/>: PNG, JPEG, WebP) and embeds image files; a file that does not decode is an error naming it.</summary>
    public static IReadOnlyList<float[]> EmbedImageFiles(this IImageEmbedder embedder, IReadOnlyList<string> paths, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(paths);
        var result = new List<float[]>(paths.Count);
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            var batch = paths.Skip(start).Take(batchSize).Select(p => ImageCodec.DecodeFile(p)).ToArray();
            result.AddRange(embedder.Embed(batch));
        }

        return result;
    }

    internal static float[] Normalize(float[] v)
    {
        double n = 0;
        foreach (var x in v)
        {
            n += (double)x * x;
        }

        if (n > 0)
        {
            float inv = (float)(1 / Math.Sqrt(n));
            for (int i = 0; i < v.Length; i++)
            {
                v[i] *= inv;
            }
        }

        return v;
    }
}

/// <summary>
/// The offline default: no weights, no training. Two equally weighted parts, each L2-normalised:
/// (1) a joint RGB colour histogram with 4 levels per channel (64 bins), square-rooted (Hellinger), so that cosine
/// similarity is the Bhattacharyya coefficient of the colour distributions; (2) an 8 x 8 area-averaged thumbnail of
/// RGB values mapped to [-1, 1] (192 values), which sees layout (sky on top, a road down the middle). It separates
/// images that differ in palette or composition and is blind to semantics (two different parks in the same light look
/// alike to it): use CLIP where weights are available.
/// </summary>
public sealed class ColorLayoutEmbedder : IImageEmbedder
{
    private const int Levels = 4;
    private const int Thumb = 8;

    public string Name => "color-layout/1";

    public int Dimension => Levels * Levels * Levels + Thumb * Thumb * 3;

    public IReadOnlyList<float[]> Embed(IReadOnlyList<RgbaImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Select(EmbedOne).ToArray();
    }

    private float[] EmbedOne(RgbaImage image)
    {
        var hist = new float[Levels * Levels * Levels];
        var px = image.Pixels;
        for (int i = 0; i < px.Length; i += 4)
        {
            hist[(px[i] * Levels >> 8) * Levels * Levels + (px[i + 1] * Levels >> 8) * Levels + (px[i + 2] * Levels >> 8)]++;
        }

        for (int i = 0; i < hist.Length; i++)
        {
            hist[i] = MathF.Sqrt(hist[i]);
        }

        // Thumbnail: ClipPreprocess's area sampler would crop; here the whole image is squeezed into 8 x 8.
        var thumb = new float[Thumb * Thumb * 3];
        for (int ty = 0; ty < Thumb; ty++)
        {
            int y0 = ty * image.Height / Thumb, y1 = Math.Max(y0 + 1, (ty + 1) * image.Height / Thumb);
            for (int tx = 0; tx < Thumb; tx++)
            {
                int x0 = tx * image.Width / Thumb, x1 = Math.Max(x0 + 1, (tx + 1) * image.Width / Thumb);
                double r = 0, g = 0, b = 0;
                int n = 0;
                for (int y = y0; y < Math.Min(y1, image.Height); y++)
                {
                    for (int x = x0; x < Math.Min(x1, image.Width); x++)
                    {
                        int o = (y * image.Width + x) * 4;
                        r += px[o];
                        g += px[o + 1];
                        b += px[o + 2];
                        n++;
                    }
                }

                int t = (ty * Thumb + tx) * 3;
                thumb[t] = (float)(r / n / 127.5 - 1);
                thumb[t + 1] = (float)(g / n / 127.5 - 1);
                thumb[t + 2] = (float)(b / n / 127.5 - 1);
            }
        }

        ImageEmbedderExtensions.Normalize(hist);
        ImageEmbedderExtensions.Normalize(thumb);
        var v = new float[Dimension];
        float w = MathF.Sqrt(0.5f);
        for (int i = 0; i < hist.Length; i++)
        {
            v[i] = hist[i] * w;
        }

        for (int i = 0; i < thumb.Length; i++)
        {
            v[hist.Length + i] = thumb[i] * w;
        }

        return v;
    }
}

/// <summary>CLIP image embeddings (visual_projection of the class token), L2-normalised.</summary>
public sealed class ClipImageEmbedder(ClipModel model, int batchSize = 8, string name = "clip") : IImageEmbedder
{
    public string Name => name;

    public int Dimension => model.Config.ProjectionDim;

    public IReadOnlyList<float[]> Embed(IReadOnlyList<RgbaImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        int s = model.Config.ImageSize, e = model.Config.ProjectionDim;
        var result = new List<float[]>(images.Count);
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int b = Math.Min(batchSize, images.Count - start);
            var pixels = new float[b * 3 * s * s];
            for (int i = 0; i < b; i++)
            {
                ClipPreprocess.ToPixels(images[start + i], s, pixels, i * 3 * s * s);
            }

            var emb = model.EncodeImage(new Tensor(pixels, b, 3, s, s)); // (b, E)
            for (int i = 0; i < b; i++)
            {
                result.Add(ImageEmbedderExtensions.Normalize(emb.Data.AsSpan(i * e, e).ToArray()));
            }
        }

        return result;
    }
}

/// <summary>
/// CLIP text embeddings (text_projection at the end token), L2-normalised; with <see cref="ClipImageEmbedder"/> gives
/// image-text similarity. Assumes the vocabulary's end token has the largest id (true of the public CLIP vocabularies).
/// </summary>
public sealed class ClipTextEmbedder(ClipModel model, ClipTokenizer tokenizer)
{
    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (tokenizer.ContextLength > model.Config.ContextLength)
        {
            throw new InvalidOperationException($"the tokenizer's context length {tokenizer.ContextLength} exceeds the model's {model.Config.ContextLength}");
        }

        int e = model.Config.ProjectionDim, b = texts.Count, l = tokenizer.ContextLength;
        if (b == 0)
        {
            return [];
        }

        var ids = tokenizer.EncodeBatch(texts); // (B, L)
        // The tower is causal and pooled at the end token, so positions after the last end token of the batch cannot
        // change any embedding: run only the first `used` positions (15 tokens instead of 77 for a short prompt).
        int used = 0;
        for (int r = 0; r < b; r++)
        {
            int at = 0;
            for (int i = 1; i < l; i++)
            {
                if (ids[r * l + i] > ids[r * l + at])
                {
                    at = i;
                }
            }

            used = Math.Max(used, at + 1);
        }

        var trimmed = new int[b * used]; // (B, used)
        for (int r = 0; r < b; r++)
        {
            Array.Copy(ids, r * l, trimmed, r * used, used);
        }

        var emb = model.EncodeText(trimmed, b); // (B, E)
        return Enumerable.Range(0, b).Select(i => ImageEmbedderExtensions.Normalize(emb.Data.AsSpan(i * e, e).ToArray())).ToArray();
    }
}
