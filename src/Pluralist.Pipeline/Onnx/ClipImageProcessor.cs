using System.Globalization;
using System.Text.Json;
using Pluralist.World.Imaging;

namespace Pluralist.Pipeline.Onnx;

/// <summary>
/// A model's own image preprocessing, read from its <c>preprocessor_config.json</c> (Hugging Face
/// <c>CLIPImageProcessor</c>): RGB (alpha dropped, as PIL's <c>convert("RGB")</c>); resize so the shortest edge is
/// <c>size.shortest_edge</c> and the other int(size · long / short) (or to <c>size.height</c> × <c>size.width</c>) with
/// the configured PIL filter (<see cref="PilResample"/>; CLIP uses bicubic); centre crop to <c>crop_size</c> at
/// ((h − ch) / 2, (w − cw) / 2) rounded down, zero-padded where the image is smaller; x · rescale_factor; (x − mean) / std.
/// Older files with plain integers for <c>size</c> and <c>crop_size</c> are read too.
/// </summary>
public sealed record ClipImageProcessor
{
    public bool DoResize { get; init; } = true;

    /// <summary>Shortest edge after resizing; null when <see cref="ResizeHeight"/> and <see cref="ResizeWidth"/> are set.</summary>
    public int? ShortestEdge { get; init; } = 224;

    public int? ResizeHeight { get; init; }

    public int? ResizeWidth { get; init; }

    public ResampleFilter Resample { get; init; } = ResampleFilter.Bicubic;

    public bool DoCenterCrop { get; init; } = true;

    public int CropHeight { get; init; } = 224;

    public int CropWidth { get; init; } = 224;

    public bool DoRescale { get; init; } = true;

    public double RescaleFactor { get; init; } = 1 / 255.0;

    public bool DoNormalize { get; init; } = true;

    public IReadOnlyList<float> Mean { get; init; } = [0.48145466f, 0.4578275f, 0.40821073f];

