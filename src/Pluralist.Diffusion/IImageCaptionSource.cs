namespace Pluralist.Diffusion;

/// <summary>Any source of (image, caption) pairs for base training (the procedural world's renderer, a folder, memory).</summary>
public interface IImageCaptionSource
{
    int Count { get; }

    ImageCaption Get(int index);
}
