namespace Pluralist.Data.Imaging;

/// <summary>The image formats Pluralist reads and stores.</summary>
public enum ImageFileFormat
{
    Png,
    Jpeg,
    Webp,
}
