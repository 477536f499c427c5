using Pluralist.Pipeline.Selection;


namespace Pluralist.Studies.Console.Jobs;

/// <summary>What a researcher asks for: render variants of each prompt with the world backend, keep the k most distinct, add them to the pool.</summary>
public sealed record PipelineJobRequest(
    string StudyKey,
    IReadOnlyList<string> Prompts,
    string Language,
    int Variants,
    int K,
    int Size,
    long Seed,
    string Embedder,
    SelectionMethod Method,
    bool TemplateAugment = false);
