namespace Pluralist.Diffusion;

/// <summary>Pairs held in memory.</summary>
public sealed class InMemoryImageCaptionSource(IReadOnlyList<ImageCaption> items) : IImageCaptionSource
{
    private readonly IReadOnlyList<ImageCaption> _items = items ?? throw new ArgumentNullException(nameof(items));

    public int Count => _items.Count;

    public ImageCaption Get(int index) => _items[index];
}
