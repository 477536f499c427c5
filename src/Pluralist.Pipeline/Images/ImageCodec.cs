using System.Globalization;
using System.Runtime.InteropServices;
using Pluralist.World.Imaging;
using SkiaSharp;

namespace Pluralist.Pipeline.Images;

/// <summary>The encoded formats Pluralist reads and writes.</summary>
public enum ImageFormat
{
    Png,
    Jpeg,
    Webp,
}

/// <summary>
/// The one entry point for turning image files into pixels and back (SkiaSharp: libpng, libjpeg-turbo, libwebp).
/// Decoding finds the format from the content, checks the size in the header against a pixel limit before a pixel is
/// decoded, and reports a truncated or corrupt file; every error is an <see cref="InvalidDataException"/> whose message
/// starts with the caller's name for the data (a file, or <c>file: row N: column 'jpg_0'</c>). Resizes use Mitchell
/// cubic resampling. Files being stored (uploads, bundles, imports) are checked by <c>Pluralist.Data.Imaging.ImageFiles</c>.
/// </summary>
public static class ImageCodec
{
    /// <summary>Default pixel limit (width × height) for decoding: 64 megapixels, 256 MiB of RGBA.</summary>
    public const long DefaultMaxPixels = 64L * 1024 * 1024;

    /// <summary>Decodes the file at <paramref name="path"/>; its extension, when it is an image extension, must match the content.</summary>
    public static RgbaImage DecodeFile(string path, long maxPixels = DefaultMaxPixels, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        name ??= path;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{name}: cannot be read ({e.Message})", e);
        }

        var image = Decode(bytes, name, maxPixels, out var format);
        if (FormatOfExtension(path) is { } expected && expected != format)
        {
            throw new InvalidDataException($"{name}: the extension '{Path.GetExtension(path)}' says {Describe(expected)}, but the content is {Describe(format)}");
        }

        return image;
    }

    /// <summary>Decodes PNG, JPEG or WebP bytes into unpremultiplied RGBA (no colour profile or EXIF rotation applied).</summary>
    /// <param name="bytes">The encoded image.</param>
    /// <param name="name">Where the bytes come from, for error messages.</param>
    /// <param name="maxPixels">Largest width × height accepted, checked from the header before decoding.</param>
    public static RgbaImage Decode(ReadOnlySpan<byte> bytes, string name, long maxPixels = DefaultMaxPixels) =>
        Decode(bytes, name, maxPixels, out _);

    /// <inheritdoc cref="Decode(ReadOnlySpan{byte}, string, long)"/>
    public static RgbaImage Decode(ReadOnlySpan<byte> bytes, string name, long maxPixels, out ImageFormat format)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (bytes.IsEmpty)
        {
            throw new InvalidDataException($"{name}: is empty, not an image");
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{name}: is not a PNG, JPEG or WebP image");
        format = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Png => ImageFormat.Png,
            SKEncodedImageFormat.Jpeg => ImageFormat.Jpeg,
            SKEncodedImageFormat.Webp => ImageFormat.Webp,
            var other => throw new InvalidDataException($"{name}: is a {other.ToString().ToUpperInvariant()} image; only PNG, JPEG and WebP are read"),
        };
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width < 1 || height < 1)
        {
            throw new InvalidDataException($"{name}: has no pixels");
        }

        if ((long)width * height > maxPixels)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{name}: is {width}×{height} pixels ({(long)width * height / 1e6:0.#} megapixels), over the limit of {maxPixels / 1e6:0.#} megapixels; nothing was decoded"));
        }

        var image = new RgbaImage(width, height);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        SKCodecResult result;
        var pin = GCHandle.Alloc(image.Pixels, GCHandleType.Pinned);
        try
        {
            result = codec.GetPixels(info, pin.AddrOfPinnedObject());
        }
        finally
        {
            pin.Free();
        }

        if (result != SKCodecResult.Success)
        {
            throw new InvalidDataException(result == SKCodecResult.IncompleteInput
                ? $"{name}: is a {Describe(format)} image whose data ends too early (a truncated file)"
                : $"{name}: is a {Describe(format)} image that does not decode ({result})");
        }

        return image;
    }

    /// <summary>Encodes <paramref name="image"/>; <paramref name="quality"/> (0-100) applies to JPEG and lossy WebP, 100 gives lossless WebP.</summary>
    public static byte[] Encode(RgbaImage image, ImageFormat format, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegative(quality);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pin = GCHandle.Alloc(image.Pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, pin.AddrOfPinnedObject(), info.RowBytes);
            using var data = format switch
            {
                ImageFormat.Png => pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6)),
                ImageFormat.Jpeg => pixmap.Encode(new SKJpegEncoderOptions(quality)),
                ImageFormat.Webp => pixmap.Encode(new SKWebpEncoderOptions(quality == 100 ? SKWebpEncoderCompression.Lossless : SKWebpEncoderCompression.Lossy, quality)),
                _ => throw new ArgumentOutOfRangeException(nameof(format)),
            };
            return data?.ToArray() ?? throw new InvalidOperationException($"SkiaSharp could not encode a {image.Width}x{image.Height} image as {format}");
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary>
    /// <paramref name="image"/> at <paramref name="width"/> × <paramref name="height"/> with Mitchell cubic resampling
    /// (B = C = 1/3). A reduction by more than two is done in halving steps, so that the cubic kernel, whose support does
    /// not widen with the scale, still sees every source pixel. The same size returns <paramref name="image"/> itself.
    /// </summary>
    public static RgbaImage Resize(RgbaImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var current = image;
        while (current.Width != width || current.Height != height)
        {
            int w = current.Width >= 2 * width ? current.Width / 2 : width;
            int h = current.Height >= 2 * height ? current.Height / 2 : height;
            var next = new RgbaImage(w, h);
            var from = new SKImageInfo(current.Width, current.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var to = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var src = GCHandle.Alloc(current.Pixels, GCHandleType.Pinned);
            var dst = GCHandle.Alloc(next.Pixels, GCHandleType.Pinned);
            try
            {
                using var source = new SKPixmap(from, src.AddrOfPinnedObject(), from.RowBytes);
                using var target = new SKPixmap(to, dst.AddrOfPinnedObject(), to.RowBytes);
                if (!source.ScalePixels(target, new SKSamplingOptions(SKCubicResampler.Mitchell)))
                {
                    throw new InvalidOperationException($"SkiaSharp could not resize {current.Width}x{current.Height} to {w}x{h}");
                }
            }
            finally
            {
                dst.Free();
                src.Free();
            }

            current = next;
        }

        return current;
    }

    /// <summary>The format an image file name's extension names, or null for another extension.</summary>
    public static ImageFormat? FormatOfExtension(string path) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => ImageFormat.Png,
            ".jpg" or ".jpeg" => ImageFormat.Jpeg,
            ".webp" => ImageFormat.Webp,
            _ => null,
        };

    /// <summary>The usual file extension of <paramref name="format"/>, with its dot.</summary>
    public static string Extension(ImageFormat format) => format switch
    {
        ImageFormat.Png => ".png",
        ImageFormat.Jpeg => ".jpg",
        _ => ".webp",
    };

    private static string Describe(ImageFormat format) => format.ToString().ToUpperInvariant();
}
