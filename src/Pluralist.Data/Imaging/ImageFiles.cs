using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Pluralist.Data.Imports;
using SkiaSharp;

namespace Pluralist.Data.Imaging;

/// <summary>
/// The one place where image files are checked (SkiaSharp): format from the content, size from the
/// header before a pixel is decoded, then a full decode. Imports (bundles, the labeling-platform
/// export, console pool uploads) store nothing that has not passed <see cref="Inspect"/>.
/// </summary>
public static class ImageFiles
{
    // Full decodes hold width × height × 4 bytes; two at a time keep a busy server's memory bounded.
    private static readonly SemaphoreSlim FullDecodes = new(2);

    /// <summary>
    /// Reads all of <paramref name="input"/>, hashes it, and checks that it is a PNG, JPEG or WebP
    /// image of at most <paramref name="maxPixels"/> pixels that decodes without error. A stream
    /// that cannot seek is first copied to a temporary file (never into memory).
    /// </summary>
    /// <exception cref="ImageFileException">Not an accepted image; the message completes "file …".</exception>
    /// <exception cref="ImportFileException">The stream passed an import limit while being read.</exception>
    public static ImageFacts Inspect(Stream input, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.CanSeek)
        {
            var start = input.Position;
            var hash = Convert.ToHexStringLower(SHA256.HashData(input));
            var length = input.Position - start;
            input.Position = start;
            return Check(input, maxPixels, hash, length);
        }

        var temp = Path.Combine(Path.GetTempPath(), $"pluralist-image-{Guid.NewGuid():N}.tmp");
        using var spool = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[81920];
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                sha.AppendData(buffer.AsSpan(0, n));
                spool.Write(buffer.AsSpan(0, n));
            }

            var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            spool.Position = 0;
            return Check(spool, maxPixels, hash, spool.Length);
        }
    }

    private static ImageFacts Check(Stream seekable, long maxPixels, string hash, long length)
    {
        using var codec = SKCodec.Create(seekable, out var created)
            ?? throw new ImageFileException(length == 0 ? "is empty, not an image" : "is not a PNG, JPEG or WebP image");
        var format = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Png => ImageFileFormat.Png,
            SKEncodedImageFormat.Jpeg => ImageFileFormat.Jpeg,
            SKEncodedImageFormat.Webp => ImageFileFormat.Webp,
            var other => throw new ImageFileException($"is a {other.ToString().ToUpperInvariant()} image; only PNG, JPEG and WebP are accepted"),
        };
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        var pixels = (long)width * height;
        if (width < 1 || height < 1)
        {
            throw new ImageFileException("has no pixels");
        }

        if (pixels > maxPixels)
        {
            throw new ImageFileException(string.Create(CultureInfo.InvariantCulture,
                $"is {width}×{height} pixels ({pixels / 1e6:0.#} megapixels), over the limit of {maxPixels / 1e6:0.#} megapixels ({ImportLimits.Section}:{nameof(ImportLimits.MaxImagePixels)}); nothing was decoded"));
        }

        var result = format switch
        {
            ImageFileFormat.Jpeg => DecodeByRows(codec, width, height),
            ImageFileFormat.Webp => DecodeScaled(codec),
            _ => DecodeFull(codec, width, height),
        };
        if (result != SKCodecResult.Success)
        {
            throw new ImageFileException(result == SKCodecResult.IncompleteInput
                ? $"is a {format.ToString().ToUpperInvariant()} image whose data ends too early (a truncated file)"
                : $"is a {format.ToString().ToUpperInvariant()} image that does not decode ({result})");
        }

        return new ImageFacts(format, width, height, hash, length);
    }

    // JPEG: one row at a time.
    private static SKCodecResult DecodeByRows(SKCodec codec, int width, int height)
    {
        var info = new SKImageInfo(width, 1, SKColorType.Rgba8888, SKAlphaType.Premul);
        var start = codec.StartScanlineDecode(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        if (start != SKCodecResult.Success)
        {
            return DecodeFull(codec, width, height);
        }

        var row = GC.AllocateUninitializedArray<byte>(info.RowBytes, pinned: true);
        var at = Marshal.UnsafeAddrOfPinnedArrayElement(row, 0);
        for (var y = 0; y < height; y++)
        {
            if (codec.GetScanlines(at, 1, info.RowBytes) != 1)
            {
                return SKCodecResult.IncompleteInput;
            }
        }

        return SKCodecResult.Success;
    }

    // WebP: libwebp decodes all of the data into a smaller target.
    private static SKCodecResult DecodeScaled(SKCodec codec)
    {
        var size = codec.GetScaledDimensions((float)Math.Min(1, Math.Sqrt(1_000_000.0 / ((long)codec.Info.Width * codec.Info.Height))));
        return DecodeFull(codec, size.Width, size.Height);
    }

    // PNG (Skia does not decode it by rows): the whole image, in native memory freed at once.
    private static SKCodecResult DecodeFull(SKCodec codec, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        FullDecodes.Wait();
        var pixels = Marshal.AllocHGlobal((nint)info.BytesSize64);
        try
        {
            return codec.GetPixels(info, pixels);
        }
        finally
        {
            Marshal.FreeHGlobal(pixels);
            FullDecodes.Release();
        }
    }
}
