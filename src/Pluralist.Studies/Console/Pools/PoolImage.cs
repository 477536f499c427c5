using Pluralist.Core.Model;
using Pluralist.Data.Imaging;

namespace Pluralist.Studies.Console.Pools;

/// <summary>
/// One image of a pool upload, checked (format, size, hash) and ready to store from its archive entry or file. Parameters is the
/// generator's parameters as JSON (from a generation manifest), or null; PromptId the prompt's id in the generation job (kept as
/// the prompt's external id), or null.
/// </summary>
public sealed record PoolImage(int Line, string File, ImageFacts Facts, string Prompt, string Language, PromptSource Source, string Generator, long? Seed, double? Guidance, int? Steps, string? Parameters, string? PromptId = null)
{
    public int Width => Facts.Width;

    public int Height => Facts.Height;
}
