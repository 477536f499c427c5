using Pluralist.World.Imaging;
using SkiaSharp;

namespace Pluralist.Pipeline.Onnx;

/// <summary>
/// Decodes PNG, JPEG and WebP files with SkiaSharp into unpremultiplied RGBA (grey images replicated to RGB; no colour
/// profile applied and no EXIF rotation, as PIL's <c>Image.open</c> gives them to the Hugging Face processors).
/// </summary>
public static class ImageFiles
{
    /// <summary>Largest image accepted (width × height), so a crafted header cannot ask for gigabytes.</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    public static RgbaImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        return Decode(stream, path);
    }

    /// <param name="stream">The encoded file.</param>
    /// <param name="name">Used in error messages (the file name).</param>
    public static RgbaImage Decode(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var codec = SKCodec.Create(stream, out var result)
            ?? throw new InvalidDataException($"{name}: not a PNG, JPEG or WebP image ({result})");
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (w <= 0 || h <= 0 || (long)w * h > MaxPixels)
        {
            throw new InvalidDataException($"{name}: {w} x {h} pixels is outside 1..{MaxPixels:N0} pixels");
        }

        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var r = codec.GetPixels(info, bitmap.GetPixels());
        if (r != SKCodecResult.Success)
        {
            throw new InvalidDataException($"{name}: the {codec.EncodedFormat} data could not be decoded ({r}; a truncated file reads as IncompleteInput)");
        }

        var image = new RgbaImage(w, h);
        bitmap.GetPixelSpan().CopyTo(image.Pixels);
        return image;
    }
}
