namespace Pluralist.World.Imaging;

/// <summary>Thrown when PNG input is malformed or uses a feature the decoder does not support.</summary>
public sealed class PngFormatException : Exception
{
    public PngFormatException()
    {
    }

    public PngFormatException(string message)
        : base(message)
    {
    }

    public PngFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
