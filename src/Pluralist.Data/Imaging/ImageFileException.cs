namespace Pluralist.Data.Imaging;

/// <summary>An image file that is not a PNG, JPEG or WebP, is too large, or does not decode.</summary>
public sealed class ImageFileException : Exception
{
    public ImageFileException()
    {
    }

    public ImageFileException(string message)
        : base(message)
    {
    }

    public ImageFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
