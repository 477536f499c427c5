using System.Text.Json;
using Pluralist.Tensors;

namespace Pluralist.Pipeline.Tests.Onnx;

/// <summary>
/// The fixtures written by tools/onnx/make_tiny_clip.py: a tiny CLIP folder (ONNX exports, safetensors, tokenizer,
/// preprocessor_config.json) and PyTorch's golden values for it (token ids from the script's own CLIP tokenizer, pixel
/// values from PIL, embeddings from the script's plain-PyTorch CLIP).
/// </summary>
internal static class Golden
{
    public static string ModelFolder => Path.Combine(AppContext.BaseDirectory, "Onnx", "tiny-clip");

    public static string ImageFolder => Path.Combine(AppContext.BaseDirectory, "Onnx", "golden", "images");

    private static readonly Lazy<JsonElement> Json = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Onnx", "golden", "golden.json"))).RootElement);

    private static readonly Lazy<Dictionary<string, Tensor>> PixelTensors = new(() =>
        Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Onnx", "golden", "pixels.safetensors")).Tensors);

    public static JsonElement Root => Json.Value;

    public static double LogitScale => Math.Exp(Root.GetProperty("logit_scale").GetDouble());

    public static IReadOnlyList<(string Language, string Text, int[] Ids, int[] Mask, string[] Pieces)> Captions =>
        Root.GetProperty("captions").EnumerateArray().Select(c => (
            c.GetProperty("language").GetString()!,
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("attention_mask").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("pieces").EnumerateArray().Select(e => e.GetString()!).ToArray())).ToArray();

    public static IReadOnlyList<(string File, int Width, int Height)> Images =>
        Root.GetProperty("images").EnumerateArray().Select(i => (i.GetProperty("file").GetString()!, i.GetProperty("width").GetInt32(), i.GetProperty("height").GetInt32())).ToArray();

    public static float[][] Matrix(string name) =>
        Root.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()).ToArray();

    /// <summary>pixel_values (3, H, W) of one image as PIL and the reference processor steps give them.</summary>
    public static Tensor Pixels(string file) => PixelTensors.Value[file];

    /// <summary>All images' pixel values stacked in file order: (N, 3, H, W).</summary>
    public static float[] AllPixels() => Images.SelectMany(i => Pixels(i.File).Data).ToArray();

    public static double MaxAbsDiff(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        Assert.Equal(a.Count, b.Count);
        double m = 0;
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int k = 0; k < a[i].Length; k++)
            {
                m = Math.Max(m, Math.Abs(a[i][k] - b[i][k]));
            }
        }

        return m;
    }
}
