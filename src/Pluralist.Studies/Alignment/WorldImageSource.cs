using System.Collections.Concurrent;
using Pluralist.Diffusion;
using Pluralist.World.Imaging;
using Pluralist.World.Prompts;
using Pluralist.World.Scenes;

namespace Pluralist.Studies.Alignment;

/// <summary>
/// The procedural world as base-training data: item i is the scene drawn from the typology prior with seed
/// (seed, i), rendered at 4x the model's resolution and box-filtered down (anti-aliased), with its English caption
/// (even i) or French caption (odd i). Items are rendered on first use and kept.
/// </summary>
public sealed class WorldImageSource : IImageCaptionSource
{
    /// <summary>Render oversampling factor before the box filter.</summary>
    public const int Oversample = 4;

    private readonly ConcurrentDictionary<int, (SceneSpec Spec, float[] Pixels)> _cache = new();

    public WorldImageSource(int count, int imageSize, int seed)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "at least one scene");
        }

        if (imageSize < 8 || imageSize * Oversample > SceneRenderer.MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(imageSize), $"image size {imageSize} is outside 8..{SceneRenderer.MaxSize / Oversample}");
        }

        Count = count;
        ImageSize = imageSize;
        Seed = seed;
    }

    public int Count { get; }

    public int ImageSize { get; }

    public int Seed { get; }

    /// <summary>The scene of item <paramref name="index"/> (drawn, not rendered).</summary>
    public SceneSpec Spec(int index) => Draw(Seed, index);

    public ImageCaption Get(int index)
    {
        var (spec, pixels) = _cache.GetOrAdd(index, i =>
        {
            var s = Draw(Seed, i);
            return (s, RenderPixels(s, SceneSeed(Seed, i), ImageSize));
        });
        return new ImageCaption(pixels, SceneCaption.Describe(spec, index % 2 == 0 ? "en" : "fr"));
    }

    /// <summary>Draws the spec of item <paramref name="index"/>: a uniform typology, then its prior.</summary>
    public static SceneSpec Draw(int seed, int index)
    {
        var random = new Random(SceneSeed(seed, index));
        var typology = (Typology)random.Next(Enum.GetValues<Typology>().Length);
        return SceneDistribution.Prior(random, typology) with { Detail = random.NextDouble() };
    }

    private static int SceneSeed(int seed, int index) => unchecked((seed * 1_000_003) + index);

    /// <summary>Renders <paramref name="spec"/> at <c>size * 4</c> and box-filters to (3, size, size) in [-1, 1].</summary>
    public static float[] RenderPixels(SceneSpec spec, int seed, int size)
    {
        var big = SceneRenderer.Render(spec, seed, size * Oversample, size * Oversample);
        return ToModelPixels(big, size);
    }

    /// <summary>Any RGBA image to (3, size, size) in [-1, 1]: box filter when it divides, bilinear otherwise.</summary>
    public static float[] ToModelPixels(RgbaImage image, int size)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = size * size;
        var x = new float[3 * plane];
        if (image.Width % size == 0 && image.Height % size == 0)
        {
            int fx = image.Width / size, fy = image.Height / size;
            float inv = 1f / (fx * fy * 127.5f);
            for (int y = 0; y < size; y++)
            {
                for (int xx = 0; xx < size; xx++)
                {
                    float r = 0, g = 0, b = 0;
                    for (int dy = 0; dy < fy; dy++)
                    {
                        int row = ((y * fy) + dy) * image.Width;
                        for (int dx = 0; dx < fx; dx++)
                        {
                            int o = (row + (xx * fx) + dx) * 4;
                            r += image.Pixels[o];
                            g += image.Pixels[o + 1];
                            b += image.Pixels[o + 2];
                        }
                    }

                    int p = (y * size) + xx;
                    x[p] = (r * inv) - 1f;
                    x[plane + p] = (g * inv) - 1f;
                    x[(2 * plane) + p] = (b * inv) - 1f;
                }
            }

            return x;
        }

        for (int y = 0; y < size; y++)
        {
            float sy = Math.Clamp((((y + 0.5f) * image.Height) / size) - 0.5f, 0, image.Height - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, image.Height - 1);
            float wy = sy - y0;
            for (int xx = 0; xx < size; xx++)
            {
                float sx = Math.Clamp((((xx + 0.5f) * image.Width) / size) - 0.5f, 0, image.Width - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, image.Width - 1);
                float wx = sx - x0;
                int p = (y * size) + xx;
                for (int ch = 0; ch < 3; ch++)
                {
                    float a = image.Pixels[(((y0 * image.Width) + x0) * 4) + ch], b = image.Pixels[(((y0 * image.Width) + x1) * 4) + ch];
                    float c = image.Pixels[(((y1 * image.Width) + x0) * 4) + ch], d = image.Pixels[(((y1 * image.Width) + x1) * 4) + ch];
                    float v = ((a * (1 - wx)) + (b * wx)) * (1 - wy) + (((c * (1 - wx)) + (d * wx)) * wy);
                    x[(ch * plane) + p] = (v / 127.5f) - 1f;
                }
            }
        }

        return x;
    }
}
