using System.Globalization;
using System.Security.Cryptography;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Files;
using Pluralist.Pipeline.Images;
using Pluralist.World.Imaging;

namespace Pluralist.Studies.Console.Pools;

/// <summary>A thumbnail file on disk and its entity tag (the image's content hash and the width).</summary>
public sealed record Thumbnail(string Path, string ETag);

/// <summary>A stored image that cannot be read or does not decode; the message names the image by id, not by path.</summary>
public sealed class StoredImageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Downscaled copies of stored images for the console's pool grid and dataset viewer, so that the browser receives a few
/// kilobytes instead of the full file. A fixed set of widths (<see cref="Widths"/>; never upscaled), Mitchell cubic
/// resampling through <see cref="ImageCodec.Resize"/>, encoded as lossy WebP. Each thumbnail is made once and kept in
/// <c>thumbnails/</c> of the data directory, named by the image's SHA-256 and the width, written to a temporary file and
/// renamed (<see cref="DurableFile"/>), so concurrent requests and crashes never leave a partial file. The image store
/// is content-addressed, so a thumbnail never goes stale: it can be served as immutable.
/// </summary>
public sealed class Thumbnails(DataDirectory data)
{
    /// <summary>The widths served, in pixels.</summary>
    public static IReadOnlyList<int> Widths { get; } = [160, 320, 640];

    public const string ContentType = "image/webp";

    /// <summary>Lossy WebP quality: small files with no visible loss at thumbnail sizes.</summary>
    public const int Quality = 80;

    /// <summary>The cache folder (data directory/thumbnails).</summary>
    public string Folder { get; } = Path.Combine(data.Root, "thumbnails");

    /// <summary>"160, 320 or 640": for error messages.</summary>
    public static string Allowed => string.Join(", ", Widths.Take(Widths.Count - 1)) + " or " + Widths[^1].ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The thumbnail of <paramref name="image"/> at <paramref name="width"/> (one of <see cref="Widths"/>), made on first
    /// use. Null when the image has no stored file; <see cref="StoredImageException"/> when the file does not decode.
    /// </summary>
    public Thumbnail? Get(Image image, int width)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!Widths.Contains(width))
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"thumbnail widths are {Allowed}");
        }

        var source = StoredFile(image);
        if (source is null)
        {
            return null;
        }

        var hash = IsHash(image.ContentHash) ? image.ContentHash! : HashOf(image, source);
        var path = Path.Combine(Folder, hash[..2], string.Create(CultureInfo.InvariantCulture, $"{hash}-{width}.webp"));
        if (!File.Exists(path))
        {
            var bytes = Make(image, source, width);
            DurableFile.WriteAllBytes(path, bytes);
        }

        return new Thumbnail(path, string.Create(CultureInfo.InvariantCulture, $"\"{hash}-{width}\""));
    }

    /// <summary>Encodes the thumbnail of the file at <paramref name="source"/> (the bench times this).</summary>
    public static byte[] Make(string source, int width, string name)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Make(ImageCodec.DecodeFile(source, ImageCodec.DefaultMaxPixels, name), width);
    }

    /// <summary>Encodes the thumbnail of a decoded image at <paramref name="width"/> (never upscaled).</summary>
    public static byte[] Make(RgbaImage full, int width)
    {
        ArgumentNullException.ThrowIfNull(full);
        var w = Math.Min(width, full.Width);
        var h = Math.Max(1, (int)Math.Round((double)full.Height * w / full.Width, MidpointRounding.AwayFromZero));
        return ImageCodec.Encode(ImageCodec.Resize(full, w, h), ImageFormat.Webp, Quality);
    }

    private static byte[] Make(Image image, string source, int width)
    {
        try
        {
            return Make(source, width, string.Create(CultureInfo.InvariantCulture, $"image {image.Id}"));
        }
        catch (InvalidDataException e)
        {
            throw new StoredImageException(e.Message, e);
        }
    }

    // The stored file, inside the image store; null for a reference without a file.
    private string? StoredFile(Image image)
    {
        if (string.IsNullOrEmpty(image.StoragePath))
        {
            return null;
        }

        var root = Path.GetFullPath(data.ImagesPath) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(data.ImagesPath, image.StoragePath));
        return path.StartsWith(root, StringComparison.Ordinal) && File.Exists(path) ? path : null;
    }

    private static bool IsHash(string? hash) => hash is { Length: 64 } && hash.All(char.IsAsciiHexDigitLower);

    private static string HashOf(Image image, string source)
    {
        try
        {
            using var stream = File.OpenRead(source);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoredImageException(string.Create(CultureInfo.InvariantCulture, $"image {image.Id}: the stored file cannot be read ({e.GetType().Name})"), e);
        }
    }
}
