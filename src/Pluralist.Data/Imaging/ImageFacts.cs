namespace Pluralist.Data.Imaging;

/// <summary>What <see cref="ImageFiles.Inspect"/> found in a file that decoded in full.</summary>
public sealed record ImageFacts(ImageFileFormat Format, int Width, int Height, string Sha256, long Length)
{
    /// <summary>The file name extension for this format, keeping <paramref name="given"/> when it already fits (<c>.jpeg</c> for a JPEG).</summary>
    public string Extension(string? given = null)
    {
        var ext = (given ?? string.Empty).ToLowerInvariant();
        return Format switch
        {
            ImageFileFormat.Jpeg => ext is ".jpg" or ".jpeg" ? ext : ".jpg",
            ImageFileFormat.Webp => ".webp",
            _ => ".png",
        };
    }
}