    public IReadOnlyList<float> Std { get; init; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Height of <see cref="Preprocess"/>'s output.</summary>
    public int OutputHeight => DoCenterCrop ? CropHeight : DoResize && ShortestEdge is null ? ResizeHeight!.Value : throw new InvalidOperationException("without a centre crop the output size depends on the image");

    /// <summary>Width of <see cref="Preprocess"/>'s output.</summary>
    public int OutputWidth => DoCenterCrop ? CropWidth : DoResize && ShortestEdge is null ? ResizeWidth!.Value : throw new InvalidOperationException("without a centre crop the output size depends on the image");

    /// <summary>Reads a preprocessor_config.json; an error names the file and the field.</summary>
    public static ClipImageProcessor Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}:{(ex.LineNumber ?? 0) + 1}: not JSON ({ex.Message})", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: expected a JSON object");
            }

            string Where(string field) => $"{path} ({field})";
            bool Bool(string name, bool fallback) => root.TryGetProperty(name, out var v)
                ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw new InvalidDataException($"{Where(name)}: expected true or false") }
                : fallback;
            int Positive(JsonElement v, string field) => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i is > 0 and <= 8192
                ? i
                : throw new InvalidDataException($"{Where(field)}: expected a whole number in 1..8192, got {v.GetRawText()}");
            float[] Triple(string name, IReadOnlyList<float> fallback, bool positive)
            {
                if (!root.TryGetProperty(name, out var v))
                {
                    return fallback.ToArray();
                }

                var values = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToArray() : [v, v, v];
                if (values.Length != 3 || values.Any(e => e.ValueKind != JsonValueKind.Number) || (positive && values.Any(e => e.GetDouble() <= 0)))
                {
                    throw new InvalidDataException($"{Where(name)}: expected three {(positive ? "positive " : "")}numbers (R, G, B), got {v.GetRawText()}");
                }

                return values.Select(e => e.GetSingle()).ToArray();
            }

            var p = new ClipImageProcessor
            {
                DoResize = Bool("do_resize", true),
                DoCenterCrop = Bool("do_center_crop", true),
                DoRescale = Bool("do_rescale", true),
                DoNormalize = Bool("do_normalize", true),
                Mean = Triple("image_mean", new ClipImageProcessor().Mean, positive: false),
                Std = Triple("image_std", new ClipImageProcessor().Std, positive: true),
            };
            if (root.TryGetProperty("resample", out var rs))
            {
                p = rs.ValueKind == JsonValueKind.Number && rs.TryGetInt32(out var code) && Enum.IsDefined((ResampleFilter)code)
                    ? p with { Resample = (ResampleFilter)code }
                    : throw new InvalidDataException($"{Where("resample")}: expected a PIL filter number 0..5 (3 = bicubic), got {rs.GetRawText()}");
            }

            if (root.TryGetProperty("rescale_factor", out var rf))
            {
                p = rf.ValueKind == JsonValueKind.Number && rf.GetDouble() > 0
                    ? p with { RescaleFactor = rf.GetDouble() }
                    : throw new InvalidDataException($"{Where("rescale_factor")}: expected a positive number, got {rf.GetRawText()}");
            }

            if (root.TryGetProperty("size", out var size))
            {
                if (size.ValueKind == JsonValueKind.Number)
                {
                    p = p with { ShortestEdge = Positive(size, "size") };
                }
                else if (size.ValueKind == JsonValueKind.Object && size.TryGetProperty("shortest_edge", out var se))
                {
                    p = p with { ShortestEdge = Positive(se, "size.shortest_edge") };
                }
                else if (size.ValueKind == JsonValueKind.Object && size.TryGetProperty("height", out var sh) && size.TryGetProperty("width", out var sw))
                {
                    p = p with { ShortestEdge = null, ResizeHeight = Positive(sh, "size.height"), ResizeWidth = Positive(sw, "size.width") };
                }
                else
                {
                    throw new InvalidDataException($"{Where("size")}: expected a number, {{\"shortest_edge\": N}} or {{\"height\": H, \"width\": W}}, got {size.GetRawText()}");
                }
            }

            if (root.TryGetProperty("crop_size", out var crop))
            {
                if (crop.ValueKind == JsonValueKind.Number)
                {
                    p = p with { CropHeight = Positive(crop, "crop_size"), CropWidth = Positive(crop, "crop_size") };
                }
                else if (crop.ValueKind == JsonValueKind.Object && crop.TryGetProperty("height", out var ch) && crop.TryGetProperty("width", out var cw))
                {
                    p = p with { CropHeight = Positive(ch, "crop_size.height"), CropWidth = Positive(cw, "crop_size.width") };
                }
                else
                {
                    throw new InvalidDataException($"{Where("crop_size")}: expected a number or {{\"height\": H, \"width\": W}}, got {crop.GetRawText()}");
                }
            }

            if (!p.DoCenterCrop && !(p.DoResize && p.ShortestEdge is null))
            {
                throw new InvalidDataException($"{Where("do_center_crop")}: without a centre crop, size must give height and width (the model needs one image size)");
            }

            return p;
        }
    }

    /// <summary>Resized size (width, height) of an image before the crop.</summary>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        if (!DoResize)
        {
            return (width, height);
        }

        if (ShortestEdge is not { } s)
        {
            return (ResizeWidth!.Value, ResizeHeight!.Value);
        }

        // As transformers' get_resize_output_image_size with default_to_square=False: the long side truncated.
        bool portrait = width <= height;
        int shortSide = portrait ? width : height, longSide = portrait ? height : width;
        int newLong = (int)(s * (double)longSide / shortSide);
        return portrait ? (s, newLong) : (newLong, s);
    }

    /// <summary>pixel_values of one image: (3, OutputHeight, OutputWidth) written at <paramref name="offset"/>.</summary>
    public void Preprocess(RgbaImage image, float[] output, int offset)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        int w = image.Width, h = image.Height;
        var rgb = new byte[w * h * 3]; // (H, W, 3)
        for (int i = 0, n = w * h; i < n; i++)
        {
            rgb[i * 3] = image.Pixels[i * 4];
            rgb[i * 3 + 1] = image.Pixels[i * 4 + 1];
            rgb[i * 3 + 2] = image.Pixels[i * 4 + 2];
        }

        var (rw, rh) = ResizedSize(w, h);
        if (rw != w || rh != h)
        {
            rgb = PilResample.Resize(rgb, w, h, rw, rh, Resample);
        }

        int oh = OutputHeight, ow = OutputWidth;
        // Rounded down, also when negative: transformers pads a too-small image with zeros, ceil((crop - size) / 2) before.
        int top = DoCenterCrop ? (int)Math.Floor((rh - oh) / 2.0) : 0, left = DoCenterCrop ? (int)Math.Floor((rw - ow) / 2.0) : 0;
        for (int c = 0; c < 3; c++)
        {
            float mean = DoNormalize ? Mean[c] : 0, std = DoNormalize ? Std[c] : 1;
            for (int y = 0; y < oh; y++)
            {
                int sy = y + top;
                for (int x = 0; x < ow; x++)
                {
                    int sx = x + left;
                    byte v = sy >= 0 && sy < rh && sx >= 0 && sx < rw ? rgb[(sy * rw + sx) * 3 + c] : (byte)0;
                    // numpy: (uint8 as float64 * factor) as float32, then (x - mean) / std in float32.
                    float f = DoRescale ? (float)(v * RescaleFactor) : v;
                    output[offset + (c * oh + y) * ow + x] = DoNormalize ? (f - mean) / std : f;
                }
            }
        }
    }

    /// <summary>Describes the settings in one line (for logs and benchmark output).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"resize {(ShortestEdge is { } s ? $"shortest edge {s}" : $"{ResizeWidth}x{ResizeHeight}")} {Resample.ToString().ToLowerInvariant()}, crop {CropWidth}x{CropHeight}, mean [{string.Join(", ", Mean)}], std [{string.Join(", ", Std)}]");
}
