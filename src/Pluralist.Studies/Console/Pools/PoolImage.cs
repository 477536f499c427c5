using Pluralist.Core.Model;
using Pluralist.Data.Imaging;

namespace Pluralist.Studies.Console.Pools;

/// <summary>One image of a pool upload, checked (format, size, hash) and ready to store from its archive entry.</summary>
public sealed record PoolImage(int Line, string File, ImageFacts Facts, string Prompt, string Language, PromptSource Source, string Generator, long? Seed, double? Guidance, int? Steps)
{
    public int Width => Facts.Width;

    public int Height => Facts.Height;
}
