namespace Pluralist.Studies.Console.Pools;

/// <summary>Where a pool's files are read from: an upload's zip or a folder on disk. <paramref name="Name"/> completes "not in …".</summary>
internal sealed record PoolSource(string Name, Func<string, bool> Contains, Func<string, Stream> Open);
