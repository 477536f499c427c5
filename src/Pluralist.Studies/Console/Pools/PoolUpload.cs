namespace Pluralist.Studies.Console.Pools;

/// <summary>Checked pool images and where to read each again when it is stored (an upload's archive, or files on disk). Dispose to close the archive.</summary>
public sealed class PoolUpload(IReadOnlyList<PoolImage> images, Func<PoolImage, Stream> open, IDisposable? owner = null) : IDisposable
{
    public IReadOnlyList<PoolImage> Images { get; } = images;

    public Stream Open(PoolImage image) => open(image);

    public void Dispose() => owner?.Dispose();
}
